package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Changing a vote: a ballot with Change replaces the voter's ballot while
// the poll is open and allows it, through the same group commit as votes,
// the counters moving in the same transaction.

func change(s pollstack.Store, pollID string, v pollstack.Voter, options ...int) error {
	return s.Vote(context.Background(), pollstack.Ballot{PollID: pollID, Voter: v, OptionIDs: options, Change: true})
}

func wantBallot(t *testing.T, s pollstack.Store, pollID, key string, want ...int) {
	t.Helper()
	got, err := s.BallotOf(context.Background(), pollID, key)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("BallotOf(%s) = %v, %v; want %v", key, got, err, want)
	}
}

func testChangeVote(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C", "D"}, Multiple: true, MaxChoices: 2, AllowChanges: true})
	v1, v2, v3 := pollstack.Voter{Browser: "v1"}, pollstack.Voter{Browser: "v2"}, pollstack.Voter{Browser: "v3"}
	if _, err := s.BallotOf(ctx, p.ID, "v1"); err != pollstack.ErrNotVoted {
		t.Errorf("BallotOf before voting: %v, want ErrNotVoted", err)
	}
	wantOutcome(t, "vote v1", voteAs(s, p.ID, v1, 1, 2), nil)
	wantOutcome(t, "vote v2", voteAs(s, p.ID, v2, 2), nil)
	wantBallot(t, s, p.ID, "v1", 1, 2)

	wantOutcome(t, "change v1", change(s, p.ID, v1, 3), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 0, 2: 1, 3: 1, 4: 0})
	wantBallot(t, s, p.ID, "v1", 3)
	wantOutcome(t, "change v1 to the same", change(s, p.ID, v1, 3), nil)
	wantOutcome(t, "change v1 to two", change(s, p.ID, v1, 4, 3), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 0, 2: 1, 3: 1, 4: 1})
	wantBallot(t, s, p.ID, "v1", 4, 3)

	// Refused changes store nothing.
	wantOutcome(t, "change without a ballot", change(s, p.ID, v3, 1), pollstack.ErrNotVoted)
	if e := pollstack.ErrorOf(change(s, p.ID, v1, 1, 2, 3)); e == nil || e.Code != "choices_too_many" {
		t.Errorf("change to three of at most two: %v, want choices_too_many", e)
	}
	if e := pollstack.ErrorOf(change(s, p.ID, v1)); e == nil || e.Code != "option_required" {
		t.Errorf("change to nothing: %v, want option_required", e)
	}
	wantOutcome(t, "change on an unknown poll", change(s, "nope", v1, 1), pollstack.ErrPollNotFound)
	fixed := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	wantOutcome(t, "vote on a poll without changes", voteAs(s, fixed.ID, v1, 1), nil)
	wantOutcome(t, "change on a poll without changes", change(s, fixed.ID, v1, 2), pollstack.ErrNoChanges)
	wantCounts(t, s, fixed.ID, 1, map[int]int{1: 1, 2: 0})

	if err := s.ClosePoll(ctx, p.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, "change on a closed poll", change(s, p.ID, v2, 1), pollstack.ErrPollClosed)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 0, 2: 1, 3: 1, 4: 1})
	wantBallot(t, s, p.ID, "v2", 2)
}

// testChangeVoteChecks: a change finds the ballot by the poll's own
// duplicate check, so it works for the browser and address checks; a kiosk
// poll, which knows no voter, and a code poll, whose codes the creator
// holds, cannot offer it.
func testChangeVoteChecks(t *testing.T, s pollstack.Store, clock *Clock) {
	draft := func(check pollstack.DuplicateCheck, codes int) pollstack.PollDraft {
		return pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowChanges: true, DuplicateCheck: check, VoterCodes: codes}
	}
	// ip: another browser at the same address is the same voter.
	ip := MustCreate(t, s, clock.Now(), draft(pollstack.CheckAddress, 0))
	wantOutcome(t, "ip vote", voteAs(s, ip.ID, pollstack.Voter{Browser: "b1", Address: addressKey("addr-1")}, 1), nil)
	wantOutcome(t, "ip change from another browser at the address", change(s, ip.ID, pollstack.Voter{Browser: "b2", Address: addressKey("addr-1")}, 2), nil)
	wantOutcome(t, "ip change from another address", change(s, ip.ID, pollstack.Voter{Browser: "b1", Address: addressKey("addr-2")}, 1), pollstack.ErrNotVoted)
	wantBallot(t, s, ip.ID, "addr-1", 2)
	wantCounts(t, s, ip.ID, 1, map[int]int{1: 0, 2: 1})

	// code: whoever holds a code (the creator holds them all) could change
	// its ballot, so a code poll takes no changes: a new one cannot ask for
	// them, and one stored with them (before this rule) is refused them.
	if _, _, err := draft(pollstack.CheckCode, 2).NewPoll(clock.Now()); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Field != "allow_changes" {
		t.Errorf("a code poll that allows changes: %v, want an error on allow_changes", err)
	}
	fixed := draft(pollstack.CheckCode, 2)
	fixed.AllowChanges = false
	code, secrets, err := fixed.NewPoll(clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	code.AllowChanges = true // as stored before the rule
	if err := s.CreatePoll(context.Background(), code, secrets.Codes.Keys()); err != nil {
		t.Fatal(err)
	}
	used := secrets.Codes.Codes()[0]
	with := func(c string) pollstack.Voter { return pollstack.Voter{Browser: "b", Code: pollstack.CodeKey(c)} }
	wantOutcome(t, "code vote", voteAs(s, code.ID, with(used), 1), nil)
	wantOutcome(t, "code change with the code", change(s, code.ID, with(used), 2), pollstack.ErrNoChanges)
	wantBallot(t, s, code.ID, pollstack.CodeKey(used), 1)
	wantCounts(t, s, code.ID, 1, map[int]int{1: 1, 2: 0})

	// none: every submission is a ballot of its own, and none is anyone's.
	if _, _, err := draft(pollstack.CheckNone, 0).NewPoll(clock.Now()); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Field != "allow_changes" {
		t.Errorf("a kiosk poll that allows changes: %v, want an error on allow_changes", err)
	}
	kiosk := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckNone})
	wantOutcome(t, "kiosk vote", voteAs(s, kiosk.ID, pollstack.Voter{Browser: "b"}, 1), nil)
	wantOutcome(t, "kiosk change", change(s, kiosk.ID, pollstack.Voter{Browser: "b"}, 2), pollstack.ErrNoChanges)
}

// testConcurrentChanges races votes and changes: voters who vote and then
// change again and again, voters who only vote, and voters whose vote and
// changes are all in flight at once (so that one batch holds a voter's vote
// and changes), on several polls. Nothing is counted twice or lost: each
// poll's counters equal the ballots it stored, voter by voter.
func testConcurrentChanges(t *testing.T, s pollstack.Store, clock *Clock) {
	const polls, changers, voters, racers, changes = 3, 20, 20, 10, 5
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: fmt.Sprint("Q", i), Options: []string{"A", "B", "C", "D"},
			Multiple: true, MaxChoices: 2, AllowChanges: true}).ID
	}
	randomBallot := func(r *rand.Rand) []int {
		ballot := []int{r.IntN(4) + 1}
		if second := r.IntN(4) + 1; r.IntN(2) == 0 && second != ballot[0] {
			ballot = append(ballot, second)
		}
		return ballot
	}
	var out outcomes
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p, id := range ids {
		for v := range changers + voters + racers {
			voter := pollstack.Voter{Browser: fmt.Sprintf("voter-%d", v)}
			r := rand.New(rand.NewPCG(uint64(p), uint64(v)))
			ballots := make([][]int, 1+changes)
			for i := range ballots {
				ballots[i] = randomBallot(r)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				switch {
				case v < changers: // vote, then change one after another
					out.add(t, voteAs(s, id, voter, ballots[0]...))
					for _, b := range ballots[1:] {
						out.add(t, change(s, id, voter, b...))
					}
				case v < changers+voters:
					out.add(t, voteAs(s, id, voter, ballots[0]...))
				default: // the vote and every change at once
					var racing sync.WaitGroup
					for i, b := range ballots {
						racing.Add(1)
						go func() {
							defer racing.Done()
							if i == 0 {
								out.add(t, voteAs(s, id, voter, b...))
							} else {
								out.add(t, change(s, id, voter, b...))
							}
						}()
					}
					racing.Wait()
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	// Every vote and every change is stored, but for a racer's change that
	// overtook its vote: that one finds no ballot yet.
	total, mayMiss := polls*(changers*(1+changes)+voters+racers*(1+changes)), polls*racers*changes
	if out.n["ok"]+out.n["no_ballot"] != total || out.n["no_ballot"] > mayMiss {
		t.Errorf("outcomes %s: want %d in all, all ok but for at most %d no_ballot", out.String(), total, mayMiss)
	}
	t.Logf("outcomes: %s", out.String())
	for _, id := range ids {
		wantCountsEqualBallots(t, s, id, changers+voters+racers)
	}
}

// wantCountsEqualBallots reads every voter's ballot and checks that the
// poll's counters are exactly their sum.
func wantCountsEqualBallots(t *testing.T, s pollstack.Store, pollID string, voters int) {
	t.Helper()
	want := map[int]int{1: 0, 2: 0, 3: 0, 4: 0}
	for v := range voters {
		ballot, err := s.BallotOf(context.Background(), pollID, fmt.Sprintf("voter-%d", v))
		if err != nil {
			t.Fatalf("voter-%d has no ballot: %v", v, err)
		}
		for _, id := range ballot {
			want[id]++
		}
	}
	wantCounts(t, s, pollID, voters, want)
}

// testChangesHeard: a change is a change of the poll for the change feed.
func testChangesHeard(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowChanges: true})
	wantOutcome(t, "vote", vote(s, p.ID, "v1", 1), nil)
	rec, stop := Record(t, s)
	defer stop()
	rec.Live(t, s, clock.Now())
	wantOutcome(t, "change", change(s, p.ID, pollstack.Voter{Browser: "v1"}, 2), nil)
	rec.Expect(t, p.ID)
	wantOutcome(t, "refused change", change(s, p.ID, pollstack.Voter{Browser: "v2"}, 2), pollstack.ErrNotVoted)
	time.Sleep(300 * time.Millisecond) // a notification of the refused change would arrive by now
	rec.Silent(t)
}
