package sqlite_test

import (
	"context"
	"path/filepath"
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
	if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, VoterID: "v", OptionIDs: []int{2}}); err != nil {
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
