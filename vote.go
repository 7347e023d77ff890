package pollstack

import (
	"fmt"
	"time"
)

// Ballot is one voter's choice in one poll. A ballot with Change set
// replaces the voter's stored one (the poll must allow it and be open).
type Ballot struct {
	PollID    string
	Voter     Voter
	OptionIDs []int
	Change    bool
	// Name is a meeting participant's display name (CleanName); empty for
	// the other kinds. A change replaces it too.
	Name string
	// Other is the voter's own answer (CleanOther), for a poll that allows
	// one; the store places it (PlaceOther) and adds its option to OptionIDs.
	Other string
	// ReceiptDigest is the digest of a new ballot's receipt (ReceiptDigest)
	// in a verifiable poll, kept with it; nil otherwise. A change keeps the
	// ballot's digest.
	ReceiptDigest []byte
}

// CastBallot is a stored ballot as the ballot file shows it: its options
// (most preferred first in a ranked poll), when it was cast and when it was
// last changed; never who cast it.
type CastBallot struct {
	OptionIDs []int
	Cast      time.Time
	Changed   *time.Time
	Name      string // a meeting participant's name; empty for the other kinds
	// ReceiptDigest is the digest of the ballot's receipt, in a verifiable
	// poll; nil otherwise.
	ReceiptDigest []byte
}

// TakesChanges reports whether the poll lets a voter change their ballot.
// A code poll never does, whatever it was created with: the creator holds
// every code, so a change by code could be anyone's (see docs/decisions.md,
// ballot secrecy).
//
// A meeting poll's answers are no secret ballot: they stand under the
// participant's name for everyone (or, with hidden names, for nobody), and
// a code is the invitee's own link to edit them, as its creator intends.
func (p *Poll) TakesChanges() bool {
	return p.AllowChanges && (p.DuplicateCheck != CheckCode || p.Meeting)
}

// CheckBallot verifies a ballot against its poll: one option for a single
// choice poll; for a multiple choice one, distinct existing options, as many
// as the poll's choice limits allow.
func (p *Poll) CheckBallot(optionIDs []int) error {
	return p.checkChoices(optionIDs, false)
}

// checkChoices is CheckBallot for a ballot that may also carry the voter's
// own answer, which counts as one more choice.
func (p *Poll) checkChoices(optionIDs []int, other bool) error {
	if p.Ranked {
		return p.checkRanking(optionIDs)
	}
	if p.Meeting {
		return p.checkAnswers(optionIDs)
	}
	n := len(optionIDs)
	if other {
		n++
	}
	switch {
	case n == 0 && p.AllowOther:
		return Invalid("option_ids", "option_required", "Choose an option or write your own answer.").Keyed("option_required.other")
	case n == 0:
		return Invalid("option_ids", "option_required", "Choose an option.")
	case !p.Multiple && n > 1 && other:
		return Invalid("other", "option_single", "This poll takes exactly one answer: choose an option or write your own, not both.").Keyed("option_single.other")
	case !p.Multiple && n > 1:
		return Invalid("option_ids", "option_single", "This poll takes exactly one option.")
	case p.Multiple && n < p.MinChoices:
		return Invalid("option_ids", "choices_too_few", "Choose at least %d options.", p.MinChoices)
	case p.Multiple && p.MaxChoices > 0 && n > p.MaxChoices:
		return Invalid("option_ids", "choices_too_many", "Choose at most %d %s.", p.MaxChoices, plural(p.MaxChoices, "option", "options"))
	}
	return p.checkDistinct(optionIDs, Term{Key: "chosen", Text: "chosen"})
}

// checkRanking verifies a ranked ballot: distinct existing options, most
// preferred first, 1 to MaxChoices (max_rankings) of them.
func (p *Poll) checkRanking(optionIDs []int) error {
	switch n := len(optionIDs); {
	case n == 0:
		return Invalid("option_ids", "ranking_required", "Rank at least one option.")
	case n > p.MaxChoices:
		return Invalid("option_ids", "rankings_too_many", "Rank at most %d %s.", p.MaxChoices, plural(p.MaxChoices, "option", "options"))
	}
	return p.checkDistinct(optionIDs, Term{Key: "ranked", Text: "ranked"})
}

// optionIndex returns the index in Options of the option with the ID, or
// -1. IDs run 1..n until an edit deletes an option (Poll.Edit) or a voter's
// own answer waits for approval (Options holds approved options only): they
// are never reused, so a ballot's IDs keep meaning what the voter chose.
func (p *Poll) optionIndex(id int) int {
	for i, o := range p.Options {
		if o.ID == id {
			return i
		}
	}
	return -1
}

// checkDistinct verifies that a ballot's options exist and differ; done
// says what the voter did to an option ("chosen", "ranked").
func (p *Poll) checkDistinct(optionIDs []int, done Term) error {
	seen := make(map[int]bool, len(optionIDs))
	for _, id := range optionIDs {
		if p.optionIndex(id) < 0 {
			return Invalid("option_ids", "option_unknown", "Option %d is not part of this poll.", id)
		}
		if seen[id] {
			return Invalid("option_ids", "option_repeated", "Option %d is %s more than once.", id, done)
		}
		seen[id] = true
	}
	return nil
}

// RuleKind is which words say how many options a ballot takes.
type RuleKind string

const (
	RuleRankedAll  RuleKind = "ranked_all"
	RuleRankedUpTo RuleKind = "ranked_up_to"
	RuleOne        RuleKind = "single"
	RuleExactly    RuleKind = "exactly"
	RuleOneOrMore  RuleKind = "one_or_more"
	RuleUpTo       RuleKind = "up_to"
	RuleAtLeast    RuleKind = "at_least"
	RuleBetween    RuleKind = "between"
)

// Rule is how many options a ballot takes, as voters are told: the kind of
// rule and its bounds.
type Rule struct {
	Kind     RuleKind
	Min, Max int
}

// Rule says how many options a ballot of p takes.
func (p *Poll) Rule() Rule {
	lo, hi, n := p.MinChoices, p.MaxChoices, len(p.Options)
	switch {
	case p.Ranked && hi >= n:
		return Rule{RuleRankedAll, 0, hi}
	case p.Ranked:
		return Rule{RuleRankedUpTo, 0, hi}
	case !p.Multiple:
		return Rule{RuleOne, 1, 1}
	case lo == hi:
		return Rule{RuleExactly, lo, hi}
	case lo <= 1 && (hi == 0 || hi >= n):
		return Rule{RuleOneOrMore, lo, hi}
	case lo <= 1:
		return Rule{RuleUpTo, lo, hi}
	case hi == 0 || hi >= n:
		return Rule{RuleAtLeast, lo, hi}
	default:
		return Rule{RuleBetween, lo, hi}
	}
}

// ChoiceRule says, in English words for voters, how many options a ballot
// takes (web words it in each language from Rule).
func (p *Poll) ChoiceRule() string {
	r := p.Rule()
	switch r.Kind {
	case RuleRankedAll:
		return "Rank the options in order of preference (1 is your first choice); rank as many as you like"
	case RuleRankedUpTo:
		return fmt.Sprintf("Rank up to %d %s in order of preference (1 is your first choice)", r.Max, plural(r.Max, "option", "options"))
	case RuleOne:
		return "Choose one option"
	case RuleExactly:
		return fmt.Sprintf("Choose %d %s", r.Min, plural(r.Min, "option", "options"))
	case RuleOneOrMore:
		return "Choose one or more options"
	case RuleUpTo:
		return fmt.Sprintf("Choose up to %d %s", r.Max, plural(r.Max, "option", "options"))
	case RuleAtLeast:
		return fmt.Sprintf("Choose at least %d options", r.Min)
	default:
		return fmt.Sprintf("Choose %d to %d options", r.Min, r.Max)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Admit decides, for a batch of ballots, which may be stored, and under
// which key (the voter's identity under the poll's duplicate check, see
// VoterKey): each must name a known, open poll and valid options, a "code"
// poll needs a code, a change needs a poll that allows changes, and a key
// may vote once per poll (a later vote with the same key in the batch gets
// the poll's DuplicateError; a change may follow a vote, see Rounds). Stores
// call it inside their write transaction, with the polls locked, so that the
// decision and the write agree; the store itself then refuses a key that is
// already stored, a change without a ballot, or a code it does not know.
// outcomes[i] is nil for admitted ballots, whose keys[i] is set.
func Admit(ballots []Ballot, polls map[string]*Poll, now time.Time) (keys []string, outcomes []error) {
	keys = make([]string, len(ballots))
	outcomes = make([]error, len(ballots))
	voted := make(map[[2]string]bool, len(ballots))
	for i, b := range ballots {
		p := polls[b.PollID]
		switch {
		case p == nil:
			outcomes[i] = ErrPollNotFound
		case p.Closed(now):
			outcomes[i] = ErrPollClosed
		case b.Change && !p.TakesChanges():
			outcomes[i] = ErrNoChanges
		case p.Meeting && b.Name == "":
			outcomes[i] = Invalid("name", "name_required", "Write your name.")
		case b.Other != "" && !p.AllowOther:
			outcomes[i] = Invalid("other", "other_not_allowed", "This poll takes no answers of your own; choose one of its options.")
		default:
			outcomes[i] = p.checkChoices(b.OptionIDs, b.Other != "")
		}
		if outcomes[i] != nil {
			continue
		}
		key := p.VoterKey(b.Voter)
		switch {
		case p.DuplicateCheck == CheckNone:
			key = newBallotKey()
		case key == "" && p.DuplicateCheck == CheckCode:
			outcomes[i] = ErrInvalidCode
			continue
		case key == "":
			// The transport always knows the browser and the address.
			outcomes[i] = Invalid("voter", "voter_unknown", "The voter could not be identified.")
			continue
		}
		if !b.Change {
			if voted[[2]string{b.PollID, key}] {
				outcomes[i] = p.DuplicateError()
				continue
			}
			voted[[2]string{b.PollID, key}] = true
		}
		keys[i] = key
	}
	return keys, outcomes
}

// Rounds orders the admitted ballots of a batch (Admit's keys and outcomes)
// into rounds in which a voter key appears at most once per poll, keeping
// the batch's order: a store that writes a round in one statement, where no
// row can change twice, then applies a voter's vote and changes in the order
// they came. Nearly every batch is one round.
func Rounds(ballots []Ballot, keys []string, outcomes []error) [][]int {
	var rounds [][]int
	seen := make(map[[2]string]int, len(ballots))
	for i, b := range ballots {
		if outcomes[i] != nil {
			continue
		}
		k := [2]string{b.PollID, keys[i]}
		r := seen[k]
		seen[k] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	return rounds
}

// Tally adds up what a batch stored, per poll, for the counters that stores
// update once per option per batch: a new ballot adds one to the total and
// to each of its options; a changed ballot (replaced[i] holds the options it
// had; replaced may be nil when the batch changed none) takes one from each
// option it had and adds one to each it has now, the total unchanged.
func Tally(ballots []Ballot, stored []bool, replaced [][]int) map[string]Results {
	tally := make(map[string]Results)
	for i, b := range ballots {
		if !stored[i] {
			continue
		}
		r, ok := tally[b.PollID]
		if !ok {
			r = Results{Counts: make(map[int]int)}
		}
		if b.Change {
			for _, id := range replaced[i] {
				r.count(id, -1)
			}
		} else {
			r.Total++
		}
		for _, id := range b.OptionIDs {
			r.count(id, 1)
		}
		tally[b.PollID] = r
	}
	return tally
}

// count moves the counter of one option ID of a ballot by n: a negative ID
// is a meeting poll's "if need be" (EncodeAnswers).
func (r *Results) count(id, n int) {
	if id < 0 {
		if r.IfNeedBe == nil {
			r.IfNeedBe = make(map[int]int)
		}
		r.IfNeedBe[-id] += n
		return
	}
	r.Counts[id] += n
}

// RankingMoves adds up what a batch did to the counts per ranking that
// stores keep for ranked polls (see Results.Rankings): per poll, each
// ranking whose count moved and by how much (less than zero when changed
// ballots left it), in a canonical order. Arguments are as for Tally.
func RankingMoves(ballots []Ballot, stored []bool, replaced [][]int, polls map[string]*Poll) map[string][]Ranking {
	moves := make(map[string][]Ranking)
	for i, b := range ballots {
		if !stored[i] || !polls[b.PollID].Ranked {
			continue
		}
		if b.Change {
			moves[b.PollID] = append(moves[b.PollID], Ranking{OptionIDs: replaced[i], Ballots: -1})
		}
		moves[b.PollID] = append(moves[b.PollID], Ranking{OptionIDs: b.OptionIDs, Ballots: 1})
	}
	for id, m := range moves {
		moves[id] = MergeRankings(m)
	}
	return moves
}

// PollIDs returns the distinct polls of a batch, in order of first appearance.
func PollIDs(ballots []Ballot) []string {
	seen := make(map[string]bool)
	var ids []string
	for _, b := range ballots {
		if !seen[b.PollID] {
			seen[b.PollID] = true
			ids = append(ids, b.PollID)
		}
	}
	return ids
}
