//go:build integration

package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/pgtest"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/storetest"
)

// The package's tests share one throwaway PostgreSQL server, started by the
// first test that needs it; each test gets its own database.
func TestMain(m *testing.M) { pgtest.Main(m) }

// newDatabase creates an empty database and returns its URL.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	server := pgtest.Shared(tb)
	return server.URL(server.CreateDatabase(tb), server.User, "")
}

// MustOpen opens a store on a new, empty database.
func MustOpen(tb testing.TB, clock *storetest.Clock) (*postgres.Store, string) {
	tb.Helper()
	opts := postgres.Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	return MustOpenWith(tb, opts)
}

// MustOpenWith opens a store with options on a new, empty database.
func MustOpenWith(tb testing.TB, opts postgres.Options) (*postgres.Store, string) {
	tb.Helper()
	url := newDatabase(tb)
	s, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, url
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock *storetest.Clock) pollstack.Store {
		s, _ := MustOpen(t, clock)
		return s
	})
}

// Two servers starting at the same moment on one empty database both come
// up: the advisory lock makes one wait while the other migrates.
func TestConcurrentStartOnEmptyDatabase(t *testing.T) {
	url := newDatabase(t)
	const servers = 4
	var wg sync.WaitGroup
	errs := make([]error, servers)
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: %v", i, err)
		}
	}
	var applied int
	conn := mustConnect(t, url)
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != 1 {
		t.Errorf("schema_migrations rows = %d (%v), want 1", applied, err)
	}
}

// The schema itself refuses a second ballot, whatever the application does,
// and the counters equal the stored ballots.
func TestSchemaIntegrity(t *testing.T) {
	clock := storetest.NewClock()
	s, url := MustOpen(t, clock)
	p := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	for i := range 50 {
		if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, VoterID: fmt.Sprint("v", i), OptionIDs: []int{i%2 + 1}}); err != nil {
			t.Fatal(err)
		}
	}
	conn := mustConnect(t, url)
	ctx := context.Background()
	_, err := conn.Exec(ctx, `INSERT INTO ballots (poll_id, voter_id, created_at) VALUES ($1, 'v1', now())`, p.ID)
	if err == nil {
		t.Error("a second ballot for voter v1 was accepted by the schema")
	}
	var mismatches int
	err = conn.QueryRow(ctx, `
		SELECT count(*) FROM options o
		WHERE o.votes <> (SELECT count(*) FROM ballots b WHERE b.poll_id = o.poll_id AND o.id = ANY (b.option_ids))
		   OR (SELECT ballots FROM polls WHERE id = o.poll_id) <> (SELECT count(*) FROM ballots b WHERE b.poll_id = o.poll_id)`).Scan(&mismatches)
	if err != nil || mismatches != 0 {
		t.Errorf("options whose counters differ from the stored ballots: %d (%v)", mismatches, err)
	}
}

func mustConnect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
