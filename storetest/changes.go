package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Recorder is a watcher of a store's change feed that keeps what it hears.
type Recorder struct {
	heard    chan []string
	mu       sync.Mutex
	overflow bool
}

// Record watches the store until the end of the test, or until the
// returned stop function is called.
func Record(t testing.TB, s pollstack.Store) (*Recorder, func()) {
	r := &Recorder{heard: make(chan []string, 10000)}
	stop := s.Watch(func(ids []string) {
		select {
		case r.heard <- ids:
		default: // a watcher must not block; the test reports it
			r.mu.Lock()
			r.overflow = true
			r.mu.Unlock()
		}
	})
	t.Cleanup(stop)
	return r, stop
}

// Next returns the next notification, or fails after wait.
func (r *Recorder) Next(t testing.TB, wait time.Duration) []string {
	t.Helper()
	select {
	case ids := <-r.heard:
		return ids
	case <-time.After(wait):
		t.Fatalf("no change notification within %v", wait)
		return nil
	}
}

// Expect reads notifications until it has heard of every poll in want,
// and fails if one of them names any other poll, or says that any poll may
// have changed (the feed reconnected, which a healthy test never makes it do).
func (r *Recorder) Expect(t testing.TB, want ...string) {
	t.Helper()
	missing := slices.Clone(want)
	for len(missing) > 0 {
		ids := r.Next(t, 5*time.Second)
		if ids == nil {
			t.Fatalf("heard \"any poll may have changed\" while waiting for %v", missing)
		}
		for _, id := range ids {
			if !slices.Contains(want, id) {
				t.Fatalf("heard of poll %q while waiting for %v: it did not change", id, missing)
			}
			missing = slices.DeleteFunc(missing, func(m string) bool { return m == id })
		}
	}
}

// Silent fails if a notification is waiting.
func (r *Recorder) Silent(t testing.TB) {
	t.Helper()
	select {
	case ids := <-r.heard:
		t.Fatalf("heard %v, want nothing", ids)
	default:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.overflow {
		t.Fatal("the recorder overflowed: the store published far more than it changed")
	}
}

// Live waits until the feed carries changes: it votes in a poll of its
// own, with a new voter every 100 ms, until it hears of it. A store may
// start listening after Watch returns (PostgreSQL connects first), and a
// change made before then is only covered by "any poll may have changed".
func (r *Recorder) Live(t testing.TB, s pollstack.Store, now time.Time) {
	t.Helper()
	p := MustCreate(t, s, now, pollstack.PollDraft{Question: "Warm-up", Options: []string{"A", "B"}})
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		if err := vote(s, p.ID, fmt.Sprint("warm-up-", i), 1); err != nil {
			t.Fatalf("warm-up vote: %v", err)
		}
		select {
		case ids := <-r.heard:
			if slices.Contains(ids, p.ID) {
				r.drain()
				return
			}
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the change feed carried no change within 15 s")
		}
	}
}

// drain forgets what was heard so far.
func (r *Recorder) drain() {
	for {
		select {
		case <-r.heard:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

// testChanges: a watcher hears of every committed change to a poll's
// counts or state (votes, closing, deleting) and of nothing else: not of
// rejected ballots, not of polls that were not touched, not after it stopped.
func testChanges(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	w, _ := Record(t, s)
	stopped, stop := Record(t, s)
	w.Live(t, s, clock.Now())
	stopped.drain()
	a := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "A", Options: []string{"A", "B"}})
	b := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "B", Options: []string{"A", "B"}})

	if err := vote(s, a.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, a.ID)

	// Ballots that are refused change nothing: the next thing heard is b.
	if err := vote(s, a.ID, "v1", 2); !errors.Is(err, pollstack.ErrAlreadyVoted) {
		t.Fatalf("repeat vote: %v", err)
	}
	if err := vote(s, a.ID, "v2", 9); err == nil {
		t.Fatal("a ballot for a missing option was stored")
	}
	if err := vote(s, b.ID, "v1", 2); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, b.ID)

	// Concurrent ballots on both polls, committed in shared batches.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := vote(s, []string{a.ID, b.ID}[i%2], fmt.Sprint("many-", i), 1); err != nil {
				t.Errorf("vote: %v", err)
			}
		}()
	}
	wg.Wait()
	w.Expect(t, a.ID, b.ID)
	w.drain() // the batches may have been heard in several notifications

	if err := s.ClosePoll(ctx, a.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, a.ID)
	if err := s.ClosePoll(ctx, "missing", clock.Now()); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Fatalf("close a missing poll: %v", err)
	}
	if err := s.DeletePoll(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, b.ID)

	// A watcher that stopped hears nothing more; the other still does.
	stop()
	stopped.drain()
	c := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "C", Options: []string{"A", "B"}})
	if err := vote(s, c.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	w.Expect(t, c.ID)
	stopped.Silent(t)
	w.Silent(t)
}
