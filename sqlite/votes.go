package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pollstack/pollstack"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Vote queues the ballot for the next group commit and waits for it.
func (s *Store) Vote(ctx context.Context, b pollstack.Ballot) error {
	return s.votes.Submit(ctx, b)
}

// storeBallots writes one batch of ballots in one transaction.
func (s *Store) storeBallots(ctx context.Context, ballots []pollstack.Ballot) ([]error, error) {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin vote batch: %w", err)
	}
	defer tx.Rollback()
	polls, err := loadPolls(ctx, tx, pollstack.PollIDs(ballots))
	if err != nil {
		return nil, err
	}
	now := s.now()
	keys, outcomes := pollstack.Admit(ballots, polls, now)
	stored, replaced := make([]bool, len(ballots)), make([][]int, len(ballots))
	answers := make(map[string][]pollstack.StoredOption) // every option of polls with voters' answers, as placed so far
	// In batch order: with one writer, a voter's vote and changes apply in
	// the order they came.
	for i, b := range ballots {
		if outcomes[i] != nil {
			continue
		}
		p := polls[b.PollID]
		var code any // NULL unless the poll is a "code" poll: then the key is the code
		if p.DuplicateCheck == pollstack.CheckCode {
			var known int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM voter_codes WHERE poll_id = ? AND code = ?`, b.PollID, keys[i]).Scan(&known); err != nil {
				return nil, fmt.Errorf("sqlite: look up voter code: %w", err)
			}
			if known == 0 {
				outcomes[i] = pollstack.ErrInvalidCode
				continue
			}
			code = keys[i]
		}
		if b.Other != "" {
			if outcomes[i], err = placeOther(ctx, tx, p, &ballots[i], keys[i], answers); err != nil {
				return nil, err
			}
			if outcomes[i] != nil {
				continue
			}
			b = ballots[i]
		}
		if b.Change {
			if replaced[i], err = changeBallot(ctx, tx, b, keys[i], now); err != nil {
				if errors.Is(err, pollstack.ErrNotVoted) {
					outcomes[i] = err
					continue
				}
				return nil, err
			}
			stored[i] = true
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code, name, receipt_digest) VALUES (?, ?, ?, ?, ?, ?, nullif(?, ''), ?) ON CONFLICT DO NOTHING`,
			b.PollID, keys[i], jsonInts(b.OptionIDs), now.UnixMicro(), string(p.DuplicateCheck), code, b.Name, nullBytes(b.ReceiptDigest))
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert ballot: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			outcomes[i] = p.DuplicateError()
			continue
		}
		stored[i] = true
	}
	tallies := pollstack.Tally(ballots, stored, replaced)
	for pollID, t := range tallies {
		if _, err := tx.ExecContext(ctx, `UPDATE polls SET ballots = ballots + ?, last_vote_at = CASE WHEN ? > 0 THEN ? ELSE last_vote_at END WHERE id = ?`, t.Total, t.Total, now.UnixMicro(), pollID); err != nil {
			return nil, fmt.Errorf("sqlite: count ballots: %w", err)
		}
		for opt, n := range t.Counts {
			if _, err := tx.ExecContext(ctx, `UPDATE options SET votes = votes + ? WHERE poll_id = ? AND id = ?`, n, pollID, opt); err != nil {
				return nil, fmt.Errorf("sqlite: count votes: %w", err)
			}
		}
		for opt, n := range t.IfNeedBe {
			if _, err := tx.ExecContext(ctx, `UPDATE options SET if_need_be = if_need_be + ? WHERE poll_id = ? AND id = ?`, n, pollID, opt); err != nil {
				return nil, fmt.Errorf("sqlite: count if need be: %w", err)
			}
		}
	}
	if err := countRankings(ctx, tx, pollstack.RankingMoves(ballots, stored, replaced, polls)); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: commit vote batch: %w", err)
	}
	s.publish(tallies)
	return outcomes, nil
}

// placeOther places the ballot's own answer (pollstack.PlaceOther) among
// the options of its poll, adding a new option if need be, and adds the
// option to the ballot; the outcome says why it could not. A voter who has
// voted already adds nothing. The store's one writer runs the batch, so two
// voters writing the same answer find one option. answers holds each poll's
// options as this batch left them.
func placeOther(ctx context.Context, tx *sql.Tx, p *pollstack.Poll, b *pollstack.Ballot, key string, answers map[string][]pollstack.StoredOption) (outcome, err error) {
	var voted int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ballots WHERE poll_id = ? AND voter_id = ?`, b.PollID, key).Scan(&voted); err != nil {
		return nil, fmt.Errorf("sqlite: place answer: %w", err)
	}
	if voted > 0 {
		return p.DuplicateError(), nil
	}
	options, ok := answers[b.PollID]
	if !ok {
		if options, err = storedOptions(ctx, tx, b.PollID, ""); err != nil {
			return nil, err
		}
	}
	id, added, err := pollstack.PlaceOther(p, options, b.Other)
	if err != nil {
		return err, nil
	}
	if added != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO options (poll_id, id, label, status) VALUES (?, ?, ?, ?)`, b.PollID, added.ID, added.Label, string(added.Status)); err != nil {
			return nil, fmt.Errorf("sqlite: add answer: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE polls SET last_option_id = max(last_option_id, ?) WHERE id = ?`, added.ID, b.PollID); err != nil {
			return nil, fmt.Errorf("sqlite: add answer: %w", err)
		}
		options = append(options, *added)
	}
	answers[b.PollID] = options
	b.OptionIDs = pollstack.WithOther(b.OptionIDs, id)
	return nil, nil
}

// storedOptions reads the poll's options with their status and votes; a
// status other than "" keeps those only.
func storedOptions(ctx context.Context, db queryer, pollID string, status pollstack.AnswerStatus) ([]pollstack.StoredOption, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, label, status, votes FROM options WHERE poll_id = ? AND ? IN ('', status) ORDER BY id`, pollID, string(status))
	if err != nil {
		return nil, fmt.Errorf("sqlite: read options: %w", err)
	}
	defer rows.Close()
	var out []pollstack.StoredOption
	for rows.Next() {
		var o pollstack.StoredOption
		var st string
		if err := rows.Scan(&o.ID, &o.Label, &st, &o.Votes); err != nil {
			return nil, fmt.Errorf("sqlite: read options: %w", err)
		}
		o.Status = pollstack.AnswerStatus(st)
		out = append(out, o)
	}
	return out, rows.Err()
}

// PendingAnswers returns the voters' answers that wait for the creator.
func (s *Store) PendingAnswers(ctx context.Context, pollID string) ([]pollstack.StoredOption, error) {
	if _, err := s.Poll(ctx, pollID); err != nil {
		return nil, err
	}
	s.transactions.Add(1)
	return storedOptions(ctx, s.read, pollID, pollstack.AnswerPending)
}

// ReviewAnswer approves or rejects a pending answer, then tells the watchers.
func (s *Store) ReviewAnswer(ctx context.Context, pollID string, optionID int, approve bool) error {
	status := pollstack.AnswerRejected
	if approve {
		status = pollstack.AnswerApproved
	}
	s.transactions.Add(1)
	res, err := s.write.ExecContext(ctx, `UPDATE options SET status = ? WHERE poll_id = ? AND id = ? AND status = 'pending'`, string(status), pollID, optionID)
	if err != nil {
		return fmt.Errorf("sqlite: review answer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return pollstack.ErrAnswerNotPending
	}
	s.changes.Publish([]string{pollID})
	return nil
}

// nullBytes is b, or NULL when it is empty.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// publish tells the watchers which polls got ballots in a committed batch.
func (s *Store) publish(tallies map[string]pollstack.Results) {
	if len(tallies) == 0 {
		return
	}
	ids := make([]string, 0, len(tallies))
	for id := range tallies {
		ids = append(ids, id)
	}
	s.changes.Publish(ids)
}

// Watch tells changed about the polls this process changes.
func (s *Store) Watch(changed func(pollIDs []string)) (stop func()) {
	return s.changes.Watch(changed)
}

// changeBallot replaces the options of the ballot under key and returns
// the options it had, or ErrNotVoted. The store's one writer runs the batch,
// so nothing changes the row between the two statements.
func changeBallot(ctx context.Context, tx *sql.Tx, b pollstack.Ballot, key string, now time.Time) ([]int, error) {
	var old string
	err := tx.QueryRowContext(ctx, `SELECT option_ids FROM ballots WHERE poll_id = ? AND voter_id = ?`, b.PollID, key).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pollstack.ErrNotVoted
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: change ballot: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ballots SET option_ids = ?, changed_at = ?, name = nullif(?, '') WHERE poll_id = ? AND voter_id = ?`, jsonInts(b.OptionIDs), now.UnixMicro(), b.Name, b.PollID, key); err != nil {
		return nil, fmt.Errorf("sqlite: change ballot: %w", err)
	}
	return parseInts(old)
}

// BallotOf returns the options of the poll's ballot under the voter key.
func (s *Store) BallotOf(ctx context.Context, pollID, voterKey string) ([]int, error) {
	var options string
	s.transactions.Add(1)
	err := s.read.QueryRowContext(ctx, `SELECT option_ids FROM ballots WHERE poll_id = ? AND voter_id = ?`, pollID, voterKey).Scan(&options)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pollstack.ErrNotVoted
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: ballot: %w", err)
	}
	return parseInts(options)
}

// NameOf returns the name on the ballot under the voter key.
func (s *Store) NameOf(ctx context.Context, pollID, voterKey string) (string, error) {
	var name string
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(name, '') FROM ballots WHERE poll_id = ? AND voter_id = ?`, pollID, voterKey).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", pollstack.ErrNotVoted
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: name: %w", err)
	}
	return name, nil
}

// HasVoted reports whether the poll has a ballot under the voter key.
func (s *Store) HasVoted(ctx context.Context, pollID, voterKey string) (bool, error) {
	var n int
	s.transactions.Add(1)
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM ballots WHERE poll_id = ? AND voter_id = ?`, pollID, voterKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: has voted: %w", err)
	}
	return n > 0, nil
}

// countRankings moves the counts per ranking of ranked polls in the vote
// batch's transaction. A count moves once per batch whatever its ballots;
// one that falls is a plain update, so that the schema's "never below zero"
// is checked on the result, never on a negative insert.
func countRankings(ctx context.Context, tx *sql.Tx, moves map[string][]pollstack.Ranking) error {
	for pollID, rankings := range moves {
		for _, r := range rankings {
			query := `INSERT INTO rankings (poll_id, ranking, ballots) VALUES (?1, ?2, ?3) ON CONFLICT (poll_id, ranking) DO UPDATE SET ballots = ballots + excluded.ballots`
			if r.Ballots < 0 {
				query = `UPDATE rankings SET ballots = ballots + ?3 WHERE poll_id = ?1 AND ranking = ?2`
			}
			if _, err := tx.ExecContext(ctx, query, pollID, jsonInts(r.OptionIDs), r.Ballots); err != nil {
				return fmt.Errorf("sqlite: count rankings: %w", err)
			}
		}
	}
	return nil
}
