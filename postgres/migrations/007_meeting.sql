-- Meeting polls: options are time slots or dates (up to 100), a ballot
-- answers each slot yes, if need be or no under the participant's name.
-- A meeting ballot keeps its answers in option_ids as the domain encodes
-- them (pollstack.EncodeAnswers: +id yes, -id if need be, "no" left out, so
-- possibly none), with its name; options count "yes" in votes and "if need
-- be" in if_need_be. decided is the slot the creator picked, which closed
-- the poll.
--
-- The wider limits replace the old checks, which every stored row already
-- meets; the new ballot check is added NOT VALID and validated in a
-- statement of its own (a scan that blocks no writer once the migration
-- lock is gone). The new columns have constant defaults: quick on a large
-- table.
ALTER TABLE polls
    ADD COLUMN meeting    boolean  NOT NULL DEFAULT false,
    ADD COLUMN hide_names boolean  NOT NULL DEFAULT false,
    ADD COLUMN decided    smallint,
    ADD CONSTRAINT polls_meeting_kind CHECK (NOT meeting OR NOT (multiple OR ranked)),
    ADD CONSTRAINT polls_hide_names CHECK (NOT hide_names OR meeting),
    ADD CONSTRAINT polls_decided CHECK (decided IS NULL OR (meeting AND decided BETWEEN 1 AND 100 AND closed_at IS NOT NULL));

ALTER TABLE options
    DROP CONSTRAINT options_id_check,
    ADD CONSTRAINT options_id_check CHECK (id BETWEEN 1 AND 100),
    ADD COLUMN if_need_be bigint NOT NULL DEFAULT 0 CHECK (if_need_be >= 0);

ALTER TABLE ballots
    ADD COLUMN name text CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 60),
    DROP CONSTRAINT ballots_option_ids_check,
    ADD CONSTRAINT ballots_option_ids_check CHECK (
        (cardinality(option_ids) BETWEEN 1 AND 20 AND 1 <= ALL (option_ids) AND 20 >= ALL (option_ids))
        OR (name IS NOT NULL AND cardinality(option_ids) <= 100
            AND -100 <= ALL (option_ids) AND 100 >= ALL (option_ids) AND 0 <> ALL (option_ids))) NOT VALID;
ALTER TABLE ballots VALIDATE CONSTRAINT ballots_option_ids_check;
