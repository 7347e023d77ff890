-- ballots_public: the creator lets anyone download the ballot file once the
-- poll has closed (polls made before keep it to the creator).
ALTER TABLE polls ADD COLUMN ballots_public INTEGER NOT NULL DEFAULT 0 CHECK (ballots_public IN (0, 1));
