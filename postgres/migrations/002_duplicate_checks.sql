-- Duplicate checks: each poll says how its voters are told apart, and the
-- schema holds every rule, whatever the application does:
--   * one ballot per voter key and poll (the primary key): the voter cookie
--     ("browser"), a keyed hash of the client's address ("ip"), the hash of a
--     voter code ("code"), or a fresh key per ballot ("none");
--   * a ballot carries its poll's check (a foreign key to the pair), so a
--     "code" poll's ballot always names a voter code of that poll, which it
--     is keyed by: a code counts once;
--   * voter codes belong to "code" polls only, and are stored hashed.
-- Every statement here is quick on a large table: the new columns have
-- constant defaults, and the new foreign keys are checked once.
ALTER TABLE polls ADD COLUMN duplicate_check text NOT NULL DEFAULT 'browser'
    CHECK (duplicate_check IN ('browser', 'ip', 'code', 'none'));
ALTER TABLE polls ADD CONSTRAINT polls_id_duplicate_check_key UNIQUE (id, duplicate_check);

CREATE TABLE voter_codes (
    poll_id         text NOT NULL,
    duplicate_check text NOT NULL DEFAULT 'code' CHECK (duplicate_check = 'code'),
    code            text NOT NULL CHECK (char_length(code) = 43),
    PRIMARY KEY (poll_id, code),
    FOREIGN KEY (poll_id, duplicate_check) REFERENCES polls (id, duplicate_check) ON DELETE CASCADE
);

ALTER TABLE ballots
    ADD COLUMN duplicate_check text NOT NULL DEFAULT 'browser',
    ADD COLUMN code text,
    DROP CONSTRAINT ballots_poll_id_fkey,
    ADD CONSTRAINT ballots_poll_check_fkey FOREIGN KEY (poll_id, duplicate_check)
        REFERENCES polls (id, duplicate_check) ON DELETE CASCADE,
    ADD CONSTRAINT ballots_code_fkey FOREIGN KEY (poll_id, code)
        REFERENCES voter_codes (poll_id, code) ON DELETE CASCADE,
    ADD CONSTRAINT ballots_code_is_key CHECK (code IS NULL OR code = voter_id),
    ADD CONSTRAINT ballots_code_needed CHECK ((duplicate_check = 'code') = (code IS NOT NULL));
ALTER TABLE ballots ALTER COLUMN duplicate_check DROP DEFAULT;
