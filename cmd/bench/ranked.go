package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pollstack/pollstack"
)

// rankedHotPoll measures votes on one ranked hot poll (five options, every
// ranking of them) on this tree's server, best of -rounds, beside the
// single-choice hot poll measured just before (single): the target is at
// least half its rate.
func rankedHotPoll(ctx context.Context, t *table, o options, bins binaries, store string, tg target, single measured) error {
	tg.ranked, tg.spread, tg.rate = true, false, 0
	sd := &side{name: "votes, one ranked hot poll", bin: bins.current, target: tg}
	if err := alternate(ctx, o, bins, []*side{sd}); err != nil {
		return err
	}
	t.add(sd.best.row(store, sd.name))
	t.note("%s: ranked hot poll (5 options, rankings of 1 to 5 of them) %.0f votes/s against %.0f single choice: %.2f of its rate (target: at least 0.5)",
		store, sd.best.res.Rate(), single.res.Rate(), sd.best.res.Rate()/single.res.Rate())
	return nil
}

// rankedResults times the instant-runoff count of a ranked poll's results
// over 1,000,000 ballots, as the server counts them: over the counts per
// distinct ranking that the store keeps, read in no particular order. Five
// options is a typical poll (325 rankings at most); twenty is the worst
// case, nearly every ballot a ranking of its own. Each count is timed as
// results run it (the lot's seed derived only if a lot is drawn) and with
// the seed derived, as when a tie for last goes to a lot. The store's read
// of those counts is not in the time.
func rankedResults(t *table) {
	const ballots = 1_000_000
	for _, options := range []int{5, 20} {
		p := &pollstack.Poll{ID: "bench", Ranked: true}
		for i := range options {
			p.Options = append(p.Options, pollstack.Option{ID: i + 1})
		}
		rankings := pollstack.MergeRankings(randomRankings(ballots, options))
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(rankings), func(i, j int) { rankings[i], rankings[j] = rankings[j], rankings[i] })
		count := bestOf3(func() { p.CountRanked(rankings) })
		withLot := bestOf3(func() { p.CountRanked(rankings); pollstack.RankedSeed(p.ID, rankings) })
		t.add(row{store: "-", scenario: fmt.Sprintf("results of a ranked poll, %d options, 1,000,000 ballots", options),
			rate: ms(count), check: fmt.Sprintf("best of 3; %d distinct rankings; %s with a lot drawn (target: under 1 s)", len(rankings), ms(withLot))})
	}
}

// bestOf3 is the shortest of three runs of f.
func bestOf3(f func()) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// randomRankings returns n ballots, each ranking 1..options of the options
// in a random order.
func randomRankings(n, options int) []pollstack.Ranking {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]pollstack.Ranking, n)
	for i := range out {
		perm := rng.Perm(options)
		ids := make([]int, 1+rng.IntN(options))
		for j := range ids {
			ids[j] = perm[j] + 1
		}
		out[i] = pollstack.Ranking{OptionIDs: ids, Ballots: 1}
	}
	return out
}
