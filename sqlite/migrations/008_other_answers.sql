-- Voters' own answers (allow_other): a poll may take them, shown at once
-- ('auto') or after the creator approves them ('creator'). Every option has
-- a status; only approved options are ever shown or counted in public. A
-- new answer is a new option row, so the option limit (20) bounds them.
ALTER TABLE polls ADD COLUMN allow_other INTEGER NOT NULL DEFAULT 0 CHECK (allow_other IN (0, 1) AND NOT (allow_other = 1 AND (ranked = 1 OR meeting = 1 OR allow_changes = 1)));
ALTER TABLE polls ADD COLUMN other_approval TEXT NOT NULL DEFAULT '' CHECK (other_approval IN ('', 'auto', 'creator') AND (allow_other = 1) = (other_approval <> ''));
ALTER TABLE options ADD COLUMN status TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'pending', 'rejected'));
