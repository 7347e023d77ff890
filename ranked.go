package pollstack

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
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
	return countInstantRunoff(optionIDs, rankings, func() []byte { return seed })
}

// countInstantRunoff counts as CountInstantRunoff does, asking for the
// lot's seed only when a lot is drawn: deriving it sorts every distinct
// ranking, the dearest step of a large count, and most counts draw no lot.
func countInstantRunoff(optionIDs []int, rankings []Ranking, seed func() []byte) RankedResult {
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
// takes. Rankings are copied into one flat array (options holds them end to
// end, ranking i at options[end[i-1]:end[i]]) so that moving a pile reads
// memory in few places; slices are indexed by option ID, or by ranking.
type transfers struct {
	options    []int32 // every ranking's options, end to end
	end        []int32 // per ranking: where its options end in options
	at         []int32 // per ranking: the index in options that it counts for
	ballots    []int   // per ranking: its ballots
	continuing []bool
	left       int       // options continuing
	piles      [][]int32 // per option: the rankings that count for it
	votes      []int
	exhausted  int
}

func newTransfers(optionIDs []int, rankings []Ranking) *transfers {
	n := slices.Max(append([]int{0}, optionIDs...)) + 1
	t := &transfers{options: make([]int32, 0, rankedOptions(rankings)), end: make([]int32, len(rankings)), at: make([]int32, len(rankings)), ballots: make([]int, len(rankings)),
		continuing: make([]bool, n), piles: make([][]int32, n), votes: make([]int, n)}
	for _, id := range optionIDs {
		if id > 0 && !t.continuing[id] {
			t.continuing[id], t.left = true, t.left+1
		}
	}
	for i, r := range rankings {
		t.at[i] = int32(len(t.options))
		for _, id := range r.OptionIDs {
			if id <= 0 || id >= n {
				id = 0 // an option the poll does not have never continues
			}
			t.options = append(t.options, int32(id))
		}
		t.end[i], t.ballots[i] = int32(len(t.options)), r.Ballots
	}
	for i := range rankings {
		t.place(int32(i))
	}
	return t
}

// rankedOptions is how many options the rankings list, all told.
func rankedOptions(rankings []Ranking) int {
	n := 0
	for _, r := range rankings {
		n += len(r.OptionIDs)
	}
	return n
}

// place puts ranking i with its highest continuing option, from where it
// stands, or among the exhausted.
func (t *transfers) place(i int32) {
	for at, end := t.at[i], t.end[i]; at < end; at++ {
		if id := t.options[at]; t.continuing[id] {
			t.at[i] = at
			t.piles[id] = append(t.piles[id], i)
			t.votes[id] += t.ballots[i]
			return
		}
	}
	t.at[i] = t.end[i]
	t.exhausted += t.ballots[i]
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
func eliminate(round RankedRound, earlier []RankedRound, seed func() []byte, roundNumber int) ([]int, string) {
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
	return []int{drawLot(last, seed(), roundNumber)}, TieByLot
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
	width := keyWidth(rankings)
	var buf []byte
	for _, r := range mergeByKey(rankings, width) {
		ids := r.key
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(ids)/width))
		for ; len(ids) > 0; ids = ids[width:] {
			buf = binary.BigEndian.AppendUint32(buf, decodeID(ids[:width]))
		}
		h.Write(binary.BigEndian.AppendUint64(buf, uint64(r.ballots)))
	}
	return h.Sum(nil)
}

// keyedRanking is a ranking as a string that sorts as the ranking does
// (slices.Compare): each option ID as one byte when every ID fits (poll
// options are 1..MaxOptions), else as 4 bytes, big-endian, sign bit
// flipped. Sorting a million of them by their bytes is several times
// quicker than comparing slices of ints.
type keyedRanking struct {
	key     string
	ballots int
}

const signBit = 1 << 31

// keyWidth is how many bytes each option ID takes in the rankings' keys.
func keyWidth(rankings []Ranking) int {
	for _, r := range rankings {
		for _, id := range r.OptionIDs {
			if id < 0 || id > 255 {
				return 4
			}
		}
	}
	return 1
}

func appendID(key []byte, id, width int) []byte {
	if width == 1 {
		return append(key, byte(id))
	}
	return binary.BigEndian.AppendUint32(key, uint32(int32(id))^signBit)
}

// decodeID is the option ID of one key cell, as uint32(id).
func decodeID(cell string) uint32 {
	if len(cell) == 1 {
		return uint32(cell[0])
	}
	return binary.BigEndian.Uint32([]byte(cell)) ^ signBit
}

// mergeByKey is MergeRankings on keys of the width: each ranking once, with
// its ballots added up and other than zero, in the order of the rankings.
func mergeByKey(rankings []Ranking, width int) []keyedRanking {
	keyed := make([]keyedRanking, len(rankings))
	var buf []byte
	for i, r := range rankings {
		buf = buf[:0]
		for _, id := range r.OptionIDs {
			buf = appendID(buf, id, width)
		}
		keyed[i] = keyedRanking{string(buf), r.Ballots}
	}
	slices.SortFunc(keyed, func(a, b keyedRanking) int { return strings.Compare(a.key, b.key) })
	out := keyed[:0]
	for _, r := range keyed {
		if len(out) > 0 && out[len(out)-1].key == r.key {
			out[len(out)-1].ballots += r.ballots
			continue
		}
		out = append(out, r)
	}
	return slices.DeleteFunc(out, func(r keyedRanking) bool { return r.ballots == 0 })
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
	return countInstantRunoff(ids, rankings, lazySeed(p.ID, rankings))
}

// lazySeed derives the poll's seed (RankedSeed) the first time it is asked
// for, if ever.
func lazySeed(pollID string, rankings []Ranking) func() []byte {
	return sync.OnceValue(func() []byte { return RankedSeed(pollID, rankings) })
}

func sortedIDs(votes map[int]int) []int {
	ids := make([]int, 0, len(votes))
	for id := range votes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
