-- Retention: polls are deleted some time after their end or their last
-- activity (pollstack.Poll.DeletesAt). The time of a poll's latest ballot is
-- kept on the poll, written in the same statement that counts the ballots.
-- It has no index, so that the counting update stays a heap-only (HOT)
-- update; the retention job scans the polls now and then instead.
ALTER TABLE polls ADD COLUMN last_vote_at timestamptz;
