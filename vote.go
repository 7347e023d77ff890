package pollstack

import "time"

// Ballot is one voter's choice in one poll.
type Ballot struct {
	PollID    string
	VoterID   string
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

// Admit decides, for a batch of ballots, which may be stored: each must name
// a known, open poll and valid options, and a voter may appear once per poll
// (a later ballot of the same voter in the batch is ErrAlreadyVoted). Stores
// call it inside their write transaction, with the polls locked, so that the
// decision and the write agree. outcomes[i] is nil for admitted ballots.
func Admit(ballots []Ballot, polls map[string]*Poll, now time.Time) (outcomes []error) {
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
		key := [2]string{b.PollID, b.VoterID}
		if outcomes[i] == nil && seen[key] {
			outcomes[i] = ErrAlreadyVoted
		}
		if outcomes[i] == nil {
			seen[key] = true
		}
	}
	return outcomes
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
