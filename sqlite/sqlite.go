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
