// Package sqlite is the embedded store: one file, no server, no cgo
// (modernc.org/sqlite). It is the default for running pollstack locally.
//
// SQLite allows one writer at a time, so writes go through one connection
// and group commit, while reads use a pool of their own; WAL mode lets the
// two run side by side.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/changefeed"
	"github.com/pollstack/pollstack/internal/groupcommit"
	"github.com/pollstack/pollstack/internal/migrate"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a pollstack.Store on a SQLite file.
type Store struct {
	write *sql.DB // one connection: SQLite has one writer
	read  *sql.DB
	votes *groupcommit.Committer[pollstack.Ballot]
	now   func() time.Time
	// changes tells this process's watchers about its own commits: the
	// file has one process writing it, so there is no one else to hear from.
	changes changefeed.Feed
	// transactions counts the database's transactions: each one begun, and
	// each statement run on its own (SQLite wraps it in one).
	transactions atomic.Uint64
}

// Transactions is how many transactions the store has run, for the
// metrics (pollstack_store_transactions_total) and the benchmark.
func (s *Store) Transactions() uint64 { return s.transactions.Load() }

var _ pollstack.Store = (*Store)(nil)

// Options tune the store; the zero value is sensible.
type Options struct {
	Now       func() time.Time // clock, for tests
	BatchSize int              // most votes per transaction (default 256)
	// ObserveBatch, when set, is told each vote batch's size and how long
	// storing and committing it took.
	ObserveBatch func(votes int, took time.Duration)
}

// Open opens (creating if needed) the database file at path and applies
// the migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.Contains(path, ":memory:") {
		return nil, errors.New("sqlite: a file path is required (an in-memory database cannot be shared by the read and write pools)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	write, err := sql.Open("sqlite", dsn(path, "immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(path, "deferred"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	s := &Store{write: write, read: read, now: opts.Now}
	if err := s.migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.votes = groupcommit.New(groupcommit.Options{MaxBatch: opts.BatchSize, Writers: 1, Observe: opts.ObserveBatch}, nil, s.storeBallots)
	return s, nil
}

// dsn sets the pragmas on every connection: WAL so readers never block the
// writer, a busy timeout instead of instant SQLITE_BUSY, enforced foreign
// keys, and FULL synchronous so that an acknowledged vote survives a crash.
func dsn(path, txlock string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) migrate(ctx context.Context) error {
	list, err := migrate.List(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range list {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration in its own transaction, unless it already ran.
func (s *Store) apply(ctx context.Context, m migrate.Migration) error {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, s.now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	return tx.Commit()
}

// Close commits the votes still queued, then closes the database.
func (s *Store) Close() error {
	s.votes.Close()
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	return errors.Join(s.write.Close(), s.read.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return pollstack.Unavailable(fmt.Errorf("sqlite: ping: %w", err))
	}
	return nil
}

// CreatePoll stores a validated poll with its options and voter codes.
func (s *Store) CreatePoll(ctx context.Context, p *pollstack.Poll, codes []string) error {
	s.transactions.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create poll: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO polls (id, question, description, multiple, ranked, meeting, hide_names, min_choices, max_choices, allow_changes, results, closes_at, created_at, admin_token_hash, duplicate_check, embed_origins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Question, p.Description, p.Multiple, p.Ranked, p.Meeting, p.HideNames, p.MinChoices, p.MaxChoices, p.AllowChanges, string(p.Visibility), micros(p.ClosesAt), p.Created.UnixMicro(), p.AdminTokenHash, string(p.DuplicateCheck), strings.Join(p.EmbedOrigins, " "))
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

// queryer is what loadPolls needs of a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func loadPolls(ctx context.Context, db queryer, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	in, args := inList(ids)
	rows, err := db.QueryContext(ctx, `SELECT id, question, description, multiple, ranked, meeting, hide_names, coalesce(decided, 0), min_choices, max_choices, allow_changes, results, closes_at, closed_at, created_at, admin_token_hash, duplicate_check, embed_origins FROM polls WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load polls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p pollstack.Poll
		var results, check, embedOrigins string
		var closesAt, closedAt sql.NullInt64
		var created int64
		if err := rows.Scan(&p.ID, &p.Question, &p.Description, &p.Multiple, &p.Ranked, &p.Meeting, &p.HideNames, &p.Decided, &p.MinChoices, &p.MaxChoices, &p.AllowChanges, &results, &closesAt, &closedAt, &created, &p.AdminTokenHash, &check, &embedOrigins); err != nil {
			return nil, fmt.Errorf("sqlite: load polls: %w", err)
		}
		p.Visibility, p.DuplicateCheck = pollstack.Visibility(results), pollstack.DuplicateCheck(check)
		p.EmbedOrigins = strings.Fields(embedOrigins)
		p.ClosesAt, p.ClosedAt, p.Created = fromMicros(closesAt), fromMicros(closedAt), time.UnixMicro(created).UTC()
		polls[p.ID] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load polls: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT poll_id, id, label FROM options WHERE poll_id IN (`+in+`) ORDER BY poll_id, id`, args...)
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
		res, err := tx.ExecContext(ctx, `INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code, name) VALUES (?, ?, ?, ?, ?, ?, nullif(?, '')) ON CONFLICT DO NOTHING`,
			b.PollID, keys[i], jsonInts(b.OptionIDs), now.UnixMicro(), string(p.DuplicateCheck), code, b.Name)
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

// Results reads the counters of a poll, and when it was closed by hand.
func (s *Store) Results(ctx context.Context, pollID string) (pollstack.Results, error) {
	r := pollstack.Results{Counts: make(map[int]int)}
	var closedAt, lastVote sql.NullInt64
	var ranked, meeting bool
	s.transactions.Add(2) // the poll's counters, its options'
	err := s.read.QueryRowContext(ctx, `SELECT ballots, closed_at, last_vote_at, ranked, meeting, coalesce(decided, 0) FROM polls WHERE id = ?`, pollID).Scan(&r.Total, &closedAt, &lastVote, &ranked, &meeting, &r.Decided)
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
	rows, err := s.read.QueryContext(ctx, `SELECT id, votes, if_need_be FROM options WHERE poll_id = ?`, pollID)
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

// Ballots streams the poll's ballots in the order they were cast.
func (s *Store) Ballots(ctx context.Context, pollID string, each func(pollstack.CastBallot) error) error {
	if _, err := s.Poll(ctx, pollID); err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT option_ids, created_at, changed_at, coalesce(name, '') FROM ballots WHERE poll_id = ? ORDER BY created_at`, pollID)
	if err != nil {
		return fmt.Errorf("sqlite: ballots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var options string
		var cast int64
		var changed sql.NullInt64
		var name string
		if err := rows.Scan(&options, &cast, &changed, &name); err != nil {
			return fmt.Errorf("sqlite: ballots: %w", err)
		}
		ids, err := parseInts(options)
		if err != nil {
			return err
		}
		if err := each(pollstack.CastBallot{OptionIDs: ids, Cast: time.UnixMicro(cast).UTC(), Changed: fromMicros(changed), Name: name}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: ballots: %w", err)
	}
	return nil
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

func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// jsonInts renders option IDs as a JSON array, as the ballots table keeps them.
func jsonInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// parseInts reads option IDs as the ballots table keeps them.
func parseInts(text string) ([]int, error) {
	var ids []int
	if err := json.Unmarshal([]byte(text), &ids); err != nil {
		return nil, fmt.Errorf("sqlite: ballot options %q: %w", text, err)
	}
	return ids, nil
}

func micros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}
