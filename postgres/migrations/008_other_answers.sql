-- Voters' own answers (allow_other): a poll may take them, shown at once
-- ('auto') or after the creator approves them ('creator'). Every option has
-- a status; only approved options are ever shown or counted in public. A
-- new answer is a new option row, so the option limit (20) bounds them.
ALTER TABLE polls
    ADD COLUMN allow_other    boolean NOT NULL DEFAULT false,
    ADD COLUMN other_approval text    NOT NULL DEFAULT '' CHECK (other_approval IN ('', 'auto', 'creator')),
    ADD CONSTRAINT polls_other_approval CHECK (allow_other = (other_approval <> '')),
    ADD CONSTRAINT polls_other_kind CHECK (NOT allow_other OR NOT (ranked OR meeting OR allow_changes));

ALTER TABLE options
    ADD COLUMN status text NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'pending', 'rejected'));
