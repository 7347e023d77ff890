-- What creators add to a poll: a description under the question, limits on
-- how many options one ballot takes, and whether voters may change their
-- ballot while the poll is open. A single choice poll takes exactly one.
ALTER TABLE polls
    ADD COLUMN description   text     NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
    ADD COLUMN min_choices   smallint NOT NULL DEFAULT 1,
    ADD COLUMN max_choices   smallint NOT NULL DEFAULT 1,
    ADD COLUMN allow_changes boolean  NOT NULL DEFAULT false;

-- A multiple choice poll made before limits existed takes up to every option.
UPDATE polls SET max_choices = (SELECT count(*) FROM options WHERE options.poll_id = polls.id) WHERE multiple;

ALTER TABLE polls ADD CONSTRAINT polls_choice_limits
    CHECK (1 <= min_choices AND min_choices <= max_choices AND max_choices <= 20 AND (multiple OR max_choices = 1));
