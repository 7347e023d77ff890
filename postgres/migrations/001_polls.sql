-- Polls, their options and ballots. The counters (polls.ballots,
-- options.votes) are updated in the same transaction as the ballots they
-- count, once per option per batch, so they always equal the ballots.
CREATE TABLE polls (
    id               text        NOT NULL PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 64),
    question         text        NOT NULL CHECK (char_length(question) BETWEEN 1 AND 300),
    multiple         boolean     NOT NULL,
    results          text        NOT NULL CHECK (results IN ('always', 'after_vote', 'after_close')),
    closes_at        timestamptz,
    closed_at        timestamptz,
    created_at       timestamptz NOT NULL,
    admin_token_hash bytea       NOT NULL CHECK (length(admin_token_hash) = 32),
    ballots          bigint      NOT NULL DEFAULT 0 CHECK (ballots >= 0)
);

CREATE TABLE options (
    poll_id text     NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    id      smallint NOT NULL CHECK (id BETWEEN 1 AND 20),
    label   text     NOT NULL CHECK (char_length(label) BETWEEN 1 AND 120),
    votes   bigint   NOT NULL DEFAULT 0 CHECK (votes >= 0),
    PRIMARY KEY (poll_id, id)
);
CREATE UNIQUE INDEX options_label_unique ON options (poll_id, lower(label));

-- One ballot per voter per poll, whatever races the application loses. The
-- chosen options live in the ballot row: one row and one foreign-key check
-- per vote is what lets a hot poll take thousands of votes a second.
CREATE TABLE ballots (
    poll_id    text        NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_id   text        NOT NULL CHECK (char_length(voter_id) BETWEEN 1 AND 64),
    option_ids smallint[]  NOT NULL CHECK (cardinality(option_ids) BETWEEN 1 AND 20 AND 1 <= ALL (option_ids) AND 20 >= ALL (option_ids)),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
);
