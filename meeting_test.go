package pollstack_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

var meetingNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func meetingDraft(slots ...pollstack.SlotDraft) pollstack.PollDraft {
	return pollstack.PollDraft{Question: "Team lunch", Kind: pollstack.PollMeeting, Slots: slots}
}

func TestMeetingValidateRules(t *testing.T) {
	many := make([]pollstack.SlotDraft, pollstack.MaxSlots+1)
	for i := range many {
		many[i] = pollstack.SlotDraft{Date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(pollstack.DateLayout)}
	}
	tests := []struct {
		name        string
		draft       pollstack.PollDraft
		field, code string
	}{
		{"no slots", meetingDraft(), "slots", "slots_required"},
		{"too many slots", meetingDraft(many...), "slots", "slots_too_many"},
		{"bad date", meetingDraft(pollstack.SlotDraft{Date: "2026-02-30"}), "slots[0].date", "slot_date_invalid"},
		{"date and time", meetingDraft(pollstack.SlotDraft{Date: "2026-04-01", Start: "2026-04-01T09:00:00Z"}), "slots[0].date", "slot_date_and_time"},
		{"start without offset", meetingDraft(pollstack.SlotDraft{Start: "2026-04-01T09:00:00", End: "2026-04-01T10:00:00Z"}), "slots[0].start", "slot_start_invalid"},
		{"bad end", meetingDraft(pollstack.SlotDraft{Start: "2026-04-01T09:00:00Z", End: "soon"}), "slots[0].end", "slot_end_invalid"},
		{"end before start", meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"}, pollstack.SlotDraft{Start: "2026-04-01T10:00:00+02:00", End: "2026-04-01T09:00:00+02:00"}), "slots[1].end", "slot_end_before_start"},
		{"same instant, other offset", meetingDraft(pollstack.SlotDraft{Start: "2026-04-01T10:00:00+02:00", End: "2026-04-01T08:00:00Z"}), "slots[0].end", "slot_end_before_start"},
		{"repeated slot", meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"}, pollstack.SlotDraft{Date: "2026-04-01"}), "slots[1]", "slot_duplicate"},
		{"options in a meeting", pollstack.PollDraft{Question: "q", Kind: pollstack.PollMeeting, Options: []string{"a", "b"}, Slots: []pollstack.SlotDraft{{Date: "2026-04-01"}}}, "options", "options_meeting"},
		{"slots in a single poll", pollstack.PollDraft{Question: "q", Options: []string{"a", "b"}, Slots: []pollstack.SlotDraft{{Date: "2026-04-01"}}}, "slots", "slots_not_meeting"},
		{"hidden names elsewhere", pollstack.PollDraft{Question: "q", Options: []string{"a", "b"}, HideNames: true}, "hide_names", "hide_names_not_meeting"},
		{"no duplicate check", func() pollstack.PollDraft {
			d := meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"})
			d.DuplicateCheck = pollstack.CheckNone
			return d
		}(), "duplicate_check", "meeting_check_none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.draft.NewPoll(meetingNow)
			e := pollstack.ErrorOf(err)
			if e == nil || e.Kind != pollstack.KindInvalid || e.Field != tt.field || e.Code != tt.code {
				t.Fatalf("NewPoll = %v, want invalid %s on %s", err, tt.code, tt.field)
			}
		})
	}
}

func TestMeetingValidateBuildsSlots(t *testing.T) {
	var slots []pollstack.SlotDraft
	for i := 0; i < pollstack.MaxSlots-1; i++ {
		slots = append(slots, pollstack.SlotDraft{Date: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(pollstack.DateLayout)})
	}
	slots = append(slots, pollstack.SlotDraft{Start: "2026-03-29T09:30:00.5+02:00", End: "2026-03-29T11:00:00+02:00"})
	d := meetingDraft(slots...)
	d.HideNames = true
	p, _, err := d.NewPoll(meetingNow)
	if err != nil {
		t.Fatalf("NewPoll: %v", err)
	}
	if p.Kind() != pollstack.PollMeeting || !p.Meeting || !p.HideNames || !p.AllowChanges || len(p.Options) != pollstack.MaxSlots {
		t.Fatalf("poll = kind %s meeting %v hide %v changes %v, %d options", p.Kind(), p.Meeting, p.HideNames, p.AllowChanges, len(p.Options))
	}
	got := p.Slots()
	if got[0] != (pollstack.Slot{Date: "2026-04-01"}) {
		t.Errorf("first slot = %+v", got[0])
	}
	last := got[len(got)-1]
	if got, want := last.Label(), "2026-03-29T09:30:00+02:00/2026-03-29T11:00:00+02:00"; got != want {
		t.Errorf("timed slot label = %q, want %q (creator's offset, whole seconds)", got, want)
	}
	for _, o := range p.Options {
		if len(o.Label) > pollstack.MaxOptionLen {
			t.Errorf("label %q longer than an option label may be", o.Label)
		}
	}
}

// An all-day date belongs to no zone: wherever the reader is, from UTC-10 to
// UTC+14, it reads as the same date, and best-slot order does not move it.
func TestMeetingAllDayDateReadsTheSameEverywhere(t *testing.T) {
	p, _, err := meetingDraft(pollstack.SlotDraft{Date: "2026-12-31"}).NewPoll(meetingNow)
	if err != nil {
		t.Fatal(err)
	}
	slot := p.Slots()[0]
	var seen []string
	for _, loc := range []*time.Location{time.FixedZone("UTC-10", -10*3600), time.UTC, time.FixedZone("UTC+14", 14*3600)} {
		seen = append(seen, slot.In(loc))
	}
	for _, s := range seen {
		if s != "Thu 31 Dec 2026" {
			t.Errorf("date read in zones = %q, want each to be Thu 31 Dec 2026", seen)
			break
		}
	}
	if slot.Label() != "2026-12-31" {
		t.Errorf("label = %q", slot.Label())
	}
}

// A slot across a daylight-saving change reads at the right local time in
// each zone: New York moves its clocks at 07:00 UTC on 8 March 2026, Berlin
// not until 29 March.
func TestMeetingSlotAcrossDaylightSaving(t *testing.T) {
	p, _, err := meetingDraft(pollstack.SlotDraft{Start: "2026-03-08T01:00:00-05:00", End: "2026-03-08T04:00:00-04:00"}).NewPoll(meetingNow)
	if err != nil {
		t.Fatal(err)
	}
	slot := p.Slots()[0]
	if d := slot.End.Sub(slot.Start); d != 2*time.Hour {
		t.Errorf("slot lasts %v, want 2h (an hour is skipped)", d)
	}
	for zone, want := range map[string]string{
		"America/New_York": "Sun 8 Mar 2026 01:00 EST – Sun 8 Mar 2026 04:00 EDT",
		"Europe/Berlin":    "Sun 8 Mar 2026 07:00–09:00 CET",
		"UTC":              "Sun 8 Mar 2026 06:00–08:00 UTC",
	} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatalf("load %s (the zone database is needed): %v", zone, err)
		}
		if got := slot.In(loc); got != want {
			t.Errorf("in %s = %q, want %q", zone, got, want)
		}
	}
}

func TestMeetingAnswers(t *testing.T) {
	p, _, err := meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"}, pollstack.SlotDraft{Date: "2026-04-02"}, pollstack.SlotDraft{Date: "2026-04-03"}).NewPoll(meetingNow)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[int]pollstack.Answer{3: pollstack.AnswerIfNeedBe, 1: pollstack.AnswerYes, 2: pollstack.AnswerNo}
	ids, err := p.EncodeAnswers(answers)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, -3}; !reflect.DeepEqual(ids, want) {
		t.Errorf("EncodeAnswers = %v, want %v", ids, want)
	}
	if err := p.CheckBallot(ids); err != nil {
		t.Errorf("CheckBallot(%v) = %v", ids, err)
	}
	if got := p.DecodeAnswers(ids); !reflect.DeepEqual(got, answers) {
		t.Errorf("DecodeAnswers = %v, want %v", got, answers)
	}
	if err := p.CheckBallot(nil); err != nil {
		t.Errorf("all \"no\" answers are a ballot: %v", err)
	}
	for _, bad := range []struct {
		answers map[int]pollstack.Answer
		code    string
	}{
		{map[int]pollstack.Answer{4: pollstack.AnswerYes}, "slot_unknown"},
		{map[int]pollstack.Answer{1: "maybe"}, "answer_invalid"},
	} {
		if _, err := p.EncodeAnswers(bad.answers); pollstack.ErrorOf(err) == nil || pollstack.ErrorOf(err).Code != bad.code || pollstack.ErrorOf(err).Field != "answers" {
			t.Errorf("EncodeAnswers(%v) = %v, want %s on answers", bad.answers, err, bad.code)
		}
	}
	if e := pollstack.ErrorOf(p.CheckBallot([]int{2, -2})); e == nil || e.Code != "slot_repeated" {
		t.Errorf("CheckBallot of a slot answered twice = %v", e)
	}
}

func TestMeetingNames(t *testing.T) {
	if got, err := pollstack.CleanName("  Ada Lovelace "); err != nil || got != "Ada Lovelace" {
		t.Errorf("CleanName = %q, %v", got, err)
	}
	for _, tt := range []struct{ raw, code string }{
		{"   ", "name_required"},
		{strings.Repeat("é", pollstack.MaxNameLen+1), "name_too_long"},
		{"Ada\x07", "text_control"},
	} {
		_, err := pollstack.CleanName(tt.raw)
		if e := pollstack.ErrorOf(err); e == nil || e.Field != "name" || (tt.code != "text_control" && e.Code != tt.code) {
			t.Errorf("CleanName(%q) = %v, want %s on name", tt.raw, err, tt.code)
		}
	}
	if _, err := pollstack.CleanName(strings.Repeat("é", pollstack.MaxNameLen)); err != nil {
		t.Errorf("a name of %d characters: %v", pollstack.MaxNameLen, err)
	}
	p, _, _ := meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"}).NewPoll(meetingNow)
	_, outcomes := pollstack.Admit([]pollstack.Ballot{{PollID: p.ID, Voter: pollstack.Voter{Browser: "b"}, OptionIDs: []int{1}}}, map[string]*pollstack.Poll{p.ID: p}, meetingNow)
	if e := pollstack.ErrorOf(outcomes[0]); e == nil || e.Field != "name" {
		t.Errorf("a meeting ballot without a name was admitted: %v", outcomes[0])
	}
}

// Totals count yes and if need be per slot, and a change moves both.
func TestMeetingTotalsAndBestSlots(t *testing.T) {
	p, _, err := meetingDraft(
		pollstack.SlotDraft{Start: "2026-04-02T09:00:00+02:00", End: "2026-04-02T10:00:00+02:00"},
		pollstack.SlotDraft{Date: "2026-04-01"},
		pollstack.SlotDraft{Start: "2026-04-01T09:00:00-07:00", End: "2026-04-01T10:00:00-07:00"},
		pollstack.SlotDraft{Start: "2026-04-01T08:00:00Z", End: "2026-04-01T09:00:00Z"},
	).NewPoll(meetingNow)
	if err != nil {
		t.Fatal(err)
	}
	ballots := []pollstack.Ballot{
		{PollID: p.ID, OptionIDs: []int{1, -2, 3}},
		{PollID: p.ID, OptionIDs: []int{1, 2, -3, -4}},
		{PollID: p.ID, OptionIDs: []int{-1, 3, -4}, Change: true},
		{PollID: p.ID, OptionIDs: []int{-4}},
	}
	replaced := [][]int{nil, nil, {1, 2, 3, 4}, nil}
	tally := pollstack.Tally(ballots, []bool{true, true, true, true}, replaced)[p.ID]
	tally.Total = 3
	totals := p.SlotTotals(tally)
	want := []pollstack.SlotTotal{
		{OptionID: 1, Yes: 1, IfNeedBe: 1},
		{OptionID: 2, Yes: 0, IfNeedBe: 1},
		{OptionID: 3, Yes: 1, IfNeedBe: 1},
		{OptionID: 4, Yes: -1, IfNeedBe: 3},
	}
	for i := range want {
		if totals[i].OptionID != want[i].OptionID || totals[i].Yes != want[i].Yes || totals[i].IfNeedBe != want[i].IfNeedBe {
			t.Errorf("totals[%d] = %+v, want %+v", i, totals[i], want[i])
		}
	}
	// Ties: slot 1 (yes 1, if need be 1) against a copy with the same
	// numbers; earliest first, the date counting from its midnight in UTC.
	tied := []pollstack.SlotTotal{
		{OptionID: 1, Slot: p.Slots()[0], Yes: 1, IfNeedBe: 1},
		{OptionID: 3, Slot: p.Slots()[2], Yes: 1, IfNeedBe: 1},
		{OptionID: 4, Slot: p.Slots()[3], Yes: 1, IfNeedBe: 1},
		{OptionID: 2, Slot: p.Slots()[1], Yes: 1, IfNeedBe: 1},
		{OptionID: 5, Slot: p.Slots()[0], Yes: 1, IfNeedBe: 2},
		{OptionID: 6, Slot: p.Slots()[0], Yes: 2, IfNeedBe: 0},
	}
	var order []int
	for _, s := range pollstack.BestSlots(tied) {
		order = append(order, s.OptionID)
	}
	if got, want := fmt.Sprint(order), "[6 5 2 4 3 1]"; got != want {
		t.Errorf("best slots = %s, want %s (most yes, most if need be, earliest)", got, want)
	}
	if tied[0].OptionID != 1 {
		t.Error("BestSlots reordered its argument")
	}
}

func TestMeetingCheckDecision(t *testing.T) {
	p, _, _ := meetingDraft(pollstack.SlotDraft{Date: "2026-04-01"}).NewPoll(meetingNow)
	if err := p.CheckDecision(1); err != nil {
		t.Errorf("CheckDecision(1) = %v", err)
	}
	if e := pollstack.ErrorOf(p.CheckDecision(2)); e == nil || e.Field != "option_id" {
		t.Errorf("CheckDecision(2) = %v", e)
	}
	single, _, _ := pollstack.PollDraft{Question: "q", Options: []string{"a", "b"}}.NewPoll(meetingNow)
	if e := pollstack.ErrorOf(single.CheckDecision(1)); e == nil || e.Code != "not_meeting" {
		t.Errorf("CheckDecision on a single choice poll = %v", e)
	}
}
