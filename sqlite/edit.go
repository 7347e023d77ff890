package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pollstack/pollstack"
)

// EditPoll applies an edit in one transaction on the store's one write
// connection, which also writes the vote batches: a batch before it is in
// the counts the edit is checked against, a batch after it checks its
// ballots against the edited poll.
func (s *Store) EditPoll(ctx context.Context, id string, ifVersion int, edit pollstack.PollEdit, now time.Time) (*pollstack.Poll, error) {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: edit poll: %w", err)
	}
	defer tx.Rollback()
	polls, err := loadPolls(ctx, tx, []string{id})
	if err != nil {
		return nil, err
	}
	p := polls[id]
	switch {
	case p == nil:
		return nil, pollstack.ErrPollNotFound
	case ifVersion != 0 && ifVersion != p.Version:
		return nil, pollstack.ErrVersionStale
	}
	counts, err := editCounts(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	q, err := p.Edit(edit, counts, now)
	if err != nil {
		return nil, err
	}
	if err := writeEdit(ctx, tx, p, q); err != nil {
		return nil, fmt.Errorf("sqlite: edit poll: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: edit poll: %w", err)
	}
	s.changes.Publish([]string{id})
	return q, nil
}

// editCounts reads the ballots and each option's votes (a meeting slot's
// "if need be" answers too) inside the edit's transaction.
func editCounts(ctx context.Context, tx *sql.Tx, id string) (pollstack.Results, error) {
	counts := pollstack.Results{Counts: map[int]int{}}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ballots WHERE poll_id = ?`, id).Scan(&counts.Total); err != nil {
		return counts, fmt.Errorf("sqlite: edit poll counts: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, votes + if_need_be FROM options WHERE poll_id = ?`, id)
	if err != nil {
		return counts, fmt.Errorf("sqlite: edit poll counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var option, votes int
		if err := rows.Scan(&option, &votes); err != nil {
			return counts, fmt.Errorf("sqlite: edit poll counts: %w", err)
		}
		counts.Counts[option] = votes
	}
	return counts, rows.Err()
}

// writeEdit stores the edited poll q over p: its settings with the next
// version, then its options (deleted, relabelled, added).
func writeEdit(ctx context.Context, tx *sql.Tx, p, q *pollstack.Poll) error {
	relabels, err := json.Marshal(q.Relabels)
	if err != nil {
		return err
	}
	q.Version = p.Version + 1
	_, err = tx.ExecContext(ctx, `UPDATE polls SET question = ?, description = ?, multiple = ?, min_choices = ?, max_choices = ?, allow_changes = ?, results = ?, closes_at = ?, closed_at = ?, decided = nullif(?, 0), duplicate_check = ?, relabels = ?, version = ?, last_option_id = ? WHERE id = ?`,
		q.Question, q.Description, q.Multiple, q.MinChoices, q.MaxChoices, q.AllowChanges, string(q.Visibility), micros(q.ClosesAt), micros(q.ClosedAt), q.Decided, string(q.DuplicateCheck), string(relabels), q.Version, q.LastOptionID, q.ID)
	if err != nil {
		return err
	}
	keep := map[int]bool{}
	for _, o := range q.Options {
		keep[o.ID] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO options (poll_id, id, label) VALUES (?, ?, ?) ON CONFLICT (poll_id, id) DO UPDATE SET label = excluded.label`, q.ID, o.ID, o.Label); err != nil {
			return err
		}
	}
	for _, o := range p.Options {
		if !keep[o.ID] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM options WHERE poll_id = ? AND id = ?`, q.ID, o.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
