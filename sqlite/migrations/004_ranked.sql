-- Ranked polls: a ranked ballot keeps its options in order in option_ids,
-- most preferred first (as every ballot already does), and a ranked poll is
-- also "multiple" (a ballot holds several options).
--
-- rankings counts the ballots per distinct ranking of each ranked poll, in
-- the same transaction as the ballots it counts: results count instant
-- runoff over these rows (a few hundred for a poll of five options), never
-- over the ballots. A count that reaches zero stays as a row.
--
-- changed_at is when a ballot was last changed, for the ballot file.
ALTER TABLE polls ADD COLUMN ranked INTEGER NOT NULL DEFAULT 0 CHECK (ranked IN (0, 1));
ALTER TABLE ballots ADD COLUMN changed_at INTEGER;

CREATE TABLE rankings (
    poll_id TEXT    NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    ranking TEXT    NOT NULL CHECK (json_valid(ranking) AND json_array_length(ranking) BETWEEN 1 AND 20),
    ballots INTEGER NOT NULL CHECK (ballots >= 0),
    PRIMARY KEY (poll_id, ranking)
) STRICT, WITHOUT ROWID;
