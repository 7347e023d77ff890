-- ballots_public: the creator lets anyone download the ballot file once the
-- poll has closed (polls made before keep it to the creator).
ALTER TABLE polls ADD COLUMN ballots_public boolean NOT NULL DEFAULT false;

-- verifiable: each new ballot gets a receipt, shown once to its voter; the
-- ballot keeps only the receipt's SHA-256 (receipt_digest), which the
-- ballot file lists and by which "check my vote" finds the ballot. The
-- column's check is NOT VALID (every existing row is NULL), so adding it
-- scans nothing; the partial index reads the ballots once.
ALTER TABLE polls ADD COLUMN verifiable boolean NOT NULL DEFAULT false;
ALTER TABLE ballots ADD COLUMN receipt_digest bytea;
ALTER TABLE ballots ADD CONSTRAINT ballots_receipt_digest_size CHECK (octet_length(receipt_digest) = 32) NOT VALID;
CREATE UNIQUE INDEX ballots_receipt ON ballots (poll_id, receipt_digest) WHERE receipt_digest IS NOT NULL;
