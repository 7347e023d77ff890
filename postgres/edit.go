package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pollstack/pollstack"
)

// EditPoll applies an edit in one transaction that holds the poll row's
// lock, which every vote batch statement takes too: a batch that committed
// before is in the counts the edit is checked against, and a batch after it
// finds a new version and admits its ballots again against the edited poll
// (storeBallots), whichever server cached the old one.
func (s *Store) EditPoll(ctx context.Context, id string, ifVersion int, edit pollstack.PollEdit, now time.Time) (*pollstack.Poll, error) {
	var q *pollstack.Poll
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var version int
			err := tx.QueryRow(ctx, `SELECT version FROM polls WHERE id = $1 FOR UPDATE`, id).Scan(&version)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return pollstack.ErrPollNotFound
			case err != nil:
				return err
			case ifVersion != 0 && ifVersion != version:
				return pollstack.ErrVersionStale
			}
			polls, err := loadPolls(ctx, tx, []string{id})
			if err != nil {
				return err
			}
			p := polls[id]
			counts, err := editCounts(ctx, tx, id)
			if err != nil {
				return err
			}
			if q, err = p.Edit(edit, counts, now); err != nil {
				return err
			}
			return writeEdit(ctx, tx, p, q)
		})
	})
	s.forget(id)
	if pollstack.ErrorOf(err) != nil {
		return nil, err
	}
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: edit poll: %w", err))
	}
	return q, nil
}

// editCounts reads the ballots and each option's votes (a meeting slot's
// "if need be" answers too) inside the edit's transaction.
func editCounts(ctx context.Context, tx pgx.Tx, id string) (pollstack.Results, error) {
	counts := pollstack.Results{Counts: map[int]int{}}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ballots WHERE poll_id = $1`, id).Scan(&counts.Total); err != nil {
		return counts, err
	}
	rows, err := tx.Query(ctx, `SELECT id, votes + if_need_be FROM options WHERE poll_id = $1`, id)
	if err != nil {
		return counts, err
	}
	var option int16
	var votes int
	_, err = pgx.ForEachRow(rows, []any{&option, &votes}, func() error {
		counts.Counts[int(option)] = votes
		return nil
	})
	return counts, err
}

// writeEdit stores the edited poll q over p with the next version, then its
// options, and tells the change feed on commit.
func writeEdit(ctx context.Context, tx pgx.Tx, p, q *pollstack.Poll) error {
	q.Version = p.Version + 1
	relabels := q.Relabels
	if relabels == nil {
		relabels = []pollstack.Relabel{}
	}
	_, err := tx.Exec(ctx, `UPDATE polls SET question = $2, description = $3, multiple = $4, min_choices = $5, max_choices = $6, allow_changes = $7, results = $8, closes_at = $9, closed_at = $10, decided = nullif($11, 0), duplicate_check = $12, relabels = $13, version = $14, last_option_id = $15 WHERE id = $1`,
		q.ID, q.Question, q.Description, q.Multiple, q.MinChoices, q.MaxChoices, q.AllowChanges, string(q.Visibility), q.ClosesAt, q.ClosedAt, q.Decided, string(q.DuplicateCheck), relabels, q.Version, q.LastOptionID)
	if err != nil {
		return err
	}
	ids := make([]int16, len(q.Options))
	labels := make([]string, len(q.Options))
	for i, o := range q.Options {
		ids[i], labels[i] = int16(o.ID), o.Label
	}
	// Only approved options are the edit's: voters' answers that wait for
	// the creator, or were rejected, keep their rows.
	if _, err := tx.Exec(ctx, `DELETE FROM options WHERE poll_id = $1 AND status = 'approved' AND id <> ALL($2::smallint[])`, q.ID, ids); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO options (poll_id, id, label) SELECT $1, * FROM unnest($2::smallint[], $3::text[]) ON CONFLICT (poll_id, id) DO UPDATE SET label = excluded.label`, q.ID, ids, labels); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify('`+changesChannel+`', $1)`, q.ID)
	return err
}
