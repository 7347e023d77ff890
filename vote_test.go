package pollstack_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pollstack/pollstack"
)

func TestCheckBallot(t *testing.T) {
	single := &pollstack.Poll{Options: []pollstack.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}, {ID: 3, Label: "C"}}}
	multiple := &pollstack.Poll{Options: single.Options, Multiple: true}
	for _, tt := range []struct {
		name    string
		poll    *pollstack.Poll
		options []int
		code    string
	}{
		{"one option", single, []int{2}, ""},
		{"none", single, nil, "option_required"},
		{"two on a single choice poll", single, []int{1, 2}, "option_single"},
		{"unknown", single, []int{4}, "option_unknown"},
		{"zero", single, []int{0}, "option_unknown"},
		{"several", multiple, []int{1, 3}, ""},
		{"repeated", multiple, []int{1, 1}, "option_repeated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.poll.CheckBallot(tt.options)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckBallot(%v) = %v", tt.options, err)
				}
				return
			}
			if e := pollstack.ErrorOf(err); e == nil || e.Code != tt.code || e.Field != "option_ids" {
				t.Fatalf("CheckBallot(%v) = %v; want %s on option_ids", tt.options, err, tt.code)
			}
		})
	}
}

func TestAdmit(t *testing.T) {
	open := &pollstack.Poll{ID: "open", Options: []pollstack.Option{{ID: 1}, {ID: 2}}}
	closed := &pollstack.Poll{ID: "closed", Options: open.Options, ClosedAt: &now}
	polls := map[string]*pollstack.Poll{"open": open, "closed": closed}
	ballots := []pollstack.Ballot{
		{PollID: "open", VoterID: "v1", OptionIDs: []int{1}},
		{PollID: "open", VoterID: "v1", OptionIDs: []int{2}}, // the same voter again in the batch
		{PollID: "closed", VoterID: "v1", OptionIDs: []int{1}},
		{PollID: "gone", VoterID: "v1", OptionIDs: []int{1}},
		{PollID: "open", VoterID: "v2", OptionIDs: []int{9}},
		{PollID: "open", VoterID: "v2", OptionIDs: []int{2}}, // admitted: the invalid one before it did not count
	}
	got := pollstack.Admit(ballots, polls, now)
	want := []error{nil, pollstack.ErrAlreadyVoted, pollstack.ErrPollClosed, pollstack.ErrPollNotFound, nil, nil}
	for i := range want {
		switch {
		case i == 4:
			if e := pollstack.ErrorOf(got[i]); e == nil || e.Code != "option_unknown" {
				t.Errorf("ballot %d: %v, want option_unknown", i, got[i])
			}
		case !errors.Is(got[i], want[i]) || (want[i] == nil && got[i] != nil):
			t.Errorf("ballot %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestTallyAndPollIDs(t *testing.T) {
	ballots := []pollstack.Ballot{
		{PollID: "a", OptionIDs: []int{1, 2}},
		{PollID: "b", OptionIDs: []int{1}},
		{PollID: "a", OptionIDs: []int{2}},
		{PollID: "a", OptionIDs: []int{1}}, // not stored
	}
	got := pollstack.Tally(ballots, []bool{true, true, true, false})
	want := map[string]pollstack.Results{
		"a": {Total: 2, Counts: map[int]int{1: 1, 2: 2}},
		"b": {Total: 1, Counts: map[int]int{1: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tally = %v, want %v", got, want)
	}
	if got, want := pollstack.PollIDs(ballots), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PollIDs = %v, want %v", got, want)
	}
}
