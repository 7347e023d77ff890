-- Ranked polls: a ranked ballot keeps its options in order in option_ids,
-- most preferred first (as every ballot already does), and a ranked poll is
-- also "multiple" (a ballot holds several options).
--
-- rankings counts the ballots per distinct ranking of each ranked poll, in
-- the vote batch's own statement: results count instant runoff over these
-- rows (a few hundred for a poll of five options), never over the ballots.
-- A count that reaches zero stays as a row.
--
-- changed_at is when a ballot was last changed, for the ballot file. Every
-- statement is quick on a large table (constant defaults, a new table).
ALTER TABLE polls
    ADD COLUMN ranked boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT polls_ranked_multiple CHECK (NOT ranked OR multiple);
ALTER TABLE ballots ADD COLUMN changed_at timestamptz;

CREATE TABLE rankings (
    poll_id text       NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    ranking smallint[] NOT NULL CHECK (cardinality(ranking) BETWEEN 1 AND 20),
    ballots bigint     NOT NULL CHECK (ballots >= 0),
    PRIMARY KEY (poll_id, ranking)
);
