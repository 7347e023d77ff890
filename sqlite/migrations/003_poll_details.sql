-- What creators add to a poll: a description under the question, limits on
-- how many options one ballot takes, and whether voters may change their
-- ballot while the poll is open. A single choice poll takes exactly one.
ALTER TABLE polls ADD COLUMN description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000);
ALTER TABLE polls ADD COLUMN min_choices INTEGER NOT NULL DEFAULT 1 CHECK (min_choices >= 1 AND (multiple = 1 OR min_choices = 1));
ALTER TABLE polls ADD COLUMN max_choices INTEGER NOT NULL DEFAULT 1 CHECK (max_choices BETWEEN min_choices AND 20 AND (multiple = 1 OR max_choices = 1));
ALTER TABLE polls ADD COLUMN allow_changes INTEGER NOT NULL DEFAULT 0 CHECK (allow_changes IN (0, 1));

-- A multiple choice poll made before limits existed takes up to every option.
UPDATE polls SET max_choices = (SELECT count(*) FROM options WHERE options.poll_id = polls.id) WHERE multiple = 1;
