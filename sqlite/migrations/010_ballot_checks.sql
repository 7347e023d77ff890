-- ballots_public: the creator lets anyone download the ballot file once the
-- poll has closed (polls made before keep it to the creator).
ALTER TABLE polls ADD COLUMN ballots_public INTEGER NOT NULL DEFAULT 0 CHECK (ballots_public IN (0, 1));

-- verifiable: each new ballot gets a receipt, shown once to its voter; the
-- ballot keeps only the receipt's SHA-256 (receipt_digest), which the
-- ballot file lists and by which "check my vote" finds the ballot.
ALTER TABLE polls ADD COLUMN verifiable INTEGER NOT NULL DEFAULT 0 CHECK (verifiable IN (0, 1));
ALTER TABLE ballots ADD COLUMN receipt_digest BLOB CHECK (receipt_digest IS NULL OR length(receipt_digest) = 32);
CREATE UNIQUE INDEX ballots_receipt ON ballots (poll_id, receipt_digest) WHERE receipt_digest IS NOT NULL;
