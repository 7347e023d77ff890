package pollstack_test

import (
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Poll.Edit's rules without a store: a poll that becomes multiple choice
// takes any number of options, as a new one does; the limits follow the
// options when they were "every option"; a stale closing time refuses a
// reopening; a meeting poll's slots stay.
func TestPollEditRules(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p, _, err := pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}}.NewPoll(now)
	if err != nil {
		t.Fatal(err)
	}
	none := pollstack.Results{Counts: map[int]int{}}
	multiple := pollstack.PollMultiple
	q, err := p.Edit(pollstack.PollEdit{Kind: &multiple}, none, now)
	if err != nil || !q.Multiple || q.MinChoices != 1 || q.MaxChoices != 3 {
		t.Fatalf("single to multiple: %+v, %v; want 1..3 choices", q, err)
	}
	q, err = q.Edit(pollstack.PollEdit{Options: []pollstack.OptionEdit{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}, {ID: 3, Label: "C"}, {Label: "D"}}}, none, now)
	if err != nil || q.MaxChoices != 4 || q.Options[3].ID != 4 {
		t.Errorf("an added option: max %d, options %v, %v; want every option (4)", q.MaxChoices, q.Options, err)
	}
	if q.Version != p.Version || p.Multiple || len(p.Options) != 3 {
		t.Errorf("Edit changed the poll it was called on: %+v", p)
	}
	past := now.Add(-time.Hour)
	closed := *p
	closed.ClosesAt = &past
	if _, err := closed.Edit(pollstack.PollEdit{Reopen: true}, none, now); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Field != "closes_at" {
		t.Errorf("reopening a poll past its closing time without a new one: %v", err)
	}
	meeting, _, err := pollstack.PollDraft{Question: "When?", Kind: pollstack.PollMeeting, Slots: []pollstack.SlotDraft{{Date: "2026-07-01"}}}.NewPoll(now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meeting.Edit(pollstack.PollEdit{Options: []pollstack.OptionEdit{{ID: 1, Label: "x"}, {Label: "y"}}}, none, now); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Code != "options_meeting" {
		t.Errorf("editing a meeting poll's slots: %v", err)
	}
}
