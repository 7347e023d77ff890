-- Creators edit polls (pollstack.Poll.Edit): version counts the edits and
-- is the poll's ETag, so that a stale edit is refused; relabels is the
-- public change log of options relabelled after they had votes, a JSON
-- array of pollstack.Relabel, at most 50 entries; last_option_id is the
-- highest option ID the poll ever had, so that a new option never takes the
-- ID of a deleted one.
ALTER TABLE polls ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE polls ADD COLUMN relabels TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(relabels) AND json_array_length(relabels) <= 50);
ALTER TABLE polls ADD COLUMN last_option_id INTEGER NOT NULL DEFAULT 0 CHECK (last_option_id BETWEEN 0 AND 100);
UPDATE polls SET last_option_id = (SELECT coalesce(max(id), 0) FROM options WHERE options.poll_id = polls.id);
-- A short code a room types to reach a poll (pollstack.JoinCode); polls made
-- before it have none.
ALTER TABLE polls ADD COLUMN join_code TEXT CHECK (join_code IS NULL OR length(join_code) = 6);
CREATE UNIQUE INDEX polls_join_code ON polls (join_code);
-- A poll on a shared device (pollstack.Poll.Kiosk): the page resets for the
-- next voter. It counts every submission (duplicate check none).
ALTER TABLE polls ADD COLUMN kiosk INTEGER NOT NULL DEFAULT 0 CHECK (kiosk IN (0, 1));
