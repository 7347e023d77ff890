// Package postgres is the production store on PostgreSQL (pgx v5 pool).
//
// Votes are group-committed: concurrent ballots share one transaction,
// written with array inserts and counted once per option per batch, so a
// hot poll costs one commit per batch instead of one per vote.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/groupcommit"
	"github.com/pollstack/pollstack/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key under which migrations run, so that
// several servers starting at once apply them exactly once.
const migrationLock = 0x706f6c6c // "poll"

// Store is a pollstack.Store on PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	votes   *groupcommit.Committer[pollstack.Ballot]
	now     func() time.Time
	refresh atomic.Bool // the database rejected our credentials: read them again

	cacheMu sync.Mutex
	cache   map[string]*pollstack.Poll // polls that votes went to; see cachedPolls

	listener  listener   // the change feed: one LISTEN connection, started by the first Watch
	announcer *announcer // sends the change feed's notifications of vote batches
	log       *slog.Logger
	// transactions counts the transactions the store runs (see with).
	transactions atomic.Uint64
}

// Transactions is how many transactions the store has run, for the
// metrics (pollstack_store_transactions_total) and the benchmark.
func (s *Store) Transactions() uint64 { return s.transactions.Load() }

var _ pollstack.Store = (*Store)(nil)

// Options tune the store; the zero value is sensible.
type Options struct {
	Now       func() time.Time // clock, for tests
	BatchSize int              // most votes per transaction (default 512)
	Writers   int              // vote transactions in flight (default 4)
	// ObserveBatch, when set, is told each vote batch's size and how long
	// storing and committing it took.
	ObserveBatch func(votes int, took time.Duration)
	// Credentials, when set, gives the user name and password of each new
	// connection. refresh is true after the database rejected the previous
	// ones (SQLSTATE 28P01: the password was rotated), so that the source is
	// read again instead of its cache.
	Credentials func(ctx context.Context, refresh bool) (user, password string, err error)
	// Logger reports the change feed's troubles: its connection lost and
	// back, a batch not announced (default: discarded).
	Logger *slog.Logger
	// NoMigrations runs no DDL at all: Open only checks that the schema is
	// at least at this binary's version (pollstack migrate applied it as
	// the owner) and refuses otherwise. For an app role that may not
	// create, alter or drop anything.
	NoMigrations bool
}

// Open connects a pool to connString (a postgres:// URL or key=value
// string), applies the migrations and starts the vote writers.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx's message can quote the connection string; never echo it.
		return nil, errors.New("postgres: the database URL cannot be parsed")
	}
	trustRDS(&cfg.ConnConfig.Config)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 512
	}
	if opts.Writers <= 0 {
		opts.Writers = 4
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
		// Fail fast when the database is down: callers answer 503 quickly.
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{now: opts.Now, cache: make(map[string]*pollstack.Poll), log: opts.Logger}
	if opts.Credentials != nil {
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			user, password, err := opts.Credentials(ctx, s.refresh.Swap(false))
			if err != nil {
				return fmt.Errorf("database credentials: %w", err)
			}
			if user != "" { // else the URL's user, or the driver's default
				cc.User = user
			}
			cc.Password = password
			return nil
		}
	}
	s.listener = listener{store: s, log: opts.Logger, config: cfg.ConnConfig.Copy(), beforeConnect: cfg.BeforeConnect}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	s.pool = pool
	prepare := s.migrate
	if opts.NoMigrations {
		prepare = s.checkSchema
	}
	if err := prepare(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	// Votes of one poll always share a writer: a hot poll never waits on
	// its own row lock across transactions, while other polls commit beside it.
	s.announcer = newAnnouncer(s.notify)
	s.votes = groupcommit.New(groupcommit.Options{MaxBatch: opts.BatchSize, Writers: opts.Writers, Observe: opts.ObserveBatch}, byPoll, s.storeBallots)
	return s, nil
}

// Migrate applies the pending migrations under an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	list, err := migrate.List(migrations, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: migrate: take lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	for _, m := range list {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// checkSchema refuses a database whose schema is older than this binary:
// its queries would fail on missing columns. A newer schema is fine, as
// every migration keeps the previous release working (tasks of both run
// side by side during a rollout).
func (s *Store) checkSchema(ctx context.Context) error {
	list, err := migrate.List(migrations, "migrations")
	if err != nil {
		return err
	}
	want := list[len(list)-1].Version
	var have int
	err = s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have)
	})
	if err != nil {
		return fmt.Errorf("postgres: read the schema version (has pollstack migrate run?): %w", err)
	}
	if have < want {
		return fmt.Errorf("postgres: the schema is at migration %d, this version needs %d: run pollstack migrate as the database owner first", have, want)
	}
	return nil
}

// Close commits the votes still queued, stops the change feed, then closes
// the pool.
func (s *Store) Close() error {
	s.votes.Close()
	s.announcer.close()
	s.listener.close()
	s.pool.Close()
	return nil
}

// conn takes a connection from the pool. A new connection that the
// database refuses for its credentials is tried again, up to three times
// with backoff, with credentials read afresh from their source: nothing was
// sent yet, so retrying is safe.
func (s *Store) conn(ctx context.Context) (*pgxpool.Conn, error) {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		c, err := s.pool.Acquire(ctx)
		if err == nil || !authRejected(err) || attempt == 3 {
			if err != nil {
				return nil, markUnavailable(err)
			}
			return c, nil
		}
		s.refresh.Store(true)
		select {
		case <-time.After(backoff):
			backoff *= 2
		case <-ctx.Done():
			return nil, markUnavailable(err)
		}
	}
}

// with runs fn on a connection from the pool: one transaction, or one
// statement, which PostgreSQL runs as one (the transaction counter counts
// it; a use that runs more statements adds them).
func (s *Store) with(ctx context.Context, fn func(*pgxpool.Conn) error) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	s.transactions.Add(1)
	defer c.Release()
	return fn(c)
}

// authRejected reports whether PostgreSQL refused the credentials.
func authRejected(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000")
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `SELECT 1`)
		return err
	})
	if err != nil {
		return markUnavailable(fmt.Errorf("postgres: ping: %w", err))
	}
	return nil
}

// CreatePoll stores a validated poll with its options and voter codes.
func (s *Store) CreatePoll(ctx context.Context, p *pollstack.Poll, codes []string) error {
	ids := make([]int16, len(p.Options))
	labels := make([]string, len(p.Options))
	for i, o := range p.Options {
		ids[i], labels[i] = int16(o.ID), o.Label
	}
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO polls (id, question, description, multiple, ranked, meeting, hide_names, min_choices, max_choices, allow_changes, results, closes_at, created_at, admin_token_hash, duplicate_check, embed_origins) VALUES ($1, $2, $3, $4, $13, $14, $15, $5, $6, $7, $8, $9, $10, $11, $12, $16)`,
				p.ID, p.Question, p.Description, p.Multiple, p.MinChoices, p.MaxChoices, p.AllowChanges, string(p.Visibility), p.ClosesAt, p.Created, p.AdminTokenHash, string(p.DuplicateCheck), p.Ranked, p.Meeting, p.HideNames, strings.Join(p.EmbedOrigins, " ")); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO options (poll_id, id, label) SELECT $1, * FROM unnest($2::smallint[], $3::text[])`, p.ID, ids, labels); err != nil {
				return err
			}
			return insertCodes(ctx, tx, p.ID, codes)
		})
	})
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

// querier is what loadPolls needs of a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// loadPolls reads polls and their options.
func loadPolls(ctx context.Context, q querier, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	rows, err := q.Query(ctx, `SELECT id, question, description, multiple, ranked, meeting, hide_names, coalesce(decided, 0), min_choices, max_choices, allow_changes, results, closes_at, closed_at, created_at, admin_token_hash, duplicate_check, embed_origins FROM polls WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load polls: %w", err))
	}
	for rows.Next() {
		var p pollstack.Poll
		var results, check, embedOrigins string
		var decided int16
		if err := rows.Scan(&p.ID, &p.Question, &p.Description, &p.Multiple, &p.Ranked, &p.Meeting, &p.HideNames, &decided, &p.MinChoices, &p.MaxChoices, &p.AllowChanges, &results, &p.ClosesAt, &p.ClosedAt, &p.Created, &p.AdminTokenHash, &check, &embedOrigins); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: load polls: %w", err)
		}
		p.Visibility, p.DuplicateCheck = pollstack.Visibility(results), pollstack.DuplicateCheck(check)
		p.EmbedOrigins = strings.Fields(embedOrigins)
		p.Decided = int(decided)
		p.Created = p.Created.UTC()
		p.ClosesAt, p.ClosedAt = inUTC(p.ClosesAt), inUTC(p.ClosedAt)
		polls[p.ID] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: load polls: %w", err))
	}
	rows, err = q.Query(ctx, `SELECT poll_id, id, label FROM options WHERE poll_id = ANY($1) ORDER BY poll_id, id`, ids)
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

// Vote queues the ballot for the next group commit and waits until its
// transaction committed.
func (s *Store) Vote(ctx context.Context, b pollstack.Ballot) error {
	err := s.votes.Submit(ctx, b)
	if errors.Is(err, groupcommit.ErrClosed) {
		return pollstack.Unavailable(err)
	}
	return err
}

func byPoll(b pollstack.Ballot) string { return b.PollID }

// storeBallots writes one batch. The rules that need the poll (options,
// single or multiple choice, the voter key of its duplicate check, whether
// it allows changes) are checked first, against a cached copy of the poll
// (none of that ever changes); then one statement, in its own implicit
// transaction, inserts the admitted ballots of the polls that are still open
// (those of "code" polls only with a code the poll has), lets the primary
// key turn a ballot that lost a race into a conflict, replaces the ballots
// that changed and moves the counters; once that has committed, the change
// feed hears of the polls it touched (see notify). Whether a poll is open is
// decided inside that statement, under the poll row's lock, so a vote and a
// close cannot cross; the lock is held for one statement and its commit
// only. A batch with changes first locks its polls in a statement of its own
// (see storeBatchSQL), and a batch in which one voter comes twice (a vote
// and a change racing) takes one statement per round (pollstack.Rounds), all
// in one transaction.
func (s *Store) storeBallots(ctx context.Context, ballots []pollstack.Ballot) ([]error, error) {
	polls, err := s.cachedPolls(ctx, pollstack.PollIDs(ballots))
	if err != nil {
		return nil, err
	}
	now := s.now()
	keys, outcomes := pollstack.Admit(ballots, polls, now)
	rounds := pollstack.Rounds(ballots, keys, outcomes)
	if len(rounds) == 0 {
		return outcomes, nil
	}
	var done batchDone
	err = s.with(ctx, func(c *pgxpool.Conn) error {
		return writeRounds(ctx, c, &done, ballots, keys, rounds, outcomes, now)
	})
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: vote batch: %w", err))
	}
	s.announcer.announce(done.touched) // committed
	for i, b := range ballots {
		p, key := polls[b.PollID], [2]string{b.PollID, keys[i]}
		switch {
		case outcomes[i] != nil:
		case !done.open[b.PollID]:
			outcomes[i] = s.whyNotOpen(ctx, b.PollID)
		case b.Change && done.changed[key]:
		case !b.Change && done.stored[key]:
		case p.DuplicateCheck == pollstack.CheckCode && !done.known[key]:
			outcomes[i] = pollstack.ErrInvalidCode
		case b.Change:
			outcomes[i] = pollstack.ErrNotVoted
		default:
			outcomes[i] = p.DuplicateError()
		}
	}
	return outcomes, nil
}

// writeRounds stores the rounds of a batch and commits them.
func writeRounds(ctx context.Context, c *pgxpool.Conn, done *batchDone, ballots []pollstack.Ballot, keys []string, rounds [][]int, outcomes []error, now time.Time) error {
	if len(rounds) == 1 && !changes(ballots, outcomes) { // nearly always: one statement, its own transaction
		return done.run(ctx, c, ballots, keys, rounds[0], now)
	}
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		// Lock the polls before the batch statement takes its snapshot:
		// every ballot a change replaces is then as committed, even by
		// another server, since whoever wrote it held the same lock.
		if _, err := tx.Exec(ctx, `SELECT FROM polls WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, pollstack.PollIDs(ballots)); err != nil {
			return err
		}
		for _, round := range rounds {
			if err := done.run(ctx, tx, ballots, keys, round, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// changes reports whether a batch has an admitted change.
func changes(ballots []pollstack.Ballot, outcomes []error) bool {
	for i, b := range ballots {
		if b.Change && outcomes[i] == nil {
			return true
		}
	}
	return false
}

// batchDone is what the batch statement reported: the open polls, the polls
// it stored or changed ballots of, and by (poll, voter key) the ballots
// stored and changed and the voter codes found.
type batchDone struct {
	open, touched          map[string]bool
	stored, changed, known map[[2]string]bool
}

// run writes one round of a batch (the ballots at the indexes) with
// storeBatchSQL, and records what it did.
func (d *batchDone) run(ctx context.Context, q querier, ballots []pollstack.Ballot, keys []string, round []int, now time.Time) error {
	if d.open == nil {
		d.open, d.touched = map[string]bool{}, map[string]bool{}
		d.stored, d.changed, d.known = map[[2]string]bool{}, map[[2]string]bool{}, map[[2]string]bool{}
	}
	var pollIDs, voterKeys, options, kinds, names []string
	for _, i := range round {
		kind := "vote"
		if ballots[i].Change {
			kind = "change"
		}
		pollIDs, voterKeys = append(pollIDs, ballots[i].PollID), append(voterKeys, keys[i])
		options, kinds = append(options, joinInts(ballots[i].OptionIDs)), append(kinds, kind)
		names = append(names, ballots[i].Name)
	}
	rows, err := q.Query(ctx, storeBatchSQL, pollIDs, voterKeys, options, now, kinds, names)
	if err != nil {
		return err
	}
	var kind, pollID, voterKey string
	_, err = pgx.ForEachRow(rows, []any{&kind, &pollID, &voterKey}, func() error {
		switch kind {
		case "open":
			d.open[pollID] = true
		case "stored":
			d.stored[[2]string{pollID, voterKey}] = true
			d.touched[pollID] = true
		case "changed":
			d.changed[[2]string{pollID, voterKey}] = true
			d.touched[pollID] = true
		case "code":
			d.known[[2]string{pollID, voterKey}] = true
		}
		return nil
	})
	return err
}

// storeBatchSQL stores a batch: $1, $2, $3, $5, $6 are one row per ballot
// (poll, voter key, options as "1,3", 'vote' or 'change', and a meeting
// participant's name or empty), $4 is the time; a
// voter key appears once per poll (pollstack.Rounds). It answers one row per
// open poll ('open', id), per stored ballot ('stored', poll, voter key), per
// changed ballot ('changed', poll, voter key), and per voter code found,
// used or not ('code', poll, code key).
//
// A voter code is looked up only for ballots of "code" polls, one index
// probe each; the ballot's poll check comes from the locked poll row, so the
// foreign keys that hold the duplicate-check rules are always met.
//
// A change replaces a ballot as this statement's snapshot shows it, so its
// batch runs after a statement of its own has locked the polls (see
// storeBallots): in READ COMMITTED the snapshot, taken after the lock, holds
// every change committed by anyone, and nobody can change these ballots until
// this transaction commits. (Within this statement alone, the snapshot
// predates the wait on the poll lock: a change committed meanwhile by another
// server would be counted away twice; TestChangesAcrossServers catches it.)
// The counters move by the new options minus the old (a meeting ballot's
// negative IDs move if_need_be, pollstack.EncodeAnswers); so do a ranked poll's
// counts per ranking (rankings), a rising count by an upsert and a falling
// one by an update, so that the schema's "never below zero" holds on every
// row written, each moved once per batch.
const storeBatchSQL = `
WITH open AS (
    SELECT id, duplicate_check, ranked FROM polls
    WHERE id = ANY($1) AND closed_at IS NULL AND (closes_at IS NULL OR closes_at > $4)
    ORDER BY id FOR NO KEY UPDATE
), batch AS (
    SELECT b.poll_id, b.voter_id, b.options, b.kind, nullif(b.name, '') AS name, o.duplicate_check,
        o.duplicate_check = 'code' AND EXISTS (
            SELECT 1 FROM voter_codes c WHERE c.poll_id = b.poll_id AND c.code = b.voter_id) AS known_code
    FROM unnest($1::text[], $2::text[], $3::text[], $5::text[], $6::text[]) AS b (poll_id, voter_id, options, kind, name)
    JOIN open o ON o.id = b.poll_id
), inserted AS (
    INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code, name)
    SELECT poll_id, voter_id, string_to_array(options, ',')::smallint[], $4, duplicate_check,
        CASE WHEN known_code THEN voter_id END, name
    FROM batch
    WHERE kind = 'vote' AND (duplicate_check <> 'code' OR known_code)
    ON CONFLICT DO NOTHING
    RETURNING poll_id, voter_id, option_ids
), replaced AS (
    SELECT bl.poll_id, bl.voter_id, bl.option_ids, string_to_array(b.options, ',')::smallint[] AS new_ids, b.name
    FROM ballots bl JOIN batch b ON b.poll_id = bl.poll_id AND b.voter_id = bl.voter_id
    WHERE b.kind = 'change'
), changed AS (
    UPDATE ballots bl SET option_ids = r.new_ids, changed_at = $4, name = r.name
    FROM replaced r
    WHERE bl.poll_id = r.poll_id AND bl.voter_id = r.voter_id
    RETURNING bl.poll_id, bl.voter_id, r.option_ids AS old_ids, r.new_ids
), counted_polls AS (
    UPDATE polls SET ballots = ballots + d.n, last_vote_at = $4
    FROM (SELECT poll_id, count(*) AS n FROM inserted GROUP BY poll_id) AS d
    WHERE polls.id = d.poll_id
), counted_options AS (
    UPDATE options SET votes = options.votes + d.yes, if_need_be = options.if_need_be + d.if_need_be
    FROM (
        SELECT poll_id, abs(option_id) AS option_id,
            coalesce(sum(n) FILTER (WHERE option_id > 0), 0) AS yes,
            coalesce(sum(n) FILTER (WHERE option_id < 0), 0) AS if_need_be
        FROM (
            SELECT poll_id, unnest(option_ids) AS option_id, 1 AS n FROM inserted
            UNION ALL SELECT poll_id, unnest(new_ids), 1 FROM changed
            UNION ALL SELECT poll_id, unnest(old_ids), -1 FROM changed
        ) AS moves GROUP BY poll_id, abs(option_id)
    ) AS d
    WHERE (d.yes <> 0 OR d.if_need_be <> 0) AND options.poll_id = d.poll_id AND options.id = d.option_id
), ranking_moves AS (
    SELECT m.poll_id, m.ranking, sum(m.n) AS n FROM (
        SELECT poll_id, option_ids AS ranking, 1 AS n FROM inserted
        UNION ALL SELECT poll_id, new_ids, 1 FROM changed
        UNION ALL SELECT poll_id, old_ids, -1 FROM changed
    ) AS m JOIN open o ON o.id = m.poll_id AND o.ranked
    GROUP BY m.poll_id, m.ranking HAVING sum(m.n) <> 0
), rankings_up AS (
    INSERT INTO rankings (poll_id, ranking, ballots)
    SELECT poll_id, ranking, n FROM ranking_moves WHERE n > 0
    ON CONFLICT (poll_id, ranking) DO UPDATE SET ballots = rankings.ballots + excluded.ballots
), rankings_down AS (
    UPDATE rankings SET ballots = rankings.ballots + d.n
    FROM ranking_moves d
    WHERE d.n < 0 AND rankings.poll_id = d.poll_id AND rankings.ranking = d.ranking
)
SELECT 'open', id, '' FROM open
UNION ALL
SELECT 'stored', poll_id, voter_id FROM inserted
UNION ALL
SELECT 'changed', poll_id, voter_id FROM changed
UNION ALL
SELECT 'code', poll_id, voter_id FROM batch WHERE known_code`

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
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
// poll may be stale in one respect only, whether it is closed, and the batch
// statement decides that itself.
func (s *Store) cachedPolls(ctx context.Context, ids []string) (map[string]*pollstack.Poll, error) {
	polls := make(map[string]*pollstack.Poll, len(ids))
	var missing []string
	s.cacheMu.Lock()
	for _, id := range ids {
		if p := s.cache[id]; p != nil {
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
		s.cache[id], polls[id] = p, p
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

// BallotOf returns the options of the poll's ballot under the voter key.
func (s *Store) BallotOf(ctx context.Context, pollID, voterKey string) ([]int, error) {
	var options []int16
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT option_ids FROM ballots WHERE poll_id = $1 AND voter_id = $2`, pollID, voterKey).Scan(&options)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, pollstack.ErrNotVoted
	}
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: ballot: %w", err))
	}
	return fromInt16s(options), nil
}

// NameOf returns the name on the ballot under the voter key.
func (s *Store) NameOf(ctx context.Context, pollID, voterKey string) (string, error) {
	var name string
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT coalesce(name, '') FROM ballots WHERE poll_id = $1 AND voter_id = $2`, pollID, voterKey).Scan(&name)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", pollstack.ErrNotVoted
	}
	if err != nil {
		return "", markUnavailable(fmt.Errorf("postgres: name: %w", err))
	}
	return name, nil
}

// HasVoted reports whether the poll has a ballot under the voter key.
func (s *Store) HasVoted(ctx context.Context, pollID, voterKey string) (bool, error) {
	var voted bool
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ballots WHERE poll_id = $1 AND voter_id = $2)`, pollID, voterKey).Scan(&voted)
	})
	if err != nil {
		return false, markUnavailable(fmt.Errorf("postgres: has voted: %w", err))
	}
	return voted, nil
}

// Results reads the counters of a poll, and when it was closed by hand, in
// one query.
func (s *Store) Results(ctx context.Context, pollID string) (pollstack.Results, error) {
	r := pollstack.Results{Counts: make(map[int]int)}
	found := false
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT p.ballots, p.closed_at, p.last_vote_at, p.ranked, p.meeting, coalesce(p.decided, 0), o.id, o.votes, o.if_need_be FROM polls p JOIN options o ON o.poll_id = p.id WHERE p.id = $1`, pollID)
		if err != nil {
			return err
		}
		var total, votes, ifNeedBe int64
		var id, decided int16
		var ranked, meeting bool
		_, err = pgx.ForEachRow(rows, []any{&total, &r.ClosedAt, &r.LastVote, &ranked, &meeting, &decided, &id, &votes, &ifNeedBe}, func() error {
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

// execOne runs a statement that must touch (or select) exactly one poll.
func (s *Store) execOne(ctx context.Context, what, sql string, args ...any) error {
	var tag pgconn.CommandTag
	err := s.with(ctx, func(c *pgxpool.Conn) (err error) {
		tag, err = c.Exec(ctx, sql, args...)
		return err
	})
	if err != nil {
		return markUnavailable(fmt.Errorf("postgres: %s: %w", what, err))
	}
	if tag.RowsAffected() == 0 {
		return pollstack.ErrPollNotFound
	}
	return nil
}

// markUnavailable marks errors that mean "the database cannot be reached right
// now" as unavailable, so that callers answer 503 and retry, not 500. An
// error that PostgreSQL itself raised about the request stays as it is;
// everything else from the driver (refused or broken connections, timeouts)
// is the database being away.
func markUnavailable(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code[:2] == "08", // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutting down, starting up
			pgErr.Code == "53300",                        // too many connections
			pgErr.Code == "28P01", pgErr.Code == "28000": // credentials rejected (being rotated)
			return pollstack.Unavailable(err)
		}
		return err
	}
	return pollstack.Unavailable(err)
}

func inUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
