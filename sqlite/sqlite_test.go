package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/sqlite"
	"github.com/pollstack/pollstack/storetest"
)

// MustOpen opens a store on a new file in a temporary directory.
func MustOpen(tb testing.TB, path string, clock *storetest.Clock) *sqlite.Store {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "pollstack.db")
	}
	opts := sqlite.Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock *storetest.Clock) pollstack.Store {
		return MustOpen(t, "", clock)
	})
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	clock := storetest.NewClock()
	s := MustOpen(t, path, clock)
	p := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v"}, OptionIDs: []int{2}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := MustOpen(t, path, clock)
	r, err := s2.Results(context.Background(), p.ID)
	if err != nil || r.Total != 1 || r.Counts[2] != 1 {
		t.Fatalf("after reopen: %+v, %v; want one vote for option 2", r, err)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ":memory:", sqlite.Options{}); err == nil {
		t.Fatal("Open(:memory:) succeeded; want an error")
	}
}

// The schema itself holds the duplicate-check rules, whatever the
// application does: a "code" poll's ballot needs one of its codes, codes
// belong to "code" polls only, and a ballot carries its poll's check.
func TestSchemaHoldsDuplicateChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	clock := storetest.NewClock()
	s := MustOpen(t, path, clock)
	code, secrets := storetest.MustCreateWithSecrets(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 1})
	browser := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	key, unknown := secrets.Codes.Keys()[0], pollstack.NewCodeBatch(1).Keys()[0]
	db := openRaw(t, path)
	for name, stmt := range map[string][]any{
		"code ballot without a code":            {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check) VALUES (?, 'v', '[1]', 0, 'code')`, code.ID},
		"code ballot with an unknown code":      {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES (?, ?, '[1]', 0, 'code', ?)`, code.ID, unknown, unknown},
		"code ballot keyed apart from its code": {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES (?, 'v', '[1]', 0, 'code', ?)`, code.ID, key},
		"ballot claiming another check":         {`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check) VALUES (?, 'v', '[1]', 0, 'browser')`, code.ID},
		"voter code for a browser poll":         {`INSERT INTO voter_codes (poll_id, code) VALUES (?, ?)`, browser.ID, key},
		"unknown duplicate check":               {`UPDATE polls SET duplicate_check = 'cookie' WHERE id = ?`, browser.ID},
	} {
		if _, err := db.Exec(stmt[0].(string), stmt[1:]...); err == nil {
			t.Errorf("%s: accepted by the schema", name)
		}
	}
	ok := `INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code) VALUES (?, ?, '[1]', 0, 'code', ?)`
	if _, err := db.Exec(ok, code.ID, key, key); err != nil {
		t.Fatalf("a ballot with its code: %v", err)
	}
	if _, err := db.Exec(ok, code.ID, key, key); err == nil {
		t.Error("a second ballot with the same code: accepted by the schema")
	}
}

// A database made by migration 001 keeps its polls and ballots through
// 002: they become browser polls, and their voters still cannot vote twice.
func TestMigrationKeepsBallots(t *testing.T) {
	path := oldDatabase(t,
		`INSERT INTO polls (id, question, multiple, results, created_at, admin_token_hash, ballots) VALUES ('AAAAAAAAAAAAAAAA', 'Q', 0, 'always', 0, zeroblob(32), 1)`,
		`INSERT INTO options (poll_id, id, label, votes) VALUES ('AAAAAAAAAAAAAAAA', 1, 'A', 1), ('AAAAAAAAAAAAAAAA', 2, 'B', 0)`,
		`INSERT INTO ballots (poll_id, voter_id, option_ids, created_at) VALUES ('AAAAAAAAAAAAAAAA', 'old-voter', '[1]', 0)`,
	)
	s := MustOpen(t, path, nil)
	storetest.WantMigratedBallot(t, s, "AAAAAAAAAAAAAAAA", "old-voter")
}

// Polls made before migration 003 get the choice limits they always had,
// and the schema holds the new rules itself, whatever a program writes.
func TestMigrationGivesOldPollsTheirLimits(t *testing.T) {
	path := oldDatabase(t,
		`INSERT INTO polls (id, question, multiple, results, created_at, admin_token_hash) VALUES ('MMMMMMMMMMMMMMMM', 'M?', 1, 'always', 0, zeroblob(32)), ('SSSSSSSSSSSSSSSS', 'S?', 0, 'always', 0, zeroblob(32))`,
		`INSERT INTO options (poll_id, id, label) VALUES ('MMMMMMMMMMMMMMMM', 1, 'A'), ('MMMMMMMMMMMMMMMM', 2, 'B'), ('MMMMMMMMMMMMMMMM', 3, 'C'), ('SSSSSSSSSSSSSSSS', 1, 'A'), ('SSSSSSSSSSSSSSSS', 2, 'B')`,
	)
	s := MustOpen(t, path, nil)
	storetest.WantMigratedLimits(t, s, "MMMMMMMMMMMMMMMM", "SSSSSSSSSSSSSSSS")
	db := openRaw(t, path)
	for _, stmt := range []string{
		`UPDATE polls SET min_choices = 3, max_choices = 2 WHERE id = 'MMMMMMMMMMMMMMMM'`,
		`UPDATE polls SET max_choices = 2 WHERE id = 'SSSSSSSSSSSSSSSS'`,
		`UPDATE polls SET min_choices = 0 WHERE id = 'MMMMMMMMMMMMMMMM'`,
		`UPDATE polls SET description = '` + strings.Repeat("x", pollstack.MaxDescriptionLen+1) + `' WHERE id = 'MMMMMMMMMMMMMMMM'`,
	} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "CHECK constraint failed") {
			t.Errorf("%.80s: err = %v, want a CHECK constraint failure", stmt, err)
		}
	}
}

// oldDatabase makes a database file as migration 001 left it, with rows,
// and returns its path.
func oldDatabase(t *testing.T, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	v1, err := os.ReadFile("migrations/001_polls.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, path)
	for _, stmt := range append([]string{
		string(v1),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_migrations VALUES (1, '001_polls.sql', 0)`,
	}, rows...) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%.40s: %v", stmt, err)
		}
	}
	db.Close()
	return path
}

// openRaw opens the database file directly, with foreign keys enforced as
// the store enforces them.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
