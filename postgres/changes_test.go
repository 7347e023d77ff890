//go:build integration

package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/storetest"
)

// Two processes on one database: what one commits, the other hears.
func TestChangesReachOtherProcesses(t *testing.T) {
	clock := storetest.NewClock()
	writer, url := MustOpen(t, clock)
	reader := MustOpenAnother(t, url, clock)
	heard, _ := storetest.Record(t, reader)
	heard.Live(t, writer, clock.Now())

	p := storetest.MustCreate(t, writer, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := writer.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v"}, OptionIDs: []int{1}}); err != nil {
		t.Fatal(err)
	}
	heard.Expect(t, p.ID)
	if err := writer.DeletePoll(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	heard.Expect(t, p.ID)
}

// The LISTEN connection dies (an operator's pg_terminate_backend, a
// failover): the store connects again and then tells its watchers that any
// poll may have changed, since notifications sent meanwhile are lost; what
// commits afterwards is heard again.
func TestChangeFeedReconnects(t *testing.T) {
	clock := storetest.NewClock()
	s, url := MustOpen(t, clock)
	heard, _ := storetest.Record(t, s)
	heard.Live(t, s, clock.Now())

	conn := mustConnect(t, url)
	var killed int
	err := conn.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pollstack changes' AND datname = current_database()`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections (%v), want 1", killed, err)
	}
	if ids := heard.Next(t, 10*time.Second); ids != nil {
		t.Fatalf("after the LISTEN connection died the store said %v, want nil (any poll may have changed)", ids)
	}
	p := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v"}, OptionIDs: []int{1}}); err != nil {
		t.Fatal(err)
	}
	heard.Expect(t, p.ID)

	// An operator can ask every process to refresh every live poll.
	if _, err := conn.Exec(context.Background(), `NOTIFY pollstack_changes`); err != nil {
		t.Fatal(err)
	}
	if ids := heard.Next(t, 5*time.Second); ids != nil {
		t.Fatalf("an empty notification was heard as %v, want nil (any poll may have changed)", ids)
	}
}

// One batch that stores ballots of more polls than one notification may
// name (its payload is limited to 8,000 bytes) commits, and every poll is
// heard, over several notifications.
func TestChangesOfALargeBatch(t *testing.T) {
	clock := storetest.NewClock()
	s, url := MustOpenWith(t, postgres.Options{Now: clock.Now, Writers: 1, BatchSize: 1000})
	heard, _ := storetest.Record(t, s)
	heard.Live(t, s, clock.Now())
	const polls = 450
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: fmt.Sprint("Q", i), Options: []string{"A", "B"}}).ID
	}

	// Hold the writer on a lock so that the ballots queue up behind its
	// first batch and the next batch takes all the others at once.
	ctx := context.Background()
	lock := mustConnect(t, url)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE ballots IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Vote(ctx, pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: "v"}, OptionIDs: []int{1}}); err != nil {
				t.Errorf("vote: %v", err)
			}
		}()
	}
	time.Sleep(time.Second)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	largest := 0
	missing := map[string]bool{}
	for _, id := range ids {
		missing[id] = true
	}
	for len(missing) > 0 {
		got := heard.Next(t, 5*time.Second)
		largest = max(largest, len(got))
		for _, id := range got {
			delete(missing, id)
		}
	}
	if want := 200; largest != want {
		t.Errorf("the largest notification named %d polls, want %d: the batch was not split as meant", largest, want)
	}
}
