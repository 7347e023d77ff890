package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pollstack/pollstack"
)

// Results reads the counters of a poll, and when it was closed by hand, in
// one query.
func (s *Store) Results(ctx context.Context, pollID string) (pollstack.Results, error) {
	r := pollstack.Results{Counts: make(map[int]int)}
	found := false
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT p.ballots, p.closed_at, p.last_vote_at, p.ranked, p.meeting, coalesce(p.decided, 0), p.version, o.id, o.votes, o.if_need_be FROM polls p JOIN options o ON o.poll_id = p.id AND o.status = 'approved' WHERE p.id = $1`, pollID)
		if err != nil {
			return err
		}
		var total, votes, ifNeedBe int64
		var id, decided int16
		var ranked, meeting bool
		_, err = pgx.ForEachRow(rows, []any{&total, &r.ClosedAt, &r.LastVote, &ranked, &meeting, &decided, &r.Version, &id, &votes, &ifNeedBe}, func() error {
			found = true
			r.Total, r.Counts[int(id)], r.Decided = int(total), int(votes), int(decided)
			if meeting {
				if r.IfNeedBe == nil {
					r.IfNeedBe = make(map[int]int)
				}
				r.IfNeedBe[int(id)] = int(ifNeedBe)
			}
			return nil
		})
		r.ClosedAt, r.LastVote = inUTC(r.ClosedAt), inUTC(r.LastVote)
		if err != nil || !ranked {
			return err
		}
		r.Rankings, err = rankings(ctx, c, pollID)
		r.Total = pollstack.RankedBallots(r.Rankings) // as of the same read as the rankings
		return err
	})
	if err != nil {
		return r, markUnavailable(fmt.Errorf("postgres: results: %w", err))
	}
	if !found {
		return r, pollstack.ErrPollNotFound
	}
	return r, nil
}

// rankings reads the counts per ranking of a ranked poll.
func rankings(ctx context.Context, q querier, pollID string) ([]pollstack.Ranking, error) {
	rows, err := q.Query(ctx, `SELECT ranking, ballots FROM rankings WHERE poll_id = $1 AND ballots > 0`, pollID)
	if err != nil {
		return nil, err
	}
	var ranking []int16
	var n int64
	var out []pollstack.Ranking
	_, err = pgx.ForEachRow(rows, []any{&ranking, &n}, func() error {
		out = append(out, pollstack.Ranking{OptionIDs: fromInt16s(ranking), Ballots: int(n)})
		return nil
	})
	return out, err
}

func fromInt16s(ids []int16) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// Ballots streams the poll's ballots in the order they were cast, row by
// row from one query.
func (s *Store) Ballots(ctx context.Context, pollID string, each func(pollstack.CastBallot) error) error {
	if _, err := s.Poll(ctx, pollID); err != nil {
		return err
	}
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT `+castBallotColumns+` FROM ballots WHERE poll_id = $1 ORDER BY created_at`, pollID)
		if err != nil {
			return err
		}
		var row castBallotRow
		_, err = pgx.ForEachRow(rows, row.fields(), func() error { return each(row.ballot()) })
		return err
	})
	if err != nil && pollstack.ErrorOf(err) == nil {
		return markUnavailable(fmt.Errorf("postgres: ballots: %w", err))
	}
	return err
}

// BallotByReceipt returns the poll's ballot whose receipt has the digest.
func (s *Store) BallotByReceipt(ctx context.Context, pollID string, digest []byte) (pollstack.CastBallot, error) {
	var row castBallotRow
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT `+castBallotColumns+` FROM ballots WHERE poll_id = $1 AND receipt_digest = $2`, pollID, digest).Scan(row.fields()...)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return pollstack.CastBallot{}, pollstack.ErrReceiptUnknown
	}
	if err != nil {
		return pollstack.CastBallot{}, markUnavailable(fmt.Errorf("postgres: ballot by receipt: %w", err))
	}
	return row.ballot(), nil
}

// castBallotColumns are the columns of a ballot that castBallotRow reads.
const castBallotColumns = `option_ids, created_at, changed_at, coalesce(name, ''), receipt_digest`

// castBallotRow is a ballot row as CastBallot shows it.
type castBallotRow struct {
	options []int16
	b       pollstack.CastBallot
}

func (r *castBallotRow) fields() []any {
	return []any{&r.options, &r.b.Cast, &r.b.Changed, &r.b.Name, &r.b.ReceiptDigest}
}

func (r *castBallotRow) ballot() pollstack.CastBallot {
	return pollstack.CastBallot{OptionIDs: fromInt16s(r.options), Cast: r.b.Cast.UTC(), Changed: inUTC(r.b.Changed), Name: r.b.Name, ReceiptDigest: r.b.ReceiptDigest}
}
