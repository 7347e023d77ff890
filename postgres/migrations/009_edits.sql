-- Creators edit polls (pollstack.Poll.Edit): version counts the edits and
-- is the poll's ETag, so that a stale edit is refused, and the vote batch
-- stores a ballot only under the version it was checked against; relabels
-- is the public change log of options relabelled after they had votes, a
-- JSON array of pollstack.Relabel, at most 50 entries; last_option_id is
-- the highest option ID the poll ever had, so that a new option never takes
-- the ID of a deleted one.
ALTER TABLE polls ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE polls ADD COLUMN relabels jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(relabels) = 'array' AND jsonb_array_length(relabels) <= 50);
ALTER TABLE polls ADD COLUMN last_option_id smallint NOT NULL DEFAULT 0 CHECK (last_option_id BETWEEN 0 AND 100);
UPDATE polls SET last_option_id = (SELECT coalesce(max(id), 0) FROM options WHERE options.poll_id = polls.id);
-- An edited poll's option IDs may pass 20 (deleted options leave gaps), up
-- to the options' own limit of 100; a ballot still names at most 20.
ALTER TABLE ballots
    DROP CONSTRAINT ballots_option_ids_check,
    ADD CONSTRAINT ballots_option_ids_check CHECK (
        (cardinality(option_ids) BETWEEN 1 AND 20 AND 1 <= ALL (option_ids) AND 100 >= ALL (option_ids))
        OR (name IS NOT NULL AND cardinality(option_ids) <= 100
            AND -100 <= ALL (option_ids) AND 100 >= ALL (option_ids) AND 0 <> ALL (option_ids))) NOT VALID;
ALTER TABLE ballots VALIDATE CONSTRAINT ballots_option_ids_check;
-- A short code a room types to reach a poll (pollstack.JoinCode); polls made
-- before it have none.
ALTER TABLE polls ADD COLUMN join_code text CHECK (join_code IS NULL OR length(join_code) = 6);
CREATE UNIQUE INDEX polls_join_code ON polls (join_code);
-- A poll on a shared device (pollstack.Poll.Kiosk): the page resets for the
-- next voter. It counts every submission (duplicate check none).
ALTER TABLE polls ADD COLUMN kiosk boolean NOT NULL DEFAULT false;
