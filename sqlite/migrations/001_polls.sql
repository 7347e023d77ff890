-- Polls, their options and ballots. Times are Unix microseconds (UTC).
-- The counters (polls.ballots, options.votes) are updated in the same
-- transaction as the ballots they count, so they always equal them.
CREATE TABLE polls (
    id               TEXT    NOT NULL PRIMARY KEY,
    question         TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    multiple         INTEGER NOT NULL CHECK (multiple IN (0, 1)),
    results          TEXT    NOT NULL CHECK (results IN ('always', 'after_vote', 'after_close')),
    closes_at        INTEGER,
    closed_at        INTEGER,
    created_at       INTEGER NOT NULL,
    admin_token_hash BLOB    NOT NULL CHECK (length(admin_token_hash) = 32),
    ballots          INTEGER NOT NULL DEFAULT 0 CHECK (ballots >= 0)
) STRICT;

CREATE TABLE options (
    poll_id TEXT    NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    id      INTEGER NOT NULL CHECK (id BETWEEN 1 AND 20),
    label   TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 120),
    votes   INTEGER NOT NULL DEFAULT 0 CHECK (votes >= 0),
    PRIMARY KEY (poll_id, id)
) STRICT, WITHOUT ROWID;

-- One ballot per voter per poll, whatever races the application loses. The
-- chosen options are a JSON array in the ballot row (one row per vote).
CREATE TABLE ballots (
    poll_id    TEXT    NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_id   TEXT    NOT NULL CHECK (length(voter_id) BETWEEN 1 AND 64),
    option_ids TEXT    NOT NULL CHECK (json_valid(option_ids) AND json_array_length(option_ids) BETWEEN 1 AND 20),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
) STRICT, WITHOUT ROWID;
