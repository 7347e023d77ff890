-- Retention: polls are deleted some time after their end or their last
-- activity (pollstack.Poll.DeletesAt). The time of a poll's latest ballot is
-- kept on the poll, written in the same statement that counts the ballots.
-- It has no index: the vote batch updates it, and an indexed column would
-- cost every vote; the retention job scans the polls now and then instead.
ALTER TABLE polls ADD COLUMN last_vote_at INTEGER;
