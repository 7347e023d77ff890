//go:build integration

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
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

// MustOpenAnother opens a second store on the database at url: another
// server process, as far as the database can tell.
func MustOpenAnother(tb testing.TB, url string, clock *storetest.Clock) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
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
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != migrations(t) {
		t.Errorf("schema_migrations rows = %d (%v), want %d", applied, err, migrations(t))
	}
}

// The schema itself refuses a second ballot, whatever the application does,
// and the counters equal the stored ballots.
func TestSchemaIntegrity(t *testing.T) {
	clock := storetest.NewClock()
	s, url := MustOpen(t, clock)
	p := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	for i := range 50 {
		if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: fmt.Sprint("v", i)}, OptionIDs: []int{i%2 + 1}}); err != nil {
			t.Fatal(err)
		}
	}
	conn := mustConnect(t, url)
	ctx := context.Background()
	_, err := conn.Exec(ctx, `INSERT INTO ballots (poll_id, voter_id, created_at) VALUES ($1, 'v1', now())`, p.ID)
	if err == nil {
		t.Error("a second ballot for voter v1 was accepted by the schema")
	}
	if n := counterMismatches(t, url); n != 0 {
		t.Errorf("options whose counters differ from the stored ballots: %d", n)
	}
}

// counterMismatches counts the options whose counters (or whose poll's
// ballot count) differ from the stored ballots.
func counterMismatches(t *testing.T, url string) int {
	t.Helper()
	var n int
	err := mustConnect(t, url).QueryRow(context.Background(), `
		SELECT count(*) FROM options o
		WHERE o.votes <> (SELECT count(*) FROM ballots b WHERE b.poll_id = o.poll_id AND o.id = ANY (b.option_ids))
		   OR (SELECT ballots FROM polls WHERE id = o.poll_id) <> (SELECT count(*) FROM ballots b WHERE b.poll_id = o.poll_id)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
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

// migrations counts the store's migration files.
func migrations(t *testing.T) int {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	return len(files)
}

// The schema itself holds the duplicate-check rules, whatever the
// application does: a "code" poll's ballot needs one of its codes, codes
// belong to "code" polls only, and a ballot carries its poll's check.
func TestSchemaHoldsDuplicateChecks(t *testing.T) {
	clock := storetest.NewClock()
	s, url := MustOpen(t, clock)
	code, secrets := storetest.MustCreateWithSecrets(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 1})
	browser := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	key, unknown := secrets.Codes.Keys()[0], pollstack.NewCodeBatch(1).Keys()[0]
	conn := mustConnect(t, url)
	ctx := context.Background()
	for name, stmt := range map[string][]any{
		"code ballot without a code":            {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check) VALUES ($1, 'v', '{1}', now(), 'code')`, code.ID},
		"code ballot with an unknown code":      {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES ($1, $2, '{1}', now(), 'code', $2)`, code.ID, unknown},
		"code ballot keyed apart from its code": {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES ($1, 'v', '{1}', now(), 'code', $2)`, code.ID, key},
		"ballot claiming another check":         {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check) VALUES ($1, 'v', '{1}', now(), 'browser')`, code.ID},
		"voter code for a browser poll":         {`INSERT INTO voter_codes (poll_id, code) VALUES ($1, $2)`, browser.ID, key},
		"unknown duplicate check":               {`UPDATE polls SET duplicate_check = 'cookie' WHERE id = $1`, browser.ID},
	} {
		if _, err := conn.Exec(ctx, stmt[0].(string), stmt[1:]...); err == nil {
			t.Errorf("%s: accepted by the schema", name)
		}
	}
	ok := `INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES ($1, $2, '{1}', now(), 'code', $2)`
	if _, err := conn.Exec(ctx, ok, code.ID, key); err != nil {
		t.Fatalf("a ballot with its code: %v", err)
	}
	if _, err := conn.Exec(ctx, ok, code.ID, key); err == nil {
		t.Error("a second ballot with the same code: accepted by the schema")
	}
}

// A database made by migration 001 keeps its polls and ballots through
// 002: they become browser polls, and their voters still cannot vote twice.
func TestMigrationKeepsBallots(t *testing.T) {
	s := openOldDatabase(t,
		`INSERT INTO polls (id, question, multiple, results, created_at, admin_token_hash, ballots) VALUES ('AAAAAAAAAAAAAAAA', 'Q', false, 'always', now(), decode(repeat('00', 32), 'hex'), 1)`,
		`INSERT INTO options (poll_id, id, label, votes) VALUES ('AAAAAAAAAAAAAAAA', 1, 'A', 1), ('AAAAAAAAAAAAAAAA', 2, 'B', 0)`,
		`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at) VALUES ('AAAAAAAAAAAAAAAA', 'old-voter', '{1}', now())`,
	)
	storetest.WantMigratedBallot(t, s.Store, "AAAAAAAAAAAAAAAA", "old-voter")
}

// Polls made before migration 003 get the choice limits they always had,
// and the schema holds the new rules itself, whatever a program writes.
func TestMigrationGivesOldPollsTheirLimits(t *testing.T) {
	s := openOldDatabase(t,
		`INSERT INTO polls (id, question, multiple, results, created_at, admin_token_hash) VALUES ('MMMMMMMMMMMMMMMM', 'M?', true, 'always', now(), decode(repeat('00', 32), 'hex')), ('SSSSSSSSSSSSSSSS', 'S?', false, 'always', now(), decode(repeat('00', 32), 'hex'))`,
		`INSERT INTO options (poll_id, id, label) VALUES ('MMMMMMMMMMMMMMMM', 1, 'A'), ('MMMMMMMMMMMMMMMM', 2, 'B'), ('MMMMMMMMMMMMMMMM', 3, 'C'), ('SSSSSSSSSSSSSSSS', 1, 'A'), ('SSSSSSSSSSSSSSSS', 2, 'B')`,
	)
	storetest.WantMigratedLimits(t, s.Store, "MMMMMMMMMMMMMMMM", "SSSSSSSSSSSSSSSS")
	for _, stmt := range []string{
		`UPDATE polls SET min_choices = 3, max_choices = 2 WHERE id = 'MMMMMMMMMMMMMMMM'`,
		`UPDATE polls SET max_choices = 2 WHERE id = 'SSSSSSSSSSSSSSSS'`,
		`UPDATE polls SET min_choices = 0 WHERE id = 'MMMMMMMMMMMMMMMM'`,
		`UPDATE polls SET description = repeat('x', 1001) WHERE id = 'MMMMMMMMMMMMMMMM'`,
	} {
		var pgErr *pgconn.PgError
		if _, err := s.conn.Exec(context.Background(), stmt); !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("%s: err = %v, want a check violation (23514)", stmt, err)
		}
	}
}

// oldStore is a store opened on a database that migration 001 made, with a
// direct connection to it.
type oldStore struct {
	*postgres.Store
	conn *pgx.Conn
}

// openOldDatabase makes a database as migration 001 left it, with rows, and
// opens a store on it (which applies the later migrations).
func openOldDatabase(t *testing.T, rows ...string) oldStore {
	t.Helper()
	url := newDatabase(t)
	v1, err := os.ReadFile("migrations/001_polls.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn := mustConnect(t, url)
	ctx := context.Background()
	for _, stmt := range append([]string{
		string(v1),
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO schema_migrations (version, name) VALUES (1, '001_polls.sql')`,
	}, rows...) {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%.40s: %v", stmt, err)
		}
	}
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return oldStore{Store: s, conn: conn}
}

// Two servers change the same ballots at once. Their batches wait on the
// same poll lock, and each statement's snapshot predates the other's
// commit: a change that took its old options from that snapshot would
// count away options the ballot no longer has. The counters must equal the
// stored ballots, option by option.
func TestChangesAcrossServers(t *testing.T) {
	clock := storetest.NewClock()
	a, url := MustOpen(t, clock)
	b := MustOpenAnother(t, url, clock)
	p := storetest.MustCreate(t, a, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C", "D"}, AllowChanges: true})
	const voters, changes = 20, 20
	for v := range voters {
		if err := a.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: fmt.Sprint("v", v)}, OptionIDs: []int{1}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for v := range voters {
		for c := range changes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				server := []*postgres.Store{a, b}[c%2]
				ballot := pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: fmt.Sprint("v", v)}, OptionIDs: []int{(v+c)%4 + 1}, Change: true}
				if err := server.Vote(context.Background(), ballot); err != nil {
					t.Errorf("change: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	if n := counterMismatches(t, url); n != 0 {
		r, _ := a.Results(context.Background(), p.ID)
		t.Errorf("options whose counters differ from the stored ballots: %d; counters %v", n, r.Counts)
	}
}

// Voters on two servers writing the same new answer at once make one
// option, counted once per ballot, and the counters equal the ballots; many
// polls, so that the two servers' batches meet.
func TestWriteInsAcrossServers(t *testing.T) {
	clock := storetest.NewClock()
	a, url := MustOpen(t, clock)
	b := MustOpenAnother(t, url, clock)
	const polls, voters = 20, 10
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = storetest.MustCreate(t, a, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowOther: true}).ID
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range ids {
		for v := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				server := []*postgres.Store{a, b}[v%2]
				other := []string{"Plum", "plum", "PLUM"}[v%3]
				if err := server.Vote(context.Background(), pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: fmt.Sprint("v", v)}, Other: other}); err != nil {
					t.Errorf("vote: %v", err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	for _, id := range ids {
		got, err := b.Poll(context.Background(), id)
		if err != nil || len(got.Options) != 3 {
			t.Fatalf("options = %+v, %v; want A, B and one Plum", got.Options, err)
		}
		if r, _ := a.Results(context.Background(), id); r.Total != voters || r.Counts[got.Options[2].ID] != voters {
			t.Errorf("results %+v, want %d ballots, all for option %d", r, voters, got.Options[2].ID)
		}
	}
	if n := counterMismatches(t, url); n != 0 {
		t.Errorf("options whose counters differ from the stored ballots: %d", n)
	}
}

// An edit on one server reaches the poll another server caches for its
// vote batches: a vote there for the option just deleted is refused, never
// stored under an ID the poll no longer has, and a vote for the option just
// added is taken; a poll reopened on one server takes votes on the other.
func TestEditAcrossServers(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock()
	a, url := MustOpen(t, clock)
	b := MustOpenAnother(t, url, clock)
	p := storetest.MustCreate(t, a, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}})
	vote := func(s *postgres.Store, voter string, option int) error {
		return s.Vote(ctx, pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: voter}, OptionIDs: []int{option}})
	}
	if err := vote(a, "first", 1); err != nil { // a caches the poll
		t.Fatal(err)
	}
	edit := pollstack.PollEdit{Options: []pollstack.OptionEdit{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}, {Label: "D"}}}
	if _, err := b.EditPoll(ctx, p.ID, 0, edit, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := vote(a, "second", 3); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Code != "option_unknown" {
		t.Errorf("a vote for the deleted option on the other server: %v, want option_unknown", err)
	}
	if err := vote(a, "third", 4); err != nil {
		t.Errorf("a vote for the added option on the other server: %v", err)
	}
	if err := a.ClosePoll(ctx, p.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, voter := range []string{"late", "later"} { // the second finds it closed in a's cache
		if err := vote(a, voter, 1); !errors.Is(err, pollstack.ErrPollClosed) {
			t.Fatalf("a vote after closing: %v", err)
		}
	}
	if _, err := b.EditPoll(ctx, p.ID, 0, pollstack.PollEdit{Reopen: true}, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := vote(a, "reopened", 1); err != nil {
		t.Errorf("a vote on the other server after reopening: %v", err)
	}
	for _, b := range storetest.Exported(t, a, p.ID) {
		if b.OptionIDs[0] == 3 {
			t.Errorf("a stored ballot names the deleted option 3")
		}
	}
	if n := counterMismatches(t, url); n != 0 {
		t.Errorf("options whose counters differ from the stored ballots: %d", n)
	}
}
