package postgres

import (
	"context"
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
		rows, err := c.Query(ctx, `SELECT p.ballots, p.closed_at, p.last_vote_at, p.ranked, p.meeting, coalesce(p.decided, 0), p.version, o.id, o.votes, o.if_need_be FROM polls p JOIN options o ON o.poll_id = p.id WHERE p.id = $1`, pollID)
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
		rows, err := c.Query(ctx, `SELECT option_ids, created_at, changed_at, coalesce(name, '') FROM ballots WHERE poll_id = $1 ORDER BY created_at`, pollID)
		if err != nil {
			return err
		}
		var options []int16
		var b pollstack.CastBallot
		_, err = pgx.ForEachRow(rows, []any{&options, &b.Cast, &b.Changed, &b.Name}, func() error {
			return each(pollstack.CastBallot{OptionIDs: fromInt16s(options), Cast: b.Cast.UTC(), Changed: inUTC(b.Changed), Name: b.Name})
		})
		return err
	})
	if err != nil && pollstack.ErrorOf(err) == nil {
		return markUnavailable(fmt.Errorf("postgres: ballots: %w", err))
	}
	return err
}
