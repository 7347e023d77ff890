-- Meeting polls: options are time slots or dates (up to 100), a ballot
-- answers each slot yes, if need be or no under the participant's name.
-- A meeting ballot keeps its answers in option_ids as the domain encodes
-- them (pollstack.EncodeAnswers: +id yes, -id if need be, "no" left out, so
-- possibly none), with its name; options count "yes" in votes and "if need
-- be" in if_need_be. decided is the slot the creator picked, which closed
-- the poll.
--
-- SQLite cannot change a column's CHECK, so options and ballots are rebuilt
-- with the wider limits, as 002 rebuilt ballots.
ALTER TABLE polls ADD COLUMN meeting INTEGER NOT NULL DEFAULT 0 CHECK (meeting IN (0, 1) AND (meeting = 0 OR (multiple = 0 AND ranked = 0)));
ALTER TABLE polls ADD COLUMN hide_names INTEGER NOT NULL DEFAULT 0 CHECK (hide_names IN (0, 1) AND (hide_names = 0 OR meeting = 1));
ALTER TABLE polls ADD COLUMN decided INTEGER CHECK (decided IS NULL OR (meeting = 1 AND decided BETWEEN 1 AND 100 AND closed_at IS NOT NULL));

CREATE TABLE options_new (
    poll_id    TEXT    NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    id         INTEGER NOT NULL CHECK (id BETWEEN 1 AND 100),
    label      TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 120),
    votes      INTEGER NOT NULL DEFAULT 0 CHECK (votes >= 0),
    if_need_be INTEGER NOT NULL DEFAULT 0 CHECK (if_need_be >= 0),
    PRIMARY KEY (poll_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO options_new (poll_id, id, label, votes) SELECT poll_id, id, label, votes FROM options;
DROP TABLE options;
ALTER TABLE options_new RENAME TO options;

CREATE TABLE ballots_new (
    poll_id         TEXT    NOT NULL,
    voter_id        TEXT    NOT NULL CHECK (length(voter_id) BETWEEN 1 AND 64),
    option_ids      TEXT    NOT NULL CHECK (json_valid(option_ids) AND (json_array_length(option_ids) BETWEEN 1 AND 20
                                            OR (name IS NOT NULL AND json_array_length(option_ids) <= 100))),
    created_at      INTEGER NOT NULL,
    duplicate_check TEXT    NOT NULL,
    code            TEXT    CHECK (code IS NULL OR code = voter_id),
    changed_at      INTEGER,
    name            TEXT    CHECK (name IS NULL OR length(name) BETWEEN 1 AND 60),
    PRIMARY KEY (poll_id, voter_id),
    FOREIGN KEY (poll_id, duplicate_check) REFERENCES polls (id, duplicate_check) ON DELETE CASCADE,
    FOREIGN KEY (poll_id, code) REFERENCES voter_codes (poll_id, code) ON DELETE CASCADE,
    CHECK ((duplicate_check = 'code') = (code IS NOT NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO ballots_new (poll_id, voter_id, option_ids, created_at, duplicate_check, code, changed_at)
    SELECT poll_id, voter_id, option_ids, created_at, duplicate_check, code, changed_at FROM ballots;
DROP TABLE ballots;
ALTER TABLE ballots_new RENAME TO ballots;
