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
	// RolesOnly neither migrates nor checks the schema: a connection for
	// InitRoles as the master user, on a database that may be empty.
	RolesOnly bool
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
	switch {
	case opts.RolesOnly:
		prepare = s.Ping
	case opts.NoMigrations:
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

// querier is what loadPolls needs of a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
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
