package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pollstack/pollstack"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// CreatePoll stores a validated poll with its options and voter codes.
func (s *Store) CreatePoll(ctx context.Context, p *pollstack.Poll, codes []string) error {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create poll: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO polls (id, question, description, multiple, ranked, meeting, hide_names, min_choices, max_choices, allow_changes, results, closes_at, created_at, admin_token_hash, duplicate_check, embed_origins, allow_other, other_approval, ballots_public, verifiable, last_option_id, join_code, kiosk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, ''), ?)`,
		p.ID, p.Question, p.Description, p.Multiple, p.Ranked, p.Meeting, p.HideNames, p.MinChoices, p.MaxChoices, p.AllowChanges, string(p.Visibility), micros(p.ClosesAt), p.Created.UnixMicro(), p.AdminTokenHash, string(p.DuplicateCheck), strings.Join(p.EmbedOrigins, " "), p.AllowOther, string(p.OtherApproval), p.BallotsPublic, p.Verifiable, p.LastOptionID, p.JoinCode, p.Kiosk)
	if err != nil && strings.Contains(err.Error(), "polls.join_code") {
		return pollstack.ErrJoinCodeTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: create poll: %w", err)
	}
	for _, o := range p.Options {
		if _, err := tx.ExecContext(ctx, `INSERT INTO options (poll_id, id, label) VALUES (?, ?, ?)`, p.ID, o.ID, o.Label); err != nil {
			return fmt.Errorf("sqlite: create poll option %d: %w", o.ID, err)
		}
	}
	if err := insertCodes(ctx, tx, p.ID, codes); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create poll: %w", err)
	}
	return nil
}

// AddVoterCodes stores more voter codes of a "code" poll, up to the poll's limit.
func (s *Store) AddVoterCodes(ctx context.Context, pollID string, codes []string) error {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add voter codes: %w", err)
	}
	defer tx.Rollback()
	var check string
	var have int
	err = tx.QueryRowContext(ctx, `SELECT duplicate_check, (SELECT count(*) FROM voter_codes WHERE poll_id = polls.id) FROM polls WHERE id = ?`, pollID).Scan(&check, &have)
	if errors.Is(err, sql.ErrNoRows) {
		return pollstack.ErrPollNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: add voter codes: %w", err)
	}
	if err := pollstack.CheckAddCodes(pollstack.DuplicateCheck(check), have, len(codes)); err != nil {
		return err
	}
	if err := insertCodes(ctx, tx, pollID, codes); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add voter codes: %w", err)
	}
	return nil
}

func insertCodes(ctx context.Context, tx *sql.Tx, pollID string, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO voter_codes (poll_id, code) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: insert voter codes: %w", err)
	}
	defer stmt.Close()
	for _, c := range codes {
		if _, err := stmt.ExecContext(ctx, pollID, c); err != nil {
			return fmt.Errorf("sqlite: insert voter codes: %w", err)
		}
	}
	return nil
}

// Poll returns a poll with its options.
func (s *Store) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	s.transactions.Add(2) // the poll, its options
	polls, err := loadPolls(ctx, s.read, []string{id})
	if err != nil {
		return nil, err
	}
	p := polls[id]
	if p == nil {
		return nil, pollstack.ErrPollNotFound
	}
	return p, nil
}

// PollIDByJoinCode finds a poll by its join code.
func (s *Store) PollIDByJoinCode(ctx context.Context, code string) (string, error) {
	var id string
	s.transactions.Add(1)
	err := s.read.QueryRowContext(ctx, `SELECT id FROM polls WHERE join_code = ?`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", pollstack.ErrPollNotFound
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: poll by join code: %w", err)
	}
	return id, nil
}

// queryer is what loadPolls needs of a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func loadPolls(ctx context.Context, db queryer, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	in, args := inList(ids)
	rows, err := db.QueryContext(ctx, `SELECT id, question, description, multiple, ranked, meeting, hide_names, coalesce(decided, 0), min_choices, max_choices, allow_changes, results, closes_at, closed_at, created_at, admin_token_hash, duplicate_check, embed_origins, allow_other, other_approval, ballots_public, verifiable, version, relabels, last_option_id, coalesce(join_code, ''), kiosk FROM polls WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load polls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p pollstack.Poll
		var results, check, embedOrigins, otherApproval, relabels string
		var closesAt, closedAt sql.NullInt64
		var created int64
		if err := rows.Scan(&p.ID, &p.Question, &p.Description, &p.Multiple, &p.Ranked, &p.Meeting, &p.HideNames, &p.Decided, &p.MinChoices, &p.MaxChoices, &p.AllowChanges, &results, &closesAt, &closedAt, &created, &p.AdminTokenHash, &check, &embedOrigins, &p.AllowOther, &otherApproval, &p.BallotsPublic, &p.Verifiable, &p.Version, &relabels, &p.LastOptionID, &p.JoinCode, &p.Kiosk); err != nil {
			return nil, fmt.Errorf("sqlite: load polls: %w", err)
		}
		if err := json.Unmarshal([]byte(relabels), &p.Relabels); err != nil {
			return nil, fmt.Errorf("sqlite: load poll %s change log: %w", p.ID, err)
		}
		p.Visibility, p.DuplicateCheck = pollstack.Visibility(results), pollstack.DuplicateCheck(check)
		p.EmbedOrigins = strings.Fields(embedOrigins)
		p.OtherApproval = pollstack.OtherApproval(otherApproval)
		p.ClosesAt, p.ClosedAt, p.Created = fromMicros(closesAt), fromMicros(closedAt), time.UnixMicro(created).UTC()
		polls[p.ID] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load polls: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT poll_id, id, label FROM options WHERE poll_id IN (`+in+`) AND status = 'approved' ORDER BY poll_id, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load options: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pollID string
		var o pollstack.Option
		if err := rows.Scan(&pollID, &o.ID, &o.Label); err != nil {
			return nil, fmt.Errorf("sqlite: load options: %w", err)
		}
		if p := polls[pollID]; p != nil {
			p.Options = append(p.Options, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load options: %w", err)
	}
	return polls, nil
}

// ClosePoll closes a poll by hand; the first close time is kept.
func (s *Store) ClosePoll(ctx context.Context, id string, now time.Time) error {
	return s.changePoll(ctx, id, "close poll", `UPDATE polls SET closed_at = coalesce(closed_at, ?) WHERE id = ?`, now.UnixMicro(), id)
}

// Decide records the slot picked for a meeting poll and closes it; the
// first close time is kept.
func (s *Store) Decide(ctx context.Context, id string, optionID int, now time.Time) error {
	return s.changePoll(ctx, id, "decide meeting", `UPDATE polls SET decided = ?, closed_at = coalesce(closed_at, ?) WHERE id = ? AND meeting = 1`, optionID, now.UnixMicro(), id)
}

// DeletePoll removes a poll with its options and ballots.
func (s *Store) DeletePoll(ctx context.Context, id string) error {
	return s.changePoll(ctx, id, "delete poll", `DELETE FROM polls WHERE id = ?`, id)
}

// expiredPolls selects polls whose retention ended before the cutoff (?1),
// by the rule of pollstack.Poll.DeletesAt, at most ?2 of them.
const expiredPolls = `SELECT id FROM polls
WHERE max(created_at, coalesce(last_vote_at, 0)) < ?1
  AND coalesce(closed_at, closes_at, 0) < ?1
LIMIT ?2`

// DeleteExpired takes one bounded step of the retention job (see
// pollstack.Store): one transaction on the one write connection, so votes
// wait at most one step. One scan finds the expired polls; each poll's rows
// count toward maxRows, so one step takes many small polls or part of a
// large one.
func (s *Store) DeleteExpired(ctx context.Context, cutoff time.Time, maxRows int) (deleted []string, found bool, err error) {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: delete expired polls: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, expiredPolls, cutoff.UnixMicro(), maxRows)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: delete expired polls: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("sqlite: delete expired polls: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	left := int64(maxRows)
	for _, id := range ids {
		if left <= 0 {
			break
		}
		gone, n, err := deleteExpired(ctx, tx, id, left)
		if err != nil {
			return nil, true, fmt.Errorf("sqlite: delete expired poll %s: %w", id, err)
		}
		if left -= n; gone {
			deleted = append(deleted, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, true, fmt.Errorf("sqlite: delete expired polls: %w", err)
	}
	if len(deleted) > 0 { // nil would mean "any poll may have changed"
		s.changes.Publish(deleted)
	}
	return deleted, len(ids) > 0, nil
}

// deleteExpired closes an expired poll at its end (so that no vote revives
// it half deleted), deletes at most left of its ballots and voter codes,
// and the poll itself once it has none; n counts the rows deleted, the
// poll's own included.
func deleteExpired(ctx context.Context, tx *sql.Tx, id string, left int64) (gone bool, n int64, err error) {
	if _, err := tx.ExecContext(ctx, `UPDATE polls SET closed_at = coalesce(closed_at, closes_at, max(created_at, coalesce(last_vote_at, 0))) WHERE id = ?`, id); err != nil {
		return false, 0, err
	}
	for _, rows := range []string{
		`DELETE FROM ballots WHERE poll_id = ?1 AND voter_id IN (SELECT voter_id FROM ballots WHERE poll_id = ?1 LIMIT ?2)`,
		`DELETE FROM voter_codes WHERE poll_id = ?1 AND code IN (SELECT code FROM voter_codes WHERE poll_id = ?1 LIMIT ?2)`,
	} {
		res, err := tx.ExecContext(ctx, rows, id, left-n)
		if err != nil {
			return false, n, err
		}
		k, _ := res.RowsAffected()
		if n += k; n >= left { // more rows, perhaps: the next step goes on
			return false, n, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM polls WHERE id = ?`, id); err != nil {
		return false, n, err
	}
	return true, n + 1, nil
}

// changePoll runs a statement that must touch exactly one poll, then tells
// the watchers.
func (s *Store) changePoll(ctx context.Context, id, what, query string, args ...any) error {
	s.transactions.Add(1)
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return pollstack.ErrPollNotFound
	}
	s.changes.Publish([]string{id})
	return nil
}
