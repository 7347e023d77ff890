// Package storetest is the contract that every pollstack.Store passes. A
// store's own test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Clock is a settable clock shared by the suite and the store under test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at a fixed, microsecond-aligned time.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Opener opens a fresh, empty store whose notion of now is clock.Now.
type Opener func(t *testing.T, clock *Clock) pollstack.Store

// Run runs the whole contract.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, pollstack.Store, *Clock)
	}{
		{"CreateAndRead", testCreateAndRead},
		{"UnknownPoll", testUnknownPoll},
		{"SingleChoiceCounts", testSingleChoiceCounts},
		{"MultipleChoiceCounts", testMultipleChoiceCounts},
		{"RepeatVoteRejected", testRepeatVoteRejected},
		{"ConcurrentVotersAllCounted", testConcurrentVoters},
		{"ConcurrentRepeatVotesCountedOnce", testConcurrentRepeats},
		{"InvalidBallotStoresNothing", testInvalidBallot},
		{"ClosedByHand", testClosedByHand},
		{"ClosedByTime", testClosedByTime},
		{"Delete", testDelete},
		{"ManyPollsOneBatch", testManyPolls},
		{"Changes", testChanges},
		{"Ping", func(t *testing.T, s pollstack.Store, _ *Clock) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewClock()
			tt.fn(t, open(t, clock), clock)
		})
	}
}

// MustCreate validates and stores a poll.
func MustCreate(t testing.TB, s pollstack.Store, now time.Time, n pollstack.PollDraft) *pollstack.Poll {
	t.Helper()
	p, _, err := n.Validate(now)
	if err != nil {
		t.Fatalf("validate %+v: %v", n, err)
	}
	if err := s.CreatePoll(context.Background(), p); err != nil {
		t.Fatalf("CreatePoll: %v", err)
	}
	return p
}

func mustResults(t *testing.T, s pollstack.Store, id string) pollstack.Results {
	t.Helper()
	r, err := s.Results(context.Background(), id)
	if err != nil {
		t.Fatalf("Results(%s): %v", id, err)
	}
	return r
}

func wantCounts(t *testing.T, s pollstack.Store, id string, total int, counts map[int]int) {
	t.Helper()
	r := mustResults(t, s, id)
	if r.Total != total {
		t.Errorf("total = %d, want %d", r.Total, total)
	}
	for opt, want := range counts {
		if got := r.Counts[opt]; got != want {
			t.Errorf("option %d: votes = %d, want %d", opt, got, want)
		}
	}
}

func vote(s pollstack.Store, pollID, voter string, options ...int) error {
	return s.Vote(context.Background(), pollstack.Ballot{PollID: pollID, VoterID: voter, OptionIDs: options})
}

func testCreateAndRead(t *testing.T, s pollstack.Store, clock *Clock) {
	closes := clock.Now().Add(time.Hour)
	want := MustCreate(t, s, clock.Now(), pollstack.PollDraft{
		Question: "  Lunch?  ", Options: []string{"Soup", "Salad", "Ünïcödé ✓"},
		Multiple: true, ClosesAt: &closes, Visibility: pollstack.ResultsAfterVote,
	})
	got, err := s.Poll(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if got.ID != want.ID || got.Question != "Lunch?" || !got.Multiple || got.Visibility != pollstack.ResultsAfterVote {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if fmt.Sprint(got.Options) != fmt.Sprint(want.Options) {
		t.Errorf("options = %v, want %v", got.Options, want.Options)
	}
	if got.ClosesAt == nil || !got.ClosesAt.Equal(closes) {
		t.Errorf("closes_at = %v, want %v", got.ClosesAt, closes)
	}
	if !got.Created.Equal(clock.Now()) || got.ClosedAt != nil {
		t.Errorf("created = %v closed = %v, want %v and nil", got.Created, got.ClosedAt, clock.Now())
	}
	if pollstack.TokenMatches("wrong", got.AdminTokenHash) {
		t.Error("a wrong token matches the stored hash")
	}
	if string(got.AdminTokenHash) != string(want.AdminTokenHash) {
		t.Error("admin token hash changed in the store")
	}
	wantCounts(t, s, want.ID, 0, map[int]int{1: 0, 2: 0, 3: 0})
}

func testUnknownPoll(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	if _, err := s.Poll(ctx, "nope"); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("Poll: err = %v, want ErrPollNotFound", err)
	}
	if _, err := s.Results(ctx, "nope"); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("Results: err = %v, want ErrPollNotFound", err)
	}
	if err := vote(s, "nope", "v1", 1); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("Vote: err = %v, want ErrPollNotFound", err)
	}
	if err := s.ClosePoll(ctx, "nope", clock.Now()); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("ClosePoll: err = %v, want ErrPollNotFound", err)
	}
	if err := s.DeletePoll(ctx, "nope"); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("DeletePoll: err = %v, want ErrPollNotFound", err)
	}
}

func testSingleChoiceCounts(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}})
	for voter, opt := range map[string]int{"v1": 1, "v2": 1, "v3": 3} {
		if err := vote(s, p.ID, voter, opt); err != nil {
			t.Fatalf("vote %s: %v", voter, err)
		}
	}
	wantCounts(t, s, p.ID, 3, map[int]int{1: 2, 2: 0, 3: 1})
	for voter, want := range map[string]bool{"v1": true, "v3": true, "v9": false} {
		got, err := s.HasVoted(context.Background(), p.ID, voter)
		if err != nil || got != want {
			t.Errorf("HasVoted(%s) = %v, %v; want %v", voter, got, err, want)
		}
	}
}

func testMultipleChoiceCounts(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}, Multiple: true})
	if err := vote(s, p.ID, "v1", 1, 3); err != nil {
		t.Fatal(err)
	}
	if err := vote(s, p.ID, "v2", 3); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, p.ID, 2, map[int]int{1: 1, 2: 0, 3: 2})
}

func testRepeatVoteRejected(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := vote(s, p.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	if err := vote(s, p.ID, "v1", 2); !errors.Is(err, pollstack.ErrAlreadyVoted) {
		t.Fatalf("second vote: err = %v, want ErrAlreadyVoted", err)
	}
	wantCounts(t, s, p.ID, 1, map[int]int{1: 1, 2: 0})
}

func testConcurrentVoters(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	const voters = 200
	errs := make(chan error, voters)
	var wg sync.WaitGroup
	for i := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- vote(s, p.ID, fmt.Sprintf("voter-%d", i), i%2+1)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("vote: %v", err)
		}
	}
	wantCounts(t, s, p.ID, voters, map[int]int{1: voters / 2, 2: voters / 2})
}

func testConcurrentRepeats(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	const tries = 30
	var ok, dup, other atomic.Int32
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := vote(s, p.ID, "same-voter", i%2+1); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, pollstack.ErrAlreadyVoted):
				dup.Add(1)
			default:
				t.Errorf("vote: %v", err)
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || dup.Load() != tries-1 {
		t.Errorf("accepted %d, rejected as already voted %d, other %d; want 1, %d, 0", ok.Load(), dup.Load(), other.Load(), tries-1)
	}
	wantCounts(t, s, p.ID, 1, nil)
}

func testInvalidBallot(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := vote(s, p.ID, "v0", 2); err != nil {
		t.Fatal(err)
	}
	for name, options := range map[string][]int{"none": nil, "unknown": {3}, "zero": {0}, "two on single": {1, 2}} {
		err := vote(s, p.ID, "v1", options...)
		if e := pollstack.ErrorOf(err); e == nil || e.Kind != pollstack.KindInvalid || e.Field != "option_ids" {
			t.Errorf("%s: err = %v, want invalid option_ids", name, err)
		}
	}
	wantCounts(t, s, p.ID, 1, map[int]int{1: 0, 2: 1})
	if voted, _ := s.HasVoted(context.Background(), p.ID, "v1"); voted {
		t.Error("an invalid ballot was stored")
	}
}

func testClosedByHand(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := vote(s, p.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	first := clock.Now()
	if err := s.ClosePoll(ctx, p.ID, first); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := s.ClosePoll(ctx, p.ID, clock.Now()); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := vote(s, p.ID, "v2", 2); !errors.Is(err, pollstack.ErrPollClosed) {
		t.Errorf("vote on closed poll: err = %v, want ErrPollClosed", err)
	}
	got, err := s.Poll(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ClosedAt == nil || !got.ClosedAt.Equal(first) || !got.Closed(clock.Now()) {
		t.Errorf("closed_at = %v, want the first close %v", got.ClosedAt, first)
	}
	wantCounts(t, s, p.ID, 1, map[int]int{1: 1, 2: 0})
}

func testClosedByTime(t *testing.T, s pollstack.Store, clock *Clock) {
	closes := clock.Now().Add(time.Hour)
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, ClosesAt: &closes})
	if err := vote(s, p.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := vote(s, p.ID, "v2", 1); !errors.Is(err, pollstack.ErrPollClosed) {
		t.Errorf("vote at closing time: err = %v, want ErrPollClosed", err)
	}
	wantCounts(t, s, p.ID, 1, map[int]int{1: 1})
}

func testDelete(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	other := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Other", Options: []string{"A", "B"}})
	for _, id := range []string{p.ID, other.ID} {
		if err := vote(s, id, "v1", 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeletePoll(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Poll(ctx, p.ID); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("deleted poll: err = %v, want ErrPollNotFound", err)
	}
	if voted, _ := s.HasVoted(ctx, p.ID, "v1"); voted {
		t.Error("ballots of a deleted poll remain")
	}
	wantCounts(t, s, other.ID, 1, map[int]int{1: 1})
}

// testManyPolls votes on many polls at once, so that batches mix polls.
func testManyPolls(t *testing.T, s pollstack.Store, clock *Clock) {
	const polls, voters = 20, 10
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: fmt.Sprint("Q", i), Options: []string{"A", "B"}}).ID
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		for v := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := vote(s, id, fmt.Sprint("v", v), 1); err != nil {
					t.Errorf("vote: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	for _, id := range ids {
		wantCounts(t, s, id, voters, map[int]int{1: voters, 2: 0})
	}
}
