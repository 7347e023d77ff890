package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pollstack/pollstack"
)

// CreatePoll stores a validated poll with its options and voter codes.
func (s *Store) CreatePoll(ctx context.Context, p *pollstack.Poll, codes []string) error {
	ids := make([]int16, len(p.Options))
	labels := make([]string, len(p.Options))
	for i, o := range p.Options {
		ids[i], labels[i] = int16(o.ID), o.Label
	}
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO polls (id, question, description, multiple, ranked, meeting, hide_names, min_choices, max_choices, allow_changes, results, closes_at, created_at, admin_token_hash, duplicate_check, embed_origins, allow_other, other_approval, ballots_public, verifiable, last_option_id, join_code, kiosk) VALUES ($1, $2, $3, $4, $13, $14, $15, $5, $6, $7, $8, $9, $10, $11, $12, $16, $17, $18, $19, $20, $21, nullif($22, ''), $23)`,
				p.ID, p.Question, p.Description, p.Multiple, p.MinChoices, p.MaxChoices, p.AllowChanges, string(p.Visibility), p.ClosesAt, p.Created, p.AdminTokenHash, string(p.DuplicateCheck), p.Ranked, p.Meeting, p.HideNames, strings.Join(p.EmbedOrigins, " "), p.AllowOther, string(p.OtherApproval), p.BallotsPublic, p.Verifiable, p.LastOptionID, p.JoinCode, p.Kiosk); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO options (poll_id, id, label) SELECT $1, * FROM unnest($2::smallint[], $3::text[])`, p.ID, ids, labels); err != nil {
				return err
			}
			return insertCodes(ctx, tx, p.ID, codes)
		})
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "polls_join_code" {
		return pollstack.ErrJoinCodeTaken
	}
	if err != nil {
		return markUnavailable(fmt.Errorf("postgres: create poll: %w", err))
	}
	return nil
}

// AddVoterCodes stores more voter codes of a "code" poll, up to the poll's
// limit; the poll's row lock makes concurrent requests count each other.
func (s *Store) AddVoterCodes(ctx context.Context, pollID string, codes []string) error {
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var check string
			var have int
			err := tx.QueryRow(ctx, `SELECT duplicate_check, (SELECT count(*) FROM voter_codes WHERE poll_id = polls.id) FROM polls WHERE id = $1 FOR NO KEY UPDATE`, pollID).Scan(&check, &have)
			if errors.Is(err, pgx.ErrNoRows) {
				return pollstack.ErrPollNotFound
			}
			if err != nil {
				return err
			}
			if err := pollstack.CheckAddCodes(pollstack.DuplicateCheck(check), have, len(codes)); err != nil {
				return err
			}
			return insertCodes(ctx, tx, pollID, codes)
		})
	})
	if pollstack.ErrorOf(err) != nil {
		return err
	}
	if err != nil {
		return markUnavailable(fmt.Errorf("postgres: add voter codes: %w", err))
	}
	return nil
}

func insertCodes(ctx context.Context, tx pgx.Tx, pollID string, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO voter_codes (poll_id, code) SELECT $1, unnest($2::text[])`, pollID, codes)
	return err
}

// Poll returns a poll with its options.
func (s *Store) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	var polls map[string]*pollstack.Poll
	err := s.with(ctx, func(c *pgxpool.Conn) (err error) {
		s.transactions.Add(1) // loadPolls runs two statements
		polls, err = loadPolls(ctx, c, []string{id})
		return err
	})
	if err != nil {
		return nil, err
	}
	if p := polls[id]; p != nil {
		return p, nil
	}
	return nil, pollstack.ErrPollNotFound
}

// PollIDByJoinCode finds a poll by its join code.
func (s *Store) PollIDByJoinCode(ctx context.Context, code string) (string, error) {
	var id string
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT id FROM polls WHERE join_code = $1`, code).Scan(&id)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", pollstack.ErrPollNotFound
	}
	if err != nil {
		return "", markUnavailable(fmt.Errorf("postgres: poll by join code: %w", err))
	}
	return id, nil
}

// loadPolls reads polls and their options.
func loadPolls(ctx context.Context, q querier, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	rows, err := q.Query(ctx, `SELECT id, question, description, multiple, ranked, meeting, hide_names, coalesce(decided, 0), min_choices, max_choices, allow_changes, results, closes_at, closed_at, created_at, admin_token_hash, duplicate_check, embed_origins, allow_other, other_approval, ballots_public, verifiable, version, relabels, last_option_id, coalesce(join_code, ''), kiosk FROM polls WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load polls: %w", err))
	}
	for rows.Next() {
		var p pollstack.Poll
		var results, check, embedOrigins, otherApproval string
		var decided int16
		if err := rows.Scan(&p.ID, &p.Question, &p.Description, &p.Multiple, &p.Ranked, &p.Meeting, &p.HideNames, &decided, &p.MinChoices, &p.MaxChoices, &p.AllowChanges, &results, &p.ClosesAt, &p.ClosedAt, &p.Created, &p.AdminTokenHash, &check, &embedOrigins, &p.AllowOther, &otherApproval, &p.BallotsPublic, &p.Verifiable, &p.Version, &p.Relabels, &p.LastOptionID, &p.JoinCode, &p.Kiosk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: load polls: %w", err)
		}
		p.Visibility, p.DuplicateCheck = pollstack.Visibility(results), pollstack.DuplicateCheck(check)
		p.EmbedOrigins = strings.Fields(embedOrigins)
		p.OtherApproval = pollstack.OtherApproval(otherApproval)
		p.Decided = int(decided)
		p.Created = p.Created.UTC()
		p.ClosesAt, p.ClosedAt = inUTC(p.ClosesAt), inUTC(p.ClosedAt)
		for i := range p.Relabels {
			p.Relabels[i].At = p.Relabels[i].At.UTC()
		}
		polls[p.ID] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load polls: %w", err))
	}
	rows, err = q.Query(ctx, `SELECT poll_id, id, label FROM options WHERE poll_id = ANY($1) AND status = 'approved' ORDER BY poll_id, id`, ids)
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load options: %w", err))
	}
	for rows.Next() {
		var pollID string
		var id int16
		var label string
		if err := rows.Scan(&pollID, &id, &label); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: load options: %w", err)
		}
		if p := polls[pollID]; p != nil {
			p.Options = append(p.Options, pollstack.Option{ID: int(id), Label: label})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load options: %w", err))
	}
	return polls, nil
}

// whyNotOpen tells a poll that closed from one that was deleted, after the
// batch statement found it not open.
func (s *Store) whyNotOpen(ctx context.Context, id string) error {
	s.forget(id)
	if _, err := s.Poll(ctx, id); err != nil {
		return err
	}
	return pollstack.ErrPollClosed
}

// cachedPolls returns the polls, from memory where it has them. A cached
// poll may be stale: the batch statement decides itself whether it is
// open, and stores a ballot only under the version it was admitted against
// (an edit bumps it, see storeBallots); a cached poll that looks closed is
// read again, since an edit may have reopened it. A poll that takes voters'
// own answers gains options, so it is read again for every batch, never
// cached.
func (s *Store) cachedPolls(ctx context.Context, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	var missing []string
	s.cacheMu.Lock()
	for _, id := range ids {
		if p := s.cache[id]; p != nil && !p.Closed(s.now()) {
			polls[id] = p
		} else {
			missing = append(missing, id)
		}
	}
	s.cacheMu.Unlock()
	if len(missing) == 0 {
		return polls, nil
	}
	var loaded map[string]*pollstack.Poll
	err := s.with(ctx, func(c *pgxpool.Conn) (err error) {
		s.transactions.Add(1) // loadPolls runs two statements
		loaded, err = loadPolls(ctx, c, missing)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	if len(s.cache)+len(loaded) > maxCachedPolls {
		clear(s.cache) // simple and bounded: the hot polls come back at once
	}
	for id, p := range loaded {
		if polls[id] = p; !p.AllowOther {
			s.cache[id] = p
		}
	}
	s.cacheMu.Unlock()
	return polls, nil
}

// maxCachedPolls bounds the memory of the poll cache (a poll is under 4 KB).
const maxCachedPolls = 4096

func (s *Store) forget(id string) {
	s.cacheMu.Lock()
	delete(s.cache, id)
	s.cacheMu.Unlock()
}

// ClosePoll closes a poll by hand; the first close time is kept. The change
// feed hears of it when it commits.
func (s *Store) ClosePoll(ctx context.Context, id string, now time.Time) error {
	return s.execOne(ctx, "close poll", `WITH closed AS (UPDATE polls SET closed_at = coalesce(closed_at, $2) WHERE id = $1 RETURNING id)
SELECT pg_notify('`+changesChannel+`', id) FROM closed`, id, now)
}

// Decide records the slot picked for a meeting poll and closes it (the
// first close time is kept); the change feed hears of it when it commits.
func (s *Store) Decide(ctx context.Context, id string, optionID int, now time.Time) error {
	return s.execOne(ctx, "decide meeting", `WITH decided AS (UPDATE polls SET decided = $2, closed_at = coalesce(closed_at, $3) WHERE id = $1 AND meeting RETURNING id)
SELECT pg_notify('`+changesChannel+`', id) FROM decided`, id, optionID, now)
}

// DeletePoll removes a poll with its options and ballots, and tells the
// change feed.
func (s *Store) DeletePoll(ctx context.Context, id string) error {
	s.forget(id)
	return s.execOne(ctx, "delete poll", `WITH deleted AS (DELETE FROM polls WHERE id = $1 RETURNING id)
SELECT pg_notify('`+changesChannel+`', id) FROM deleted`, id)
}

// expiredPolls locks polls whose retention ended before the cutoff ($1),
// by the rule of pollstack.Poll.DeletesAt, at most $2 of them; servers
// running the job at once each take others, and a poll a vote batch holds
// waits for the next sweep.
const expiredPolls = `SELECT id FROM polls
WHERE greatest(created_at, last_vote_at) < $1
  AND coalesce(closed_at, closes_at, '-infinity') < $1
LIMIT $2 FOR UPDATE SKIP LOCKED`

// DeleteExpired takes one bounded step of the retention job (see
// pollstack.Store) in one transaction: one scan finds the expired polls;
// each poll's rows count toward maxRows, so one step takes many small polls
// or part of a large one.
func (s *Store) DeleteExpired(ctx context.Context, cutoff time.Time, maxRows int) (deleted []string, found bool, err error) {
	err = s.with(ctx, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			deleted = nil
			rows, _ := tx.Query(ctx, expiredPolls, cutoff, maxRows)
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			found = len(ids) > 0
			left := int64(maxRows)
			for _, id := range ids {
				if left <= 0 {
					break
				}
				s.forget(id)
				gone, n, err := deleteExpired(ctx, tx, id, left)
				if err != nil {
					return fmt.Errorf("poll %s: %w", id, err)
				}
				if left -= n; gone {
					deleted = append(deleted, id)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, found, markUnavailable(fmt.Errorf("postgres: delete expired polls: %w", err))
	}
	return deleted, found, nil
}

// deleteExpired closes an expired poll at its end (so that no vote revives
// it half deleted), deletes at most left of its ballots and voter codes,
// and the poll itself once it has none, which the change feed hears of at
// commit; n counts the rows deleted, the poll's own included.
func deleteExpired(ctx context.Context, tx pgx.Tx, id string, left int64) (gone bool, n int64, err error) {
	if _, err := tx.Exec(ctx, `UPDATE polls SET closed_at = coalesce(closed_at, closes_at, greatest(created_at, last_vote_at)) WHERE id = $1`, id); err != nil {
		return false, 0, err
	}
	for _, rows := range []string{
		`DELETE FROM ballots WHERE poll_id = $1 AND voter_id IN (SELECT voter_id FROM ballots WHERE poll_id = $1 LIMIT $2)`,
		`DELETE FROM voter_codes WHERE poll_id = $1 AND code IN (SELECT code FROM voter_codes WHERE poll_id = $1 LIMIT $2)`,
	} {
		tag, err := tx.Exec(ctx, rows, id, left-n)
		if err != nil {
			return false, n, err
		}
		if n += tag.RowsAffected(); n >= left { // more rows, perhaps: the next step goes on
			return false, n, nil
		}
	}
	if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM polls WHERE id = $1 RETURNING id)
SELECT pg_notify('`+changesChannel+`', id) FROM gone`, id); err != nil {
		return false, n, err
	}
	return true, n + 1, nil
}
