package pollstack

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// Instant-runoff counting of a ranked poll, as a pure function of its
// ballots.
//
// The rules are those that RCTab (the Ranked Choice Voting Tabulator that
// many US jurisdictions certify; github.com/BrightSpots/rcv) documents in
// config_file_documentation.txt and hints_winning_rules.txt, with these
// settings: winnerElectionMode "singleWinnerMajority", tiebreakMode
// "previousRoundCountsThenRandom", batchElimination off. Ballots here are
// already clean (distinct options, no skipped ranks, no overvotes), so the
// voter-error rules do not arise. Each round:
//
//  1. A continuing ballot counts for its highest-ranked option that is still
//     continuing. A ballot that ranks no continuing option is exhausted: it
//     leaves the round's total, and so the threshold.
//  2. An option with more than half of the round's continuing ballots wins.
//  3. Otherwise, if some continuing options have no votes (and others do),
//     all of them are eliminated together: they transfer nothing, so doing
//     it at once changes no later count.
//  4. Otherwise the option with the fewest votes is eliminated. A tie for
//     last is broken by the previous rounds' counts, latest round first
//     (the option with fewer votes in the latest round where the tied
//     options differ goes), then by lot (see drawLot): the lot's seed is
//     derived from the poll and its ballots (RankedSeed), so that anyone who
//     recounts the same ballots draws the same.
//
// Where RCTab would draw lots in the final round too, two options that tie
// there are reported as a tie: the result says so, and people decide.

// Ranking is a distinct ranking (options, most preferred first) and how
// many ballots gave it. Counting runs over distinct rankings, not ballots:
// a poll with a million ballots has at most a few thousand of them in
// practice.
type Ranking struct {
	OptionIDs []int
	Ballots   int
}

// Ways a tie for last was broken.
const (
	TieByPreviousRounds = "previous_rounds"
	TieByLot            = "lot"
)

// RankedRound is one round of an instant-runoff count.
type RankedRound struct {
	Votes      map[int]int // votes per continuing option
	Continuing int         // ballots that count for an option this round
	Exhausted  int         // ballots that rank no continuing option (exhausted this round or before)
	Eliminated []int       // options eliminated at the end of the round
	TieBreak   string      // how a tie for last was broken, if there was one
}

// RankedResult is an instant-runoff count: every round, and either the
// winner or the options tied in the final round (both empty when there are
// no ballots).
type RankedResult struct {
	Rounds []RankedRound
	Winner int   // 0: no winner (a tie, or no ballots)
	Tied   []int // the options tied in the final round
}

// CountInstantRunoff counts rankings of the given options by instant
// runoff (the rules above); seed feeds the lot (RankedSeed).
func CountInstantRunoff(optionIDs []int, rankings []Ranking, seed []byte) RankedResult {
	t := newTransfers(optionIDs, rankings)
	var result RankedResult
	for t.left > 0 {
		round := t.round()
		result.Rounds = append(result.Rounds, round)
		last := &result.Rounds[len(result.Rounds)-1]
		if round.Continuing == 0 {
			return result
		}
		if winner := majority(round); winner != 0 {
			result.Winner = winner
			return result
		}
		if tied := finalTie(round); tied != nil {
			result.Tied = tied
			return result
		}
		last.Eliminated, last.TieBreak = eliminate(round, result.Rounds[:len(result.Rounds)-1], seed, len(result.Rounds))
		t.eliminate(last.Eliminated)
	}
	return result
}

// transfers keeps where each ranking's ballots stand: with the option they
// count for (its pile) or exhausted. Eliminating an option moves only its
// pile's rankings, each from where it stood, since eliminated options never
// come back: a whole count reads each ranking once, however many rounds it
// takes. Slices are indexed by option ID.
type transfers struct {
	rankings   []Ranking
	continuing []bool
	left       int     // options continuing
	at         []int   // per ranking: the index in its OptionIDs that it counts for
	piles      [][]int // per option: the rankings that count for it
	votes      []int
	exhausted  int
}

func newTransfers(optionIDs []int, rankings []Ranking) *transfers {
	n := slices.Max(append([]int{0}, optionIDs...)) + 1
	t := &transfers{rankings: rankings, continuing: make([]bool, n), at: make([]int, len(rankings)), piles: make([][]int, n), votes: make([]int, n)}
	for _, id := range optionIDs {
		if id > 0 && !t.continuing[id] {
			t.continuing[id], t.left = true, t.left+1
		}
	}
	for i := range rankings {
		t.place(i)
	}
	return t
}

// place puts ranking i with its highest continuing option, from where it
// stands, or among the exhausted. An option the poll does not have never
// continues.
func (t *transfers) place(i int) {
	r := t.rankings[i]
	for ; t.at[i] < len(r.OptionIDs); t.at[i]++ {
		if id := r.OptionIDs[t.at[i]]; id > 0 && id < len(t.continuing) && t.continuing[id] {
			t.piles[id] = append(t.piles[id], i)
			t.votes[id] += r.Ballots
			return
		}
	}
	t.exhausted += r.Ballots
}

// eliminate takes the options out of the count and moves their ballots on.
func (t *transfers) eliminate(ids []int) {
	for _, id := range ids {
		t.continuing[id], t.left = false, t.left-1
	}
	for _, id := range ids {
		pile := t.piles[id]
		t.piles[id], t.votes[id] = nil, 0
		for _, i := range pile {
			t.place(i)
		}
	}
}

// round is the state of the count as a round reports it.
func (t *transfers) round() RankedRound {
	round := RankedRound{Votes: make(map[int]int, t.left), Exhausted: t.exhausted}
	for id, ok := range t.continuing {
		if ok {
			round.Votes[id] = t.votes[id]
			round.Continuing += t.votes[id]
		}
	}
	return round
}

// majority returns the option with more than half of the continuing
// ballots, or 0.
func majority(round RankedRound) int {
	for id, n := range round.Votes {
		if 2*n > round.Continuing {
			return id
		}
	}
	return 0
}

// finalTie returns the two options left when they have as many votes.
func finalTie(round RankedRound) []int {
	if len(round.Votes) != 2 {
		return nil
	}
	ids := sortedIDs(round.Votes)
	if round.Votes[ids[0]] != round.Votes[ids[1]] {
		return nil
	}
	return ids
}

// eliminate decides who leaves after a round without a winner: every
// option without votes, else the one with the fewest (ties broken by the
// earlier rounds, then by lot).
func eliminate(round RankedRound, earlier []RankedRound, seed []byte, roundNumber int) ([]int, string) {
	ids := sortedIDs(round.Votes)
	var zero []int
	for _, id := range ids {
		if round.Votes[id] == 0 {
			zero = append(zero, id)
		}
	}
	if len(zero) > 0 && len(zero) < len(ids) {
		return zero, ""
	}
	last := fewest(ids, round.Votes)
	if len(last) == 1 {
		return last, ""
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if fewer := fewest(last, earlier[i].Votes); len(fewer) < len(last) {
			last = fewer
			if len(last) == 1 {
				return last, TieByPreviousRounds
			}
		}
	}
	return []int{drawLot(last, seed, roundNumber)}, TieByLot
}

// fewest returns the options (of ids) with the fewest votes.
func fewest(ids []int, votes map[int]int) []int {
	var out []int
	for _, id := range ids {
		switch {
		case len(out) == 0 || votes[id] < votes[out[0]]:
			out = []int{id}
		case votes[id] == votes[out[0]]:
			out = append(out, id)
		}
	}
	return out
}

// drawLot picks one of the tied options: the one whose SHA-256 of (seed,
// round number, option ID) is smallest. Anyone with the seed draws the same;
// nobody can choose the outcome without choosing the ballots.
func drawLot(tied []int, seed []byte, roundNumber int) int {
	var best int
	var bestDigest []byte
	for _, id := range tied {
		h := sha256.New()
		h.Write(seed)
		binary.Write(h, binary.BigEndian, [2]uint32{uint32(roundNumber), uint32(id)})
		d := h.Sum(nil)
		if bestDigest == nil || bytes.Compare(d, bestDigest) < 0 {
			best, bestDigest = id, d
		}
	}
	return best
}

// RankedSeed derives the lot's seed from the poll and its ballots: the
// SHA-256 of the poll ID and of every distinct ranking with its count, in a
// canonical order (MergeRankings), so that the same ballots give the same
// seed however they were read.
func RankedSeed(pollID string, rankings []Ranking) []byte {
	h := sha256.New()
	h.Write([]byte(pollID))
	var buf []byte
	for _, r := range MergeRankings(rankings) {
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(r.OptionIDs)))
		for _, id := range r.OptionIDs {
			buf = binary.BigEndian.AppendUint32(buf, uint32(id))
		}
		h.Write(binary.BigEndian.AppendUint64(buf, uint64(r.Ballots)))
	}
	return h.Sum(nil)
}

// MergeRankings adds up the ballots of equal rankings (a ballot file lists
// ballots one by one; stores keep counts per ranking): the result has each
// ranking once, with a count other than zero, in order of the rankings
// (slices.Compare).
func MergeRankings(rankings []Ranking) []Ranking {
	sorted := slices.Clone(rankings)
	slices.SortFunc(sorted, func(a, b Ranking) int { return slices.Compare(a.OptionIDs, b.OptionIDs) })
	out := sorted[:0]
	for _, r := range sorted {
		if len(out) > 0 && slices.Equal(out[len(out)-1].OptionIDs, r.OptionIDs) {
			out[len(out)-1].Ballots += r.Ballots
			continue
		}
		out = append(out, r)
	}
	return slices.DeleteFunc(out, func(r Ranking) bool { return r.Ballots == 0 })
}

// RankedBallots is how many ballots the rankings hold.
func RankedBallots(rankings []Ranking) int {
	n := 0
	for _, r := range rankings {
		n += r.Ballots
	}
	return n
}

// CountRanked counts a ranked poll's rankings with the poll's seed.
func (p *Poll) CountRanked(rankings []Ranking) RankedResult {
	ids := make([]int, len(p.Options))
	for i, o := range p.Options {
		ids[i] = o.ID
	}
	return CountInstantRunoff(ids, rankings, RankedSeed(p.ID, rankings))
}

func sortedIDs(votes map[int]int) []int {
	ids := make([]int, 0, len(votes))
	for id := range votes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
