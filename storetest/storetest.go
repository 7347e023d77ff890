// Package storetest is the contract that every pollstack.Store passes. A
// store's own test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

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

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

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
		{"ChoiceLimits", testChoiceLimits},
		{"ChangeVote", testChangeVote},
		{"ChangeVoteEveryCheck", testChangeVoteChecks},
		{"ConcurrentChangesAndVotes", testConcurrentChanges},
		{"ChangesHeard", testChangesHeard},
		{"ClosedByHand", testClosedByHand},
		{"ClosedByTime", testClosedByTime},
		{"Delete", testDelete},
		{"Retention", testRetention},
		{"ManyPollsOneBatch", testManyPolls},
		{"Changes", testChanges},
		{"CheckBrowser", testCheckBrowser},
		{"CheckAddress", testCheckAddress},
		{"CheckAddressConcurrent", testCheckAddressConcurrent},
		{"CheckCode", testCheckCode},
		{"CheckCodeConcurrent", testCheckCodeConcurrent},
		{"AddVoterCodes", testAddVoterCodes},
		{"CheckNone", testCheckNone},
		{"ChecksMixedInBatches", testChecksMixed},
		{"RankedBallots", testRankedBallots},
		{"RankedConcurrent", testRankedConcurrent},
		{"EmbedOrigins", testEmbedOrigins},
		{"Receipts", testReceipts},
		{"MeetingAnswers", testMeetingAnswers},
		{"MeetingCode", testMeetingCode},
		{"MeetingConcurrent", testMeetingConcurrent},
		{"OtherMerge", testOtherMerge},
		{"OtherCap", testOtherCap},
		{"OtherApproval", testOtherApproval},
		{"OtherConcurrent", testOtherConcurrent},
		{"OtherAndEdit", testOtherAndEdit},
		{"Edit", testEdit},
		{"EditConcurrentVotes", testEditConcurrent},
		{"JoinCode", testJoinCode},
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
	p, _ := MustCreateWithSecrets(t, s, now, n)
	return p
}

// MustCreateWithSecrets validates and stores a poll, and returns its secrets
// (the admin token, the voter codes of a "code" poll).
func MustCreateWithSecrets(t testing.TB, s pollstack.Store, now time.Time, n pollstack.PollDraft) (*pollstack.Poll, pollstack.Secrets) {
	t.Helper()
	p, secrets, err := n.NewPoll(now)
	if err != nil {
		t.Fatalf("validate %+v: %v", n, err)
	}
	if err := s.CreatePoll(context.Background(), p, secrets.Codes.Keys()); err != nil {
		t.Fatalf("CreatePoll: %v", err)
	}
	return p, secrets
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

// vote casts a ballot from a browser (the voter cookie) at its own address.
func vote(s pollstack.Store, pollID, browser string, options ...int) error {
	return voteAs(s, pollID, pollstack.Voter{Browser: browser, Address: addressKey("address of " + browser)}, options...)
}

func voteAs(s pollstack.Store, pollID string, v pollstack.Voter, options ...int) error {
	return s.Vote(context.Background(), pollstack.Ballot{PollID: pollID, Voter: v, OptionIDs: options})
}

func testCreateAndRead(t *testing.T, s pollstack.Store, clock *Clock) {
	closes := clock.Now().Add(time.Hour)
	description := "Where we eat on Friday.\nVote by noon — ✓ Ünïcödé.\n\n"
	description += strings.Repeat("é", pollstack.MaxDescriptionLen-utf8.RuneCountInString(description))
	want := MustCreate(t, s, clock.Now(), pollstack.PollDraft{
		Question: "  Lunch?  ", Description: description, Options: []string{"Soup", "Salad", "Ünïcödé ✓"},
		Multiple: true, MinChoices: 2, AllowChanges: true, ClosesAt: &closes, Visibility: pollstack.ResultsAfterVote,
	})
	got, err := s.Poll(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if got.ID != want.ID || got.Question != "Lunch?" || !got.Multiple || got.Visibility != pollstack.ResultsAfterVote {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.Description != want.Description || got.MinChoices != 2 || got.MaxChoices != 3 || !got.AllowChanges {
		t.Errorf("description %q, choices %d..%d, allow changes %v; want %q, 2..3, true",
			got.Description, got.MinChoices, got.MaxChoices, got.AllowChanges, want.Description)
	}
	if utf8.RuneCountInString(got.Description) != pollstack.MaxDescriptionLen {
		t.Errorf("description of %d characters, want the %d stored whole", utf8.RuneCountInString(got.Description), pollstack.MaxDescriptionLen)
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
	if got.DuplicateCheck != pollstack.CheckBrowser {
		t.Errorf("duplicate check = %q, want the default, browser", got.DuplicateCheck)
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

// testChoiceLimits: a ballot outside the poll's limits is refused whole,
// through the store as through the domain.
func testChoiceLimits(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C", "D"}, Multiple: true, MinChoices: 2, MaxChoices: 3})
	for name, tt := range map[string]struct {
		options []int
		code    string
	}{
		"too few":  {[]int{1}, "choices_too_few"},
		"too many": {[]int{1, 2, 3, 4}, "choices_too_many"},
	} {
		if e := pollstack.ErrorOf(vote(s, p.ID, "v1", tt.options...)); e == nil || e.Code != tt.code {
			t.Errorf("%s: err = %v, want %s", name, e, tt.code)
		}
	}
	if err := vote(s, p.ID, "v1", 4, 2, 1); err != nil {
		t.Fatalf("a ballot within the limits: %v", err)
	}
	wantCounts(t, s, p.ID, 1, map[int]int{1: 1, 2: 1, 3: 0, 4: 1})
}

func testClosedByHand(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := vote(s, p.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	if r := mustResults(t, s, p.ID); r.ClosedAt != nil {
		t.Errorf("results of an open poll: closed at %v", r.ClosedAt)
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
	if r := mustResults(t, s, p.ID); r.ClosedAt == nil || !r.ClosedAt.Equal(first) {
		t.Errorf("results: closed at %v, want the first close %v", r.ClosedAt, first)
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

// WantMigratedBallot checks a store opened on a database that the previous
// schema made, holding poll pollID with one ballot of voter for option 1:
// the poll is a browser poll, that voter cannot vote again, others can.
func WantMigratedBallot(t *testing.T, s pollstack.Store, pollID, voter string) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Poll(ctx, pollID)
	if err != nil || p.DuplicateCheck != pollstack.CheckBrowser {
		t.Fatalf("old poll: %+v, %v; want a browser poll", p, err)
	}
	if voted, err := s.HasVoted(ctx, p.ID, voter); err != nil || !voted {
		t.Errorf("old ballot: HasVoted = %v, %v", voted, err)
	}
	wantOutcome(t, "old voter votes again", voteAs(s, p.ID, pollstack.Voter{Browser: voter}, 2), pollstack.ErrAlreadyVoted)
	wantOutcome(t, "new voter", voteAs(s, p.ID, pollstack.Voter{Browser: "new-" + voter}, 2), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 1, 2: 1})
}

// WantMigratedLimits checks, after migration 003, two polls a database made
// before it held: a multiple choice poll takes up to every option, a single
// choice poll exactly one, neither has a description or allows changes.
func WantMigratedLimits(t *testing.T, s pollstack.Store, multipleID, singleID string) {
	t.Helper()
	for id, want := range map[string][2]int{multipleID: {1, 3}, singleID: {1, 1}} {
		p, err := s.Poll(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Embeddable() {
			t.Errorf("%s after migration 005: embeddable in %q, want in no site", id, p.EmbedOrigins)
		}
		if p.MinChoices != want[0] || p.MaxChoices != want[1] || p.Description != "" || p.AllowChanges {
			t.Errorf("%s after migration: choices %d..%d, description %q, allow changes %v; want %d..%d, empty, false",
				id, p.MinChoices, p.MaxChoices, p.Description, p.AllowChanges, want[0], want[1])
		}
	}
	wantOutcome(t, "every option of an old multiple choice poll", voteAs(s, multipleID, pollstack.Voter{Browser: "v"}, 1, 2, 3), nil)
}

// outcomes counts the errors of concurrent calls by their code ("ok" for nil).
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) add(t *testing.T, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	switch e := pollstack.ErrorOf(err); {
	case err == nil:
		o.n["ok"]++
	case e != nil:
		o.n[e.Code]++
	default:
		t.Errorf("internal error: %v", err)
		o.n["internal"]++
	}
}

func (o *outcomes) String() string { return fmt.Sprint(o.n) }

// concurrently runs fn n times at once and counts the outcomes.
func concurrently(t *testing.T, n int, fn func(i int) error) *outcomes {
	var out outcomes
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out.add(t, fn(i))
		}()
	}
	close(start)
	wg.Wait()
	return &out
}

func wantOutcome(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil && err != nil) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// A browser poll keys ballots by the voter cookie: the same browser cannot
// vote twice from any address, another browser at the same address can.
func testCheckBrowser(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckBrowser})
	wantOutcome(t, "first", voteAs(s, p.ID, pollstack.Voter{Browser: "b1", Address: addressKey("a1")}, 1), nil)
	wantOutcome(t, "same browser, other address", voteAs(s, p.ID, pollstack.Voter{Browser: "b1", Address: addressKey("a2")}, 2), pollstack.ErrAlreadyVoted)
	wantOutcome(t, "other browser, same address", voteAs(s, p.ID, pollstack.Voter{Browser: "b2", Address: addressKey("a1")}, 2), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 1, 2: 1})
	if voted, err := s.HasVoted(context.Background(), p.ID, p.VoterKey(pollstack.Voter{Browser: "b2"})); err != nil || !voted {
		t.Errorf("HasVoted(b2) = %v, %v; want true", voted, err)
	}
}

// An address poll keys ballots by the address: any browser at an address
// that voted is refused.
func testCheckAddress(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckAddress})
	got, err := s.Poll(context.Background(), p.ID)
	if err != nil || got.DuplicateCheck != pollstack.CheckAddress {
		t.Fatalf("Poll: check %q, %v; want ip", got.DuplicateCheck, err)
	}
	wantOutcome(t, "first", voteAs(s, p.ID, pollstack.Voter{Browser: "b1", Address: addressKey("a1")}, 1), nil)
	wantOutcome(t, "other browser, same address", voteAs(s, p.ID, pollstack.Voter{Browser: "b2", Address: addressKey("a1")}, 2), pollstack.ErrAlreadyVoted)
	wantOutcome(t, "no browser, same address", voteAs(s, p.ID, pollstack.Voter{Address: addressKey("a1")}, 2), pollstack.ErrAlreadyVoted)
	wantOutcome(t, "same browser, other address", voteAs(s, p.ID, pollstack.Voter{Browser: "b1", Address: addressKey("a2")}, 2), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 1, 2: 1})
	for key, want := range map[string]bool{"a1": true, "a2": true, "b1": false, "a3": false} {
		if voted, err := s.HasVoted(context.Background(), p.ID, key); err != nil || voted != want {
			t.Errorf("HasVoted(%s) = %v, %v; want %v", key, voted, err, want)
		}
	}
}

// Thirty browsers at one address voting at once: one ballot.
func testCheckAddressConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckAddress})
	const tries = 30
	out := concurrently(t, tries, func(i int) error {
		return voteAs(s, p.ID, pollstack.Voter{Browser: fmt.Sprint("browser-", i), Address: addressKey("one address")}, i%2+1)
	})
	if out.n["ok"] != 1 || out.n["already_voted"] != tries-1 {
		t.Errorf("outcomes %v, want 1 ok and %d already_voted", out, tries-1)
	}
	wantCounts(t, s, p.ID, 1, nil)
}

// A code poll takes one ballot per code it has, and nothing without one.
func testCheckCode(t *testing.T, s pollstack.Store, clock *Clock) {
	p, secrets := MustCreateWithSecrets(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 3})
	other, otherSecrets := MustCreateWithSecrets(t, s, clock.Now(), pollstack.PollDraft{Question: "Other", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 1})
	codes := secrets.Codes.Codes()
	if len(codes) != 3 {
		t.Fatalf("%d codes, want 3", len(codes))
	}
	code := func(c string) pollstack.Voter {
		return pollstack.Voter{Browser: "b", Address: addressKey("a"), Code: pollstack.CodeKey(c)}
	}
	wantOutcome(t, "no code", voteAs(s, p.ID, pollstack.Voter{Browser: "b", Address: addressKey("a")}, 1), pollstack.ErrInvalidCode)
	wantOutcome(t, "made-up code", voteAs(s, p.ID, code(pollstack.NewCodeBatch(1).Codes()[0]), 1), pollstack.ErrInvalidCode)
	wantOutcome(t, "another poll's code", voteAs(s, p.ID, code(otherSecrets.Codes.Codes()[0]), 1), pollstack.ErrInvalidCode)
	wantOutcome(t, "first code", voteAs(s, p.ID, code(codes[0]), 1), nil)
	wantOutcome(t, "first code again", voteAs(s, p.ID, code(codes[0]), 2), pollstack.ErrCodeUsed)
	wantOutcome(t, "second code, same browser and address", voteAs(s, p.ID, code(codes[1]), 2), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 1, 2: 1})
	wantCounts(t, s, other.ID, 0, nil)
	if voted, err := s.HasVoted(context.Background(), p.ID, pollstack.CodeKey(codes[1])); err != nil || !voted {
		t.Errorf("HasVoted(used code) = %v, %v; want true", voted, err)
	}
	if voted, err := s.HasVoted(context.Background(), p.ID, pollstack.CodeKey(codes[2])); err != nil || voted {
		t.Errorf("HasVoted(unused code) = %v, %v; want false", voted, err)
	}
}

// Twenty tries of one code at once: one ballot.
func testCheckCodeConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	p, secrets := MustCreateWithSecrets(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 2})
	key := pollstack.CodeKey(secrets.Codes.Codes()[0])
	const tries = 20
	out := concurrently(t, tries, func(i int) error {
		return voteAs(s, p.ID, pollstack.Voter{Browser: fmt.Sprint("browser-", i), Address: addressKey(fmt.Sprint("address-", i)), Code: key}, i%2+1)
	})
	if out.n["ok"] != 1 || out.n["code_used"] != tries-1 {
		t.Errorf("outcomes %v, want 1 ok and %d code_used", out, tries-1)
	}
	wantCounts(t, s, p.ID, 1, nil)
}

// More codes can be minted for a code poll, and only for one, up to the limit.
func testAddVoterCodes(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 1})
	more := pollstack.NewCodeBatch(5)
	if err := s.AddVoterCodes(ctx, p.ID, more.Keys()); err != nil {
		t.Fatalf("AddVoterCodes: %v", err)
	}
	for i, c := range more.Codes() {
		wantOutcome(t, fmt.Sprint("minted code ", i), voteAs(s, p.ID, pollstack.Voter{Browser: "b", Code: pollstack.CodeKey(c)}, 1), nil)
	}
	wantCounts(t, s, p.ID, 5, map[int]int{1: 5})
	browser := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	wantOutcome(t, "codes for a browser poll", s.AddVoterCodes(ctx, browser.ID, more.Keys()), pollstack.ErrNotCodePoll)
	wantOutcome(t, "codes for no poll", s.AddVoterCodes(ctx, "nope", more.Keys()), pollstack.ErrPollNotFound)
	if e := pollstack.ErrorOf(s.AddVoterCodes(ctx, p.ID, nil)); e == nil || e.Field != "voter_codes" {
		t.Errorf("no codes: err = %v, want invalid voter_codes", e)
	}
}

// A kiosk poll counts every submission, from one browser and address too.
func testCheckNone(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckNone})
	const tries = 25
	kiosk := pollstack.Voter{Browser: "kiosk", Address: addressKey("kiosk")}
	out := concurrently(t, tries, func(i int) error { return voteAs(s, p.ID, kiosk, i%2+1) })
	if out.n["ok"] != tries {
		t.Errorf("outcomes %v, want %d ok", out, tries)
	}
	wantCounts(t, s, p.ID, tries, map[int]int{1: 13, 2: 12})
	if voted, err := s.HasVoted(context.Background(), p.ID, "kiosk"); err != nil || voted {
		t.Errorf("HasVoted(kiosk) = %v, %v; a kiosk ballot is no one's", voted, err)
	}
}

// Ballots of polls with every check share batches; each keeps its rule.
func testChecksMixed(t *testing.T, s pollstack.Store, clock *Clock) {
	draft := func(c pollstack.DuplicateCheck, codes int) pollstack.PollDraft {
		return pollstack.PollDraft{Question: string(c), Options: []string{"A", "B"}, DuplicateCheck: c, VoterCodes: codes}
	}
	browser := MustCreate(t, s, clock.Now(), draft(pollstack.CheckBrowser, 0))
	address := MustCreate(t, s, clock.Now(), draft(pollstack.CheckAddress, 0))
	none := MustCreate(t, s, clock.Now(), draft(pollstack.CheckNone, 0))
	code, secrets := MustCreateWithSecrets(t, s, clock.Now(), draft(pollstack.CheckCode, 10))
	codes := secrets.Codes.Codes()
	const voters = 10
	var wg sync.WaitGroup
	results := make(chan error, 4*voters*2)
	for i := range voters {
		for try := range 2 { // every voter twice, each time from a new browser
			v := pollstack.Voter{Browser: fmt.Sprint("b", i, "-", try), Address: addressKey(fmt.Sprint("a", i)), Code: pollstack.CodeKey(codes[i])}
			for _, id := range []string{browser.ID, address.ID, none.ID, code.ID} {
				wg.Add(1)
				go func() { defer wg.Done(); results <- voteAs(s, id, v, 1) }()
			}
		}
	}
	wg.Wait()
	close(results)
	for err := range results {
		if e := pollstack.ErrorOf(err); err != nil && (e == nil || e.Kind != pollstack.KindConflict) {
			t.Errorf("vote: %v", err)
		}
	}
	wantCounts(t, s, browser.ID, 2*voters, nil) // new browsers each time
	wantCounts(t, s, address.ID, voters, nil)   // one per address
	wantCounts(t, s, none.ID, 2*voters, nil)    // every submission
	wantCounts(t, s, code.ID, voters, nil)      // one per code
}

// addressKey is a voter's Address whose key is already known.
func addressKey(key string) func() string { return func() string { return key } }
