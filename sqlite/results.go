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

// Results reads the counters of a poll, and when it was closed by hand.
func (s *Store) Results(ctx context.Context, pollID string) (pollstack.Results, error) {
	r := pollstack.Results{Counts: make(map[int]int)}
	var closedAt, lastVote sql.NullInt64
	var ranked, meeting bool
	s.transactions.Add(2) // the poll's counters, its options'
	err := s.read.QueryRowContext(ctx, `SELECT ballots, closed_at, last_vote_at, ranked, meeting, coalesce(decided, 0), version FROM polls WHERE id = ?`, pollID).Scan(&r.Total, &closedAt, &lastVote, &ranked, &meeting, &r.Decided, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return r, pollstack.ErrPollNotFound
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: results: %w", err)
	}
	r.ClosedAt, r.LastVote = fromMicros(closedAt), fromMicros(lastVote)
	if meeting {
		r.IfNeedBe = make(map[int]int)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, votes, if_need_be FROM options WHERE poll_id = ? AND status = 'approved'`, pollID)
	if err != nil {
		return r, fmt.Errorf("sqlite: results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, votes, ifNeedBe int
		if err := rows.Scan(&id, &votes, &ifNeedBe); err != nil {
			return r, fmt.Errorf("sqlite: results: %w", err)
		}
		r.Counts[id] = votes
		if meeting {
			r.IfNeedBe[id] = ifNeedBe
		}
	}
	if err := rows.Err(); err != nil || !ranked {
		return r, err
	}
	r.Rankings, err = s.rankings(ctx, pollID)
	r.Total = pollstack.RankedBallots(r.Rankings) // as of the same read as the rankings
	return r, err
}

// rankings reads the counts per ranking of a ranked poll.
func (s *Store) rankings(ctx context.Context, pollID string) ([]pollstack.Ranking, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT ranking, ballots FROM rankings WHERE poll_id = ? AND ballots > 0`, pollID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: rankings: %w", err)
	}
	defer rows.Close()
	var out []pollstack.Ranking
	for rows.Next() {
		var ranking string
		var r pollstack.Ranking
		if err := rows.Scan(&ranking, &r.Ballots); err != nil {
			return nil, fmt.Errorf("sqlite: rankings: %w", err)
		}
		if r.OptionIDs, err = parseInts(ranking); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Ballots streams the poll's ballots in the order they were cast.
func (s *Store) Ballots(ctx context.Context, pollID string, each func(pollstack.CastBallot) error) error {
	if _, err := s.Poll(ctx, pollID); err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+castBallotColumns+` FROM ballots WHERE poll_id = ? ORDER BY created_at`, pollID)
	if err != nil {
		return fmt.Errorf("sqlite: ballots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanCastBallot(rows)
		if err != nil {
			return err
		}
		if err := each(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: ballots: %w", err)
	}
	return nil
}

// BallotByReceipt returns the poll's ballot whose receipt has the digest.
func (s *Store) BallotByReceipt(ctx context.Context, pollID string, digest []byte) (pollstack.CastBallot, error) {
	b, err := scanCastBallot(s.read.QueryRowContext(ctx, `SELECT `+castBallotColumns+` FROM ballots WHERE poll_id = ? AND receipt_digest = ?`, pollID, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return pollstack.CastBallot{}, pollstack.ErrReceiptUnknown
	}
	return b, err
}

// castBallotColumns are the columns of a ballot that scanCastBallot reads.
const castBallotColumns = `option_ids, created_at, changed_at, coalesce(name, ''), receipt_digest`

// scanCastBallot reads a ballot as CastBallot shows it.
func scanCastBallot(row interface{ Scan(...any) error }) (pollstack.CastBallot, error) {
	var options, name string
	var cast int64
	var changed sql.NullInt64
	var digest []byte
	if err := row.Scan(&options, &cast, &changed, &name, &digest); err != nil {
		return pollstack.CastBallot{}, fmt.Errorf("sqlite: ballot: %w", err)
	}
	ids, err := parseInts(options)
	if err != nil {
		return pollstack.CastBallot{}, err
	}
	return pollstack.CastBallot{OptionIDs: ids, Cast: time.UnixMicro(cast).UTC(), Changed: fromMicros(changed), Name: name, ReceiptDigest: digest}, nil
}
