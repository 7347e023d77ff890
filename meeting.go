package pollstack

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules of a meeting poll, in one place.
const (
	MaxSlots   = 100 // time slots or dates of one meeting poll
	MaxNameLen = 60  // a participant's display name
)

// DateLayout is how an all-day date is written: a calendar date, no zone.
const DateLayout = "2006-01-02"

// Slot is one option of a meeting poll: a time slot (Start, End, in the
// creator's offset) or an all-day date (Date), which belongs to no zone and
// so reads the same everywhere.
type Slot struct {
	Date       string // YYYY-MM-DD for an all-day date; empty for a time slot
	Start, End time.Time
}

// AllDay reports whether the slot is a whole date rather than a time span.
func (s Slot) AllDay() bool { return s.Date != "" }

// Label is how a slot is kept as its option's label: the date, or the start
// and end as an ISO 8601 interval ("start/end", RFC 3339 with the creator's
// offset). ParseSlot reads it back.
func (s Slot) Label() string {
	if s.AllDay() {
		return s.Date
	}
	return s.Start.Format(time.RFC3339) + "/" + s.End.Format(time.RFC3339)
}

// In describes the slot as read in loc: a date as itself, which no zone
// shifts; a time slot by its start and end in loc, the zone named.
func (s Slot) In(loc *time.Location) string {
	if s.AllDay() {
		d, _ := time.Parse(DateLayout, s.Date)
		return d.Format("Mon 2 Jan 2006")
	}
	start, end := s.Start.In(loc), s.End.In(loc)
	if start.Format(DateLayout) == end.Format(DateLayout) && start.Format("MST") == end.Format("MST") {
		return start.Format("Mon 2 Jan 2006 15:04") + "–" + end.Format("15:04 MST")
	}
	return start.Format("Mon 2 Jan 2006 15:04 MST") + " – " + end.Format("Mon 2 Jan 2006 15:04 MST")
}

// String is the slot as read in UTC (In).
func (s Slot) String() string { return s.In(time.UTC) }

// sortKey is the instant slots are ordered by: a date counts from its
// midnight in UTC.
func (s Slot) sortKey() time.Time {
	if s.AllDay() {
		t, _ := time.Parse(DateLayout, s.Date)
		return t
	}
	return s.Start
}

// ParseSlot reads an option label written by Slot.Label.
func ParseSlot(label string) (Slot, error) {
	start, end, timed := strings.Cut(label, "/")
	if !timed {
		if _, err := time.Parse(DateLayout, label); err != nil {
			return Slot{}, fmt.Errorf("slot %q: %w", label, err)
		}
		return Slot{Date: label}, nil
	}
	s, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return Slot{}, fmt.Errorf("slot %q: %w", label, err)
	}
	e, err := time.Parse(time.RFC3339, end)
	if err != nil {
		return Slot{}, fmt.Errorf("slot %q: %w", label, err)
	}
	return Slot{Start: s, End: e}, nil
}

// SlotDraft is a slot as a creator gives it: start and end (RFC 3339), or
// a date (YYYY-MM-DD).
type SlotDraft struct {
	Start, End, Date string
}

// validateSlots checks the slots of a meeting poll and returns them as
// options (label: Slot.Label), in the order given.
func validateSlots(drafts []SlotDraft) ([]Option, error) {
	switch {
	case len(drafts) == 0:
		return nil, Invalid("slots", "slots_required", "Give at least one time slot or date.")
	case len(drafts) > MaxSlots:
		return nil, Invalid("slots", "slots_too_many", "A meeting poll can have at most %d slots.", MaxSlots)
	}
	options := make([]Option, 0, len(drafts))
	seen := make(map[string]bool, len(drafts))
	for i, d := range drafts {
		slot, err := d.slot(i)
		if err != nil {
			return nil, err
		}
		label := slot.Label()
		if seen[label] {
			return nil, Invalid(fmt.Sprintf("slots[%d]", i), "slot_duplicate", "Slot %d repeats an earlier one.", i+1)
		}
		seen[label] = true
		options = append(options, Option{ID: i + 1, Label: label})
	}
	return options, nil
}

// slot checks one slot draft, the i-th (from 0).
func (d SlotDraft) slot(i int) (Slot, error) {
	field := func(name string) string { return fmt.Sprintf("slots[%d].%s", i, name) }
	if d.Date != "" {
		if d.Start != "" || d.End != "" {
			return Slot{}, Invalid(field("date"), "slot_date_and_time", "Slot %d is either a date or a start and end, not both.", i+1)
		}
		t, err := time.Parse(DateLayout, d.Date)
		if err != nil {
			return Slot{}, Invalid(field("date"), "slot_date_invalid", "Slot %d: the date must be written YYYY-MM-DD.", i+1)
		}
		return Slot{Date: t.Format(DateLayout)}, nil
	}
	start, err := time.Parse(time.RFC3339, d.Start)
	if err != nil {
		return Slot{}, Invalid(field("start"), "slot_start_invalid", "Slot %d: the start must be an RFC 3339 time with its offset, such as 2026-03-29T09:00:00+02:00.", i+1)
	}
	end, err := time.Parse(time.RFC3339, d.End)
	if err != nil {
		return Slot{}, Invalid(field("end"), "slot_end_invalid", "Slot %d: the end must be an RFC 3339 time with its offset, such as 2026-03-29T10:00:00+02:00.", i+1)
	}
	if !end.After(start) {
		return Slot{}, Invalid(field("end"), "slot_end_before_start", "Slot %d: the end must be after the start.", i+1)
	}
	// Whole seconds: the label and the calendar file carry no fractions.
	return Slot{Start: start.Truncate(time.Second), End: end.Truncate(time.Second)}, nil
}

// Slots returns a meeting poll's slots, by option (Slots()[i] is option i+1).
func (p *Poll) Slots() []Slot {
	slots := make([]Slot, len(p.Options))
	for i, o := range p.Options {
		slots[i], _ = ParseSlot(o.Label) // written by validateSlots
	}
	return slots
}

// Answer is a participant's answer to one slot.
type Answer string

const (
	AnswerYes      Answer = "yes"
	AnswerIfNeedBe Answer = "if_need_be"
	AnswerNo       Answer = "no"
)

// Answers lists the valid answers, in the order forms offer them.
var Answers = []Answer{AnswerYes, AnswerIfNeedBe, AnswerNo}

// CleanName checks and normalises a participant's display name.
func CleanName(raw string) (string, error) {
	name, visible, err := cleanText("name", raw, false)
	switch {
	case err != nil:
		return "", err
	case !visible:
		return "", Invalid("name", "name_required", "Write your name.")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", Invalid("name", "name_too_long", "The name can be at most %d characters.", MaxNameLen)
	}
	return name, nil
}

// EncodeAnswers turns a participant's answers (by option ID; a slot left
// out is "no") into the option IDs a ballot keeps: +id for yes, -id for if
// need be, in option order; "no" is kept as absence, so counters move only
// for yes and if need be.
func (p *Poll) EncodeAnswers(answers map[int]Answer) ([]int, error) {
	ids := make([]int, 0, len(answers))
	for id, a := range answers {
		if id < 1 || id > len(p.Options) {
			return nil, Invalid("answers", "slot_unknown", "Slot %d is not part of this poll.", id)
		}
		switch a {
		case AnswerYes:
			ids = append(ids, id)
		case AnswerIfNeedBe:
			ids = append(ids, -id)
		case AnswerNo:
		default:
			return nil, Invalid("answers", "answer_invalid", "The answer for slot %d must be one of yes, if_need_be or no.", id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return abs(ids[i]) < abs(ids[j]) })
	return ids, nil
}

// DecodeAnswers reads a meeting ballot's option IDs back as an answer per
// slot of the poll, "no" for every slot the ballot leaves out.
func (p *Poll) DecodeAnswers(ids []int) map[int]Answer {
	answers := make(map[int]Answer, len(p.Options))
	for _, o := range p.Options {
		answers[o.ID] = AnswerNo
	}
	for _, id := range ids {
		if id > 0 {
			answers[id] = AnswerYes
		} else {
			answers[-id] = AnswerIfNeedBe
		}
	}
	return answers
}

// checkAnswers verifies a meeting ballot as EncodeAnswers writes it: each
// slot of the poll at most once.
func (p *Poll) checkAnswers(ids []int) error {
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		slot := abs(id)
		if slot < 1 || slot > len(p.Options) {
			return Invalid("answers", "slot_unknown", "Slot %d is not part of this poll.", slot)
		}
		if seen[slot] {
			return Invalid("answers", "slot_repeated", "Slot %d is answered more than once.", slot)
		}
		seen[slot] = true
	}
	return nil
}

// SlotTotal is how many participants can make a slot.
type SlotTotal struct {
	OptionID      int
	Slot          Slot
	Yes, IfNeedBe int
}

// SlotTotals returns the totals of a meeting poll, per slot in option order.
func (p *Poll) SlotTotals(r Results) []SlotTotal {
	slots := p.Slots()
	totals := make([]SlotTotal, len(slots))
	for i, s := range slots {
		id := i + 1
		totals[i] = SlotTotal{OptionID: id, Slot: s, Yes: r.Counts[id], IfNeedBe: r.IfNeedBe[id]}
	}
	return totals
}

// BestSlots orders totals best first: most yes, then most if need be, then
// the earliest slot (a date from its midnight in UTC), then option order.
func BestSlots(totals []SlotTotal) []SlotTotal {
	best := append([]SlotTotal(nil), totals...)
	sort.SliceStable(best, func(i, j int) bool {
		a, b := best[i], best[j]
		if a.Yes != b.Yes {
			return a.Yes > b.Yes
		}
		if a.IfNeedBe != b.IfNeedBe {
			return a.IfNeedBe > b.IfNeedBe
		}
		if ka, kb := a.Slot.sortKey(), b.Slot.sortKey(); !ka.Equal(kb) {
			return ka.Before(kb)
		}
		return a.OptionID < b.OptionID
	})
	return best
}

// CheckDecision verifies the slot a creator picks for a meeting poll.
func (p *Poll) CheckDecision(optionID int) error {
	switch {
	case !p.Meeting:
		return Invalid("kind", "not_meeting", "Only a meeting poll has a slot to pick.")
	case optionID < 1 || optionID > len(p.Options):
		return Invalid("option_id", "slot_unknown", "Slot %d is not part of this poll.", optionID)
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ErrNotDecided answers a request for a meeting's calendar entry before the
// creator has picked its slot, or for a poll that is no meeting.
var ErrNotDecided = &Error{Kind: KindNotFound, Code: "not_decided", Message: "This poll has no decided meeting time yet."}
