package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

// writeIn casts a ballot from a browser with the voter's own answer.
func writeIn(s pollstack.Store, pollID, browser, other string, options ...int) error {
	return s.Vote(context.Background(), pollstack.Ballot{PollID: pollID, Voter: pollstack.Voter{Browser: browser, Address: addressKey("address of " + browser)}, OptionIDs: options, Other: other})
}

// optionLabels returns the labels of the poll's (approved) options by ID.
func optionLabels(t *testing.T, s pollstack.Store, pollID string) map[int]string {
	t.Helper()
	p, err := s.Poll(context.Background(), pollID)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	out := make(map[int]string, len(p.Options))
	for _, o := range p.Options {
		out[o.ID] = o.Label
	}
	return out
}

// A voter's answer joins the option with the same text, case and width
// folded, or becomes a new option that everyone then sees and may choose.
func testOtherMerge(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"Tea", "Coffee"}, AllowOther: true})
	wantOutcome(t, "full-width TEA", writeIn(s, p.ID, "v1", "ＴＥＡ"), nil)
	wantOutcome(t, "new answer", writeIn(s, p.ID, "v2", "Juice"), nil)
	wantOutcome(t, "same answer, other case", writeIn(s, p.ID, "v3", "jUICE"), nil)
	wantOutcome(t, "the new option, chosen", vote(s, p.ID, "v4", 3), nil)
	wantCounts(t, s, p.ID, 4, map[int]int{1: 1, 2: 0, 3: 3})
	if got := optionLabels(t, s, p.ID); len(got) != 3 || got[3] != "Juice" {
		t.Errorf("options = %v, want Tea, Coffee and Juice (the first spelling)", got)
	}
	wantCode(t, "an option and an answer in a single choice poll", writeIn(s, p.ID, "v5", "Milk", 1), "option_single", "other")
	plain := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	wantCode(t, "answer to a poll without allow_other", writeIn(s, plain.ID, "v1", "C"), "other_not_allowed", "other")
	wantCounts(t, s, plain.ID, 0, nil)
	multi := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, Multiple: true, AllowOther: true})
	wantOutcome(t, "an option and the same text written", writeIn(s, multi.ID, "v1", "a", 1), nil)
	wantOutcome(t, "an option and a new answer", writeIn(s, multi.ID, "v2", "C", 1), nil)
	wantCounts(t, s, multi.ID, 2, map[int]int{1: 2, 2: 0, 3: 1})
}

// New answers stop at MaxOptions options; answers that merge still count.
func testOtherCap(t *testing.T, s pollstack.Store, clock *Clock) {
	labels := make([]string, pollstack.MaxOptions-1)
	for i := range labels {
		labels[i] = fmt.Sprint("Option ", i+1)
	}
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: labels, AllowOther: true})
	wantOutcome(t, "the last room", writeIn(s, p.ID, "v1", "Last"), nil)
	wantOutcome(t, "no room left", writeIn(s, p.ID, "v2", "One too many"), pollstack.ErrOtherFull)
	wantOutcome(t, "merges when full", writeIn(s, p.ID, "v3", "LAST"), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{pollstack.MaxOptions: 2})
	if got := optionLabels(t, s, p.ID); len(got) != pollstack.MaxOptions {
		t.Errorf("options = %d, want %d", len(got), pollstack.MaxOptions)
	}
}

// With approval, a new answer is counted but never shown (not an option,
// not in the results) until the creator approves it; a rejected one never
// is, and the same text written again stays with it.
func testOtherApproval(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowOther: true, OtherApproval: pollstack.OtherCreator})
	wantOutcome(t, "pending answer", writeIn(s, p.ID, "v1", "Secret"), nil)
	wantOutcome(t, "another", writeIn(s, p.ID, "v2", "Fine"), nil)
	wantOutcome(t, "the same pending answer", writeIn(s, p.ID, "v3", "secret"), nil)
	wantHidden := func(what string, ids ...int) {
		t.Helper()
		labels := optionLabels(t, s, p.ID)
		r := mustResults(t, s, p.ID)
		for _, id := range ids {
			if _, ok := labels[id]; ok {
				t.Errorf("%s: option %d (%q) is among the poll's options", what, id, labels[id])
			}
			if n, ok := r.Counts[id]; ok {
				t.Errorf("%s: option %d counted in the results (%d)", what, id, n)
			}
		}
	}
	wantHidden("pending", 3, 4)
	pending, err := s.PendingAnswers(ctx, p.ID)
	if err != nil || len(pending) != 2 || pending[0].Label != "Secret" || pending[0].Votes != 2 || pending[1].Label != "Fine" || pending[1].Votes != 1 {
		t.Fatalf("PendingAnswers = %+v, %v; want Secret (2 votes) and Fine (1)", pending, err)
	}
	wantCode(t, "choosing a pending answer by its ID", vote(s, p.ID, "attacker", pending[0].ID), "option_unknown", "option_ids")
	wantOutcome(t, "reject", s.ReviewAnswer(ctx, p.ID, pending[0].ID, false), nil)
	wantOutcome(t, "approve", s.ReviewAnswer(ctx, p.ID, pending[1].ID, true), nil)
	wantOutcome(t, "review again", s.ReviewAnswer(ctx, p.ID, pending[0].ID, true), pollstack.ErrAnswerNotPending)
	wantOutcome(t, "review a creator's option", s.ReviewAnswer(ctx, p.ID, 1, false), pollstack.ErrAnswerNotPending)
	wantOutcome(t, "review on another poll", s.ReviewAnswer(ctx, "no-such-poll-xx", 3, true), pollstack.ErrAnswerNotPending)
	wantOutcome(t, "a rejected answer written again", writeIn(s, p.ID, "v4", "SECRET"), nil)
	wantHidden("rejected", pending[0].ID)
	if got := optionLabels(t, s, p.ID)[pending[1].ID]; got != "Fine" {
		t.Errorf("approved answer: label %q, want Fine", got)
	}
	wantCounts(t, s, p.ID, 4, map[int]int{1: 0, 2: 0, pending[1].ID: 1})
	if left, err := s.PendingAnswers(ctx, p.ID); err != nil || len(left) != 0 {
		t.Errorf("PendingAnswers after review = %+v, %v; want none", left, err)
	}
	if _, err := s.PendingAnswers(ctx, "no-such-poll-xx"); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("PendingAnswers of no poll: %v, want ErrPollNotFound", err)
	}
}

// Voters writing at once: one option per answer however it is spelled,
// each counted once per ballot, and a voter who tries again and again with
// new answers adds one ballot and one option, never an option without its
// ballot.
func testOtherConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowOther: true})
	spellings := []string{"Mango", "mango", "MANGO", "Ｍａｎｇｏ"}
	const voters, distinct = 40, 8
	out := concurrently(t, voters+distinct, func(i int) error {
		if i < voters {
			return writeIn(s, p.ID, fmt.Sprint("v", i), spellings[i%len(spellings)])
		}
		return writeIn(s, p.ID, fmt.Sprint("w", i), fmt.Sprint("Fruit ", i-voters))
	})
	if out.n["ok"] != voters+distinct {
		t.Fatalf("outcomes %v, want every vote stored", out)
	}
	labels := optionLabels(t, s, p.ID)
	mango := 0
	for id, l := range labels {
		if strings.EqualFold(l, "mango") || l == "Ｍａｎｇｏ" {
			if mango != 0 {
				t.Errorf("two options for one answer: %d and %d (%v)", mango, id, labels)
			}
			mango = id
		}
	}
	if len(labels) != 2+1+distinct || mango == 0 {
		t.Fatalf("options = %v, want A, B, one Mango and %d fruits", labels, distinct)
	}
	wantCounts(t, s, p.ID, voters+distinct, map[int]int{mango: voters})

	q := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, AllowOther: true, OtherApproval: pollstack.OtherCreator})
	const tries = 12
	out = concurrently(t, tries, func(i int) error { return writeIn(s, q.ID, "same-voter", fmt.Sprint("Spam ", i)) })
	if out.n["ok"] != 1 || out.n["already_voted"] != tries-1 {
		t.Errorf("outcomes %v, want one stored and %d already voted", out, tries-1)
	}
	pending, err := s.PendingAnswers(context.Background(), q.ID)
	if err != nil || len(pending) != 1 || pending[0].Votes != 1 {
		t.Errorf("pending answers = %+v, %v; want the one answer of the one stored ballot", pending, err)
	}
	wantCounts(t, s, q.ID, 1, map[int]int{1: 0, 2: 0})
}

// wantCode checks an error's code, and its field when one is given.
func wantCode(t *testing.T, what string, err error, code string, field ...string) {
	t.Helper()
	if e := pollstack.ErrorOf(err); e == nil || e.Code != code || len(field) > 0 && e.Field != field[0] {
		t.Errorf("%s: err = %v, want %s %v", what, err, code, field)
	}
}

// A creator's edit and voters' own answers share the poll's option IDs: an
// edit keeps the answers that wait for approval, an option the creator adds
// after an answer takes a new ID, and an answer after a deletion never takes
// the deleted option's ID.
func testOtherAndEdit(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}, AllowOther: true, OtherApproval: pollstack.OtherCreator})
	wantOutcome(t, "pending answer", writeIn(s, p.ID, "v1", "Waiting"), nil) // option 4, pending
	edited, err := s.EditPoll(ctx, p.ID, p.Version, pollstack.PollEdit{Options: optionEdits(p, nil, 3, "D")}, clock.Now())
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if fmt.Sprint(edited.Options) != "[{1 A} {2 B} {5 D}]" {
		t.Errorf("after the edit: options %v, want C gone and D as 5 (4 is the voter's answer)", edited.Options)
	}
	pending, err := s.PendingAnswers(ctx, p.ID)
	if err != nil || len(pending) != 1 || pending[0].ID != 4 || pending[0].Label != "Waiting" || pending[0].Votes != 1 {
		t.Fatalf("PendingAnswers after the edit = %+v, %v; want Waiting (4, one vote)", pending, err)
	}
	wantOutcome(t, "an answer after the edit", writeIn(s, p.ID, "v2", "Later"), nil)
	if pending, err = s.PendingAnswers(ctx, p.ID); err != nil || len(pending) != 2 || pending[1].ID != 6 {
		t.Errorf("PendingAnswers = %+v, %v; want Later as 6, never the deleted 3", pending, err)
	}
	wantOutcome(t, "approve", s.ReviewAnswer(ctx, p.ID, 4, true), nil)
	wantCounts(t, s, p.ID, 2, map[int]int{1: 0, 2: 0, 4: 1, 5: 0})
}
