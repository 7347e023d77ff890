package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Ranked polls: the store keeps each ballot's ranking in order, and counts
// per distinct ranking (Results.Rankings) that always equal its ballots, as
// the ballot file (Ballots) lists them.

// Exported is a poll's ballots as Ballots streams them.
func Exported(t testing.TB, s pollstack.Store, pollID string) []pollstack.CastBallot {
	t.Helper()
	var out []pollstack.CastBallot
	if err := s.Ballots(context.Background(), pollID, func(b pollstack.CastBallot) error {
		out = append(out, b)
		return nil
	}); err != nil {
		t.Fatalf("Ballots(%s): %v", pollID, err)
	}
	return out
}

// RankingsOf merges ballots into counts per ranking, as a recount does.
func RankingsOf(ballots []pollstack.CastBallot) []pollstack.Ranking {
	rankings := make([]pollstack.Ranking, len(ballots))
	for i, b := range ballots {
		rankings[i] = pollstack.Ranking{OptionIDs: b.OptionIDs, Ballots: 1}
	}
	return pollstack.MergeRankings(rankings)
}

// wantRankingsEqualBallots checks the counts per ranking against the
// ballots themselves, and the results counted from both.
func wantRankingsEqualBallots(t *testing.T, s pollstack.Store, p *pollstack.Poll, ballots int) {
	t.Helper()
	exported := Exported(t, s, p.ID)
	r := mustResults(t, s, p.ID)
	got, want := pollstack.MergeRankings(r.Rankings), RankingsOf(exported)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts per ranking %v, the ballots give %v", got, want)
	}
	if r.Total != ballots || len(exported) != ballots {
		t.Errorf("total %d, %d ballots exported; want %d", r.Total, len(exported), ballots)
	}
	if a, b := p.CountRanked(r.Rankings), p.CountRanked(RankingsOf(exported)); !reflect.DeepEqual(a, b) {
		t.Errorf("the results %+v differ from the recount of the ballots %+v", a, b)
	}
}

func testRankedBallots(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C", "D"}, Kind: pollstack.PollRanked, MaxRankings: 3, AllowChanges: true})
	got, err := s.Poll(ctx, p.ID)
	if err != nil || !got.Ranked || got.Kind() != pollstack.PollRanked || got.MaxChoices != 3 {
		t.Fatalf("Poll = %+v, %v; want ranked, at most 3 rankings", got, err)
	}
	v := func(name string) pollstack.Voter { return pollstack.Voter{Browser: name} }
	wantOutcome(t, "vote v1", voteAs(s, p.ID, v("v1"), 3, 1, 2), nil)
	wantOutcome(t, "vote v2", voteAs(s, p.ID, v("v2"), 3, 1, 2), nil)
	wantOutcome(t, "vote v3", voteAs(s, p.ID, v("v3"), 2), nil)
	wantBallot(t, s, p.ID, "v1", 3, 1, 2)
	if e := pollstack.ErrorOf(voteAs(s, p.ID, v("v4"), 1, 2, 3, 4)); e == nil || e.Code != "rankings_too_many" || e.Field != "option_ids" {
		t.Errorf("four rankings of at most three: %v, want rankings_too_many on option_ids", e)
	}
	if e := pollstack.ErrorOf(voteAs(s, p.ID, v("v4"), 2, 2)); e == nil || e.Code != "option_repeated" {
		t.Errorf("an option ranked twice: %v, want option_repeated", e)
	}
	wantRankingsEqualBallots(t, s, p, 3)

	clock.Advance(time.Minute)
	wantOutcome(t, "change v1", change(s, p.ID, v("v1"), 1, 3), nil)
	wantBallot(t, s, p.ID, "v1", 1, 3)
	wantRankingsEqualBallots(t, s, p, 3)
	r := mustResults(t, s, p.ID)
	want := []pollstack.Ranking{{OptionIDs: []int{1, 3}, Ballots: 1}, {OptionIDs: []int{2}, Ballots: 1}, {OptionIDs: []int{3, 1, 2}, Ballots: 1}}
	if got := pollstack.MergeRankings(r.Rankings); !reflect.DeepEqual(got, want) {
		t.Errorf("rankings after a change %v, want %v", got, want)
	}
	changed := 0
	for _, b := range Exported(t, s, p.ID) {
		if b.Changed != nil {
			changed++
			if !b.Changed.Equal(clock.Now()) || !b.Cast.Before(*b.Changed) {
				t.Errorf("changed ballot cast %v, changed %v; want changed at %v", b.Cast, b.Changed, clock.Now())
			}
		}
	}
	if changed != 1 {
		t.Errorf("%d ballots marked changed, want 1", changed)
	}
	if err := s.Ballots(ctx, "nope", func(pollstack.CastBallot) error { return nil }); err != pollstack.ErrPollNotFound {
		t.Errorf("Ballots of no poll: %v, want ErrPollNotFound", err)
	}
	// A poll that is not ranked keeps no rankings.
	single := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	wantOutcome(t, "single vote", vote(s, single.ID, "v1", 2), nil)
	if r := mustResults(t, s, single.ID); r.Rankings != nil || r.Total != 1 {
		t.Errorf("single choice results %+v, want 1 ballot and no rankings", r)
	}
}

// testRankedConcurrent: random ballots, votes and changes racing in
// batches; the counts per ranking still equal the ballots, and the result
// equals a recount of the poll's own ballot file.
func testRankedConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C", "D", "E"}, Kind: pollstack.PollRanked, AllowChanges: true})
	const voters = 60
	randomRanking := func(rng *rand.Rand) []int {
		perm := rng.Perm(5)
		ids := make([]int, 1+rng.IntN(5))
		for i := range ids {
			ids[i] = perm[i] + 1
		}
		return ids
	}
	out := concurrently(t, 2*voters, func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		voter := pollstack.Voter{Browser: fmt.Sprintf("v%d", i%voters)}
		if i < voters {
			return voteAs(s, p.ID, voter, randomRanking(rng)...)
		}
		return change(s, p.ID, voter, randomRanking(rng)...) // may come before the vote: ErrNotVoted
	})
	if out.n["ok"] < voters || out.n["ok"]+out.n["no_ballot"] != 2*voters {
		t.Errorf("outcomes %v: want every vote stored, and each change stored or before its vote", out)
	}
	wantRankingsEqualBallots(t, s, p, voters)
}
