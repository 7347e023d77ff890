package pollstack

import "time"

// Ballot is one voter's choice in one poll.
type Ballot struct {
	PollID    string
	Voter     Voter
	OptionIDs []int
}

// CheckBallot verifies a ballot against its poll: one option for a single
// choice poll, one or more distinct existing options for a multiple choice one.
func (p *Poll) CheckBallot(optionIDs []int) error {
	if len(optionIDs) == 0 {
		return Invalid("option_ids", "option_required", "Choose an option.")
	}
	if !p.Multiple && len(optionIDs) > 1 {
		return Invalid("option_ids", "option_single", "This poll takes exactly one option.")
	}
	seen := make(map[int]bool, len(optionIDs))
	for _, id := range optionIDs {
		if id < 1 || id > len(p.Options) {
			return Invalid("option_ids", "option_unknown", "Option %d is not part of this poll.", id)
		}
		if seen[id] {
			return Invalid("option_ids", "option_repeated", "Option %d is chosen more than once.", id)
		}
		seen[id] = true
	}
	return nil
}

// Admit decides, for a batch of ballots, which may be stored, and under
// which key (the voter's identity under the poll's duplicate check, see
// VoterKey): each must name a known, open poll and valid options, a "code"
// poll needs a code, and a key may appear once per poll (a later ballot with
// the same key in the batch gets the poll's DuplicateError). Stores call it
// inside their write transaction, with the polls locked, so that the decision
// and the write agree; the store itself then refuses a key that is already
// stored, or a code it does not know. outcomes[i] is nil for admitted
// ballots, whose keys[i] is set.
func Admit(ballots []Ballot, polls map[string]*Poll, now time.Time) (keys []string, outcomes []error) {
	keys = make([]string, len(ballots))
	outcomes = make([]error, len(ballots))
	seen := make(map[[2]string]bool, len(ballots))
	for i, b := range ballots {
		p := polls[b.PollID]
		switch {
		case p == nil:
			outcomes[i] = ErrPollNotFound
		case p.Closed(now):
			outcomes[i] = ErrPollClosed
		default:
			outcomes[i] = p.CheckBallot(b.OptionIDs)
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
		if seen[[2]string{b.PollID, key}] {
			outcomes[i] = p.DuplicateError()
			continue
		}
		seen[[2]string{b.PollID, key}] = true
		keys[i] = key
	}
	return keys, outcomes
}

// Tally adds up the stored ballots of a batch per poll, for the counters that
// stores update once per option per batch.
func Tally(ballots []Ballot, stored []bool) map[string]Results {
	tally := make(map[string]Results)
	for i, b := range ballots {
		if !stored[i] {
			continue
		}
		r, ok := tally[b.PollID]
		if !ok {
			r = Results{Counts: make(map[int]int)}
		}
		r.Total++
		for _, id := range b.OptionIDs {
			r.Counts[id]++
		}
		tally[b.PollID] = r
	}
	return tally
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
