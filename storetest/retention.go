package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// retention is the retention period of the contract's polls.
const retention = 30 * 24 * time.Hour

// kept is what a poll looked like before a retention sweep: enough to tell
// that a poll the sweep must keep lost nothing.
type kept struct {
	poll      *pollstack.Poll
	results   pollstack.Results
	voters    []string // voter keys of its ballots
	deletesAt time.Time
}

// testRetention: DeleteExpired deletes exactly the polls whose DeletesAt
// has passed, in bounded steps, with their ballots and codes, and nothing
// else. The polls cover every way a poll ends or stays active: idle, voted
// in later, closed by hand, closing at a time, with codes and more ballots
// than one step deletes. Which polls go is derived from Poll.DeletesAt, the
// rule the page shows, at three moments.
func testRetention(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	t0 := clock.Now()
	var polls []*kept
	track := func(p *pollstack.Poll, voters ...string) *kept {
		k := &kept{poll: p, voters: voters}
		polls = append(polls, k)
		return k
	}

	// Expires first: a code poll with more rows than one step deletes.
	big, secrets := MustCreateWithSecrets(t, s, t0, pollstack.PollDraft{Question: "Big", Options: []string{"A", "B"}, DuplicateCheck: pollstack.CheckCode, VoterCodes: 5})
	codes := secrets.Codes.Codes()
	var bigVoters []string
	for _, c := range codes[:3] {
		if err := voteAs(s, big.ID, pollstack.Voter{Code: pollstack.CodeKey(c)}, 1); err != nil {
			t.Fatal(err)
		}
		bigVoters = append(bigVoters, pollstack.CodeKey(c))
	}
	track(big, bigVoters...)

	clock.Advance(retention / 2)
	idle := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Idle", Options: []string{"A", "B"}})
	track(idle)
	voted := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Voted later", Options: []string{"A", "B"}})
	closed := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Closed by hand", Options: []string{"A", "B"}})
	if err := vote(s, closed.ID, "c1", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.ClosePoll(ctx, closed.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	track(closed, "c1")
	closes := t0.Add(2 * retention)
	scheduled := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Scheduled", Options: []string{"A", "B"}, ClosesAt: &closes})
	if err := vote(s, scheduled.ID, "s1", 1); err != nil {
		t.Fatal(err)
	}
	track(scheduled, "s1")
	clock.Advance(retention / 4)
	if err := vote(s, voted.ID, "v1", 1); err != nil {
		t.Fatal(err)
	}
	track(voted, "v1")
	for _, k := range polls {
		k.refresh(t, s)
	}

	// Past the first poll's time only: the first step closes it, so that a
	// vote with its unused code cannot bring it back half deleted.
	clock.Set(t0.Add(retention + time.Second))
	if _, found, err := s.DeleteExpired(ctx, clock.Now().Add(-retention), 1); err != nil || !found {
		t.Fatalf("first step: found %v, %v", found, err)
	}
	wantOutcome(t, "a vote on a poll the retention job began to delete", voteAs(s, big.ID, pollstack.Voter{Code: pollstack.CodeKey(codes[4])}, 2), pollstack.ErrPollClosed)
	left := 0
	for _, v := range bigVoters {
		if has, _ := s.HasVoted(ctx, big.ID, v); has {
			left++
		}
	}
	if left != len(bigVoters)-1 {
		t.Errorf("a step of one row left %d of %d ballots, want %d", left, len(bigVoters), len(bigVoters)-1)
	}

	gone := map[string]bool{}
	for _, at := range []time.Time{clock.Now(), t0.Add(2*retention + time.Second), closes.Add(retention + time.Second)} {
		clock.Set(at)
		for id := range expireAll(t, s, at.Add(-retention)) {
			gone[id] = true
		}
		for _, k := range polls {
			k.check(t, s, at, gone[k.poll.ID])
		}
	}
}

// refresh reads what the poll holds now, and when it is due for deletion.
func (k *kept) refresh(t *testing.T, s pollstack.Store) {
	t.Helper()
	p, err := s.Poll(context.Background(), k.poll.ID)
	if err != nil {
		t.Fatal(err)
	}
	k.poll, k.results = p, mustResults(t, s, p.ID)
	k.deletesAt = p.DeletesAt(k.results.LastVote, retention)
}

// check verifies that a poll due by at is gone with its ballots, and that
// any other poll kept everything.
func (k *kept) check(t *testing.T, s pollstack.Store, at time.Time, deleted bool) {
	t.Helper()
	ctx := context.Background()
	due := k.deletesAt.Before(at)
	if deleted != due {
		t.Errorf("%q (due %v) at %v: deleted %v, want %v", k.poll.Question, k.deletesAt, at, deleted, due)
	}
	_, err := s.Poll(ctx, k.poll.ID)
	if due {
		if !errors.Is(err, pollstack.ErrPollNotFound) {
			t.Errorf("%q is due but still readable: %v", k.poll.Question, err)
		}
		for _, v := range k.voters {
			if has, _ := s.HasVoted(ctx, k.poll.ID, v); has {
				t.Errorf("%q: a ballot outlived its poll", k.poll.Question)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("%q is not due but: %v", k.poll.Question, err)
	}
	if r := mustResults(t, s, k.poll.ID); r.Total != k.results.Total || fmt.Sprint(r.Counts) != fmt.Sprint(k.results.Counts) {
		t.Errorf("%q is not due but its counts changed: %+v, had %+v", k.poll.Question, r, k.results)
	}
	for _, v := range k.voters {
		if has, err := s.HasVoted(ctx, k.poll.ID, v); !has || err != nil {
			t.Errorf("%q is not due but lost a ballot: %v", k.poll.Question, err)
		}
	}
}

// expireAll runs the retention steps until none finds an expired poll, two
// rows a step, and returns the polls deleted.
func expireAll(t *testing.T, s pollstack.Store, cutoff time.Time) map[string]bool {
	t.Helper()
	deleted := map[string]bool{}
	for range 100 {
		ids, found, err := s.DeleteExpired(context.Background(), cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			deleted[id] = true
		}
		if !found {
			return deleted
		}
	}
	t.Fatal("the retention steps did not finish in 100 steps")
	return nil
}
