package retention_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/retention"
	"github.com/pollstack/pollstack/sqlite"
)

// A sweep on a real store deletes a poll with more ballots than one step
// takes, in several steps, and keeps the poll that is not due.
func TestSweepDeletesInBoundedSteps(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/retention.db", sqlite.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	create := func(question string) string {
		p, secrets, err := pollstack.PollDraft{Question: question, Options: []string{"A", "B"}}.NewPoll(now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePoll(context.Background(), p, secrets.Codes.Keys()); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	old := create("Old")
	for v := range 25 {
		if err := s.Vote(context.Background(), pollstack.Ballot{PollID: old, Voter: pollstack.Voter{Browser: fmt.Sprint("voter-", v)}, OptionIDs: []int{1}}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(24 * time.Hour)
	fresh := create("Fresh")
	now = now.Add(24*time.Hour + time.Second)

	counted := &countingStore{Store: s}
	job := retention.Job{Store: counted, Retention: 48 * time.Hour, Rows: 10, Pause: time.Millisecond, Now: clock}
	n, err := job.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: deleted %d, %v; want 1", n, err)
	}
	if _, err := s.Poll(context.Background(), old); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("the old poll: %v, want it deleted", err)
	}
	if _, err := s.Poll(context.Background(), fresh); err != nil {
		t.Errorf("the fresh poll: %v, want it kept", err)
	}
	// 25 ballots, 10 a step: 3 steps (the third deletes the last 5 and the
	// poll), and one that finds nothing left.
	if counted.steps != 4 {
		t.Errorf("%d steps, want 4 (25 ballots, 10 rows a step)", counted.steps)
	}
}

type countingStore struct {
	*sqlite.Store
	steps int
}

func (c *countingStore) DeleteExpired(ctx context.Context, cutoff time.Time, maxRows int) ([]string, bool, error) {
	c.steps++
	return c.Store.DeleteExpired(ctx, cutoff, maxRows)
}
