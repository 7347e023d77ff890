-- Duplicate checks: each poll says how its voters are told apart, and the
-- schema holds every rule, whatever the application does:
--   * one ballot per voter key and poll (the primary key): the voter cookie
--     ("browser"), a keyed hash of the client's address ("ip"), the hash of a
--     voter code ("code"), or a fresh key per ballot ("none");
--   * a ballot carries its poll's check (a foreign key to the pair), so a
--     "code" poll's ballot always names a voter code of that poll, which it
--     is keyed by: a code counts once;
--   * voter codes belong to "code" polls only, and are stored hashed.
ALTER TABLE polls ADD COLUMN duplicate_check TEXT NOT NULL DEFAULT 'browser'
    CHECK (duplicate_check IN ('browser', 'ip', 'code', 'none'));
CREATE UNIQUE INDEX polls_id_duplicate_check ON polls (id, duplicate_check);

CREATE TABLE voter_codes (
    poll_id         TEXT NOT NULL,
    duplicate_check TEXT NOT NULL DEFAULT 'code' CHECK (duplicate_check = 'code'),
    code            TEXT NOT NULL CHECK (length(code) = 43),
    PRIMARY KEY (poll_id, code),
    FOREIGN KEY (poll_id, duplicate_check) REFERENCES polls (id, duplicate_check) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- SQLite cannot add a table constraint to a table: ballots is rebuilt.
CREATE TABLE ballots_new (
    poll_id         TEXT    NOT NULL,
    voter_id        TEXT    NOT NULL CHECK (length(voter_id) BETWEEN 1 AND 64),
    option_ids      TEXT    NOT NULL CHECK (json_valid(option_ids) AND json_array_length(option_ids) BETWEEN 1 AND 20),
    created_at      INTEGER NOT NULL,
    duplicate_check TEXT    NOT NULL,
    code            TEXT    CHECK (code IS NULL OR code = voter_id),
    PRIMARY KEY (poll_id, voter_id),
    FOREIGN KEY (poll_id, duplicate_check) REFERENCES polls (id, duplicate_check) ON DELETE CASCADE,
    FOREIGN KEY (poll_id, code) REFERENCES voter_codes (poll_id, code) ON DELETE CASCADE,
    CHECK ((duplicate_check = 'code') = (code IS NOT NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO ballots_new (poll_id, voter_id, option_ids, created_at, duplicate_check)
    SELECT poll_id, voter_id, option_ids, created_at, 'browser' FROM ballots;
DROP TABLE ballots;
ALTER TABLE ballots_new RENAME TO ballots;
