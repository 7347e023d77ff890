package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// Meeting polls: a ballot is a participant's name and answer per slot, kept
// per voter and replaced by a change; the yes and if-need-be counters always
// equal the ballots.

// meetingSlots returns n all-day dates from 1 April 2026.
func meetingSlots(n int) []pollstack.SlotDraft {
	slots := make([]pollstack.SlotDraft, n)
	for i := range slots {
		slots[i].Date = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(pollstack.DateLayout)
	}
	return slots
}

// answer casts (or with change, replaces) a meeting ballot.
func answer(s pollstack.Store, p *pollstack.Poll, v pollstack.Voter, name string, change bool, answers map[int]pollstack.Answer) error {
	ids, err := p.EncodeAnswers(answers)
	if err != nil {
		return err
	}
	return s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: v, Name: name, OptionIDs: ids, Change: change})
}

// wantMeetingTotals checks the counters against the poll's own ballots, and
// against want (slot -> yes, if need be) when it is given.
func wantMeetingTotals(t *testing.T, s pollstack.Store, p *pollstack.Poll, participants int, want map[int][2]int) {
	t.Helper()
	fromBallots := map[int][2]int{}
	exported := Exported(t, s, p.ID)
	for _, b := range exported {
		if b.Name == "" {
			t.Errorf("a meeting ballot without its name: %+v", b)
		}
		for id, a := range p.DecodeAnswers(b.OptionIDs) {
			n := fromBallots[id]
			switch a {
			case pollstack.AnswerYes:
				n[0]++
			case pollstack.AnswerIfNeedBe:
				n[1]++
			}
			fromBallots[id] = n
		}
	}
	r := mustResults(t, s, p.ID)
	if r.Total != participants || len(exported) != participants {
		t.Errorf("total %d, %d ballots exported; want %d", r.Total, len(exported), participants)
	}
	for _, total := range p.SlotTotals(r) {
		got := [2]int{total.Yes, total.IfNeedBe}
		if got != fromBallots[total.OptionID] {
			t.Errorf("slot %d: yes, if need be = %v; its ballots say %v", total.OptionID, got, fromBallots[total.OptionID])
		}
		if w, ok := want[total.OptionID]; want != nil && (ok && got != w || !ok && got != [2]int{}) {
			t.Errorf("slot %d: yes, if need be = %v, want %v", total.OptionID, got, w)
		}
	}
}

func testMeetingAnswers(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	const (
		yes = pollstack.AnswerYes
		inb = pollstack.AnswerIfNeedBe
		no  = pollstack.AnswerNo
	)
	draft := pollstack.PollDraft{Question: "Offsite", Kind: pollstack.PollMeeting, Slots: meetingSlots(pollstack.MaxSlots), HideNames: true}
	p := MustCreate(t, s, clock.Now(), draft)
	got, err := s.Poll(ctx, p.ID)
	if err != nil || got.Kind() != pollstack.PollMeeting || !got.HideNames || !got.AllowChanges || got.Decided != 0 || len(got.Options) != pollstack.MaxSlots {
		t.Fatalf("Poll = %+v, %v; want a meeting poll hiding names, %d slots", got, err, pollstack.MaxSlots)
	}
	if !reflect.DeepEqual(got.Slots(), p.Slots()) {
		t.Errorf("slots read back %v, stored %v", got.Slots(), p.Slots())
	}
	v := func(name string) pollstack.Voter { return pollstack.Voter{Browser: name} }
	wantOutcome(t, "ada", answer(s, p, v("b1"), "Ada", false, map[int]pollstack.Answer{1: yes, 2: inb, 100: yes}), nil)
	wantOutcome(t, "bob", answer(s, p, v("b2"), "Bob", false, map[int]pollstack.Answer{1: inb, 2: yes, 3: no}), nil)
	wantOutcome(t, "cy, no to all", answer(s, p, v("b3"), "Cy", false, nil), nil)
	wantOutcome(t, "ada again", answer(s, p, v("b1"), "Ada", false, map[int]pollstack.Answer{1: yes}), pollstack.ErrAlreadyVoted)
	if e := pollstack.ErrorOf(answer(s, p, v("b4"), "", false, map[int]pollstack.Answer{1: yes})); e == nil || e.Field != "name" {
		t.Errorf("a ballot without a name: %v, want an error on name", e)
	}
	wantMeetingTotals(t, s, p, 3, map[int][2]int{1: {1, 1}, 2: {1, 1}, 100: {1, 0}})

	clock.Advance(time.Minute)
	wantOutcome(t, "ada edits", answer(s, p, v("b1"), "Ada L.", true, map[int]pollstack.Answer{1: inb, 3: yes}), nil)
	wantOutcome(t, "dee edits before answering", answer(s, p, v("b5"), "Dee", true, map[int]pollstack.Answer{1: yes}), pollstack.ErrNotVoted)
	wantMeetingTotals(t, s, p, 3, map[int][2]int{1: {0, 2}, 2: {1, 0}, 3: {1, 0}})
	if ids, err := s.BallotOf(ctx, p.ID, "b1"); err != nil || !reflect.DeepEqual(p.DecodeAnswers(ids), p.DecodeAnswers([]int{-1, 3})) {
		t.Errorf("ada's ballot after the edit: %v, %v", ids, err)
	}
	if name, err := s.NameOf(ctx, p.ID, "b1"); err != nil || name != "Ada L." {
		t.Errorf("NameOf(ada) = %q, %v; want the edited name", name, err)
	}
	if _, err := s.NameOf(ctx, p.ID, "b5"); err != pollstack.ErrNotVoted {
		t.Errorf("NameOf(no ballot) = %v, want ErrNotVoted", err)
	}
	names := map[string]bool{}
	for _, b := range Exported(t, s, p.ID) {
		names[b.Name] = true
	}
	if !reflect.DeepEqual(names, map[string]bool{"Ada L.": true, "Bob": true, "Cy": true}) {
		t.Errorf("names kept %v, want the edited name and the others", names)
	}

	// Deciding picks a slot and closes the poll; it can be decided again.
	if err := s.Decide(ctx, p.ID, 3, clock.Now()); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	closedAt := clock.Now()
	clock.Advance(time.Minute)
	if err := s.Decide(ctx, p.ID, 2, clock.Now()); err != nil {
		t.Fatalf("Decide again: %v", err)
	}
	got, err = s.Poll(ctx, p.ID)
	if err != nil || got.Decided != 2 || got.ClosedAt == nil || !got.ClosedAt.Equal(closedAt) {
		t.Errorf("after deciding: decided %d, closed at %v, %v; want slot 2, closed at %v", got.Decided, got.ClosedAt, err, closedAt)
	}
	if r := mustResults(t, s, p.ID); r.Decided != 2 || r.ClosedAt == nil {
		t.Errorf("results after deciding: decided %d, closed at %v", r.Decided, r.ClosedAt)
	}
	wantOutcome(t, "an answer after the decision", answer(s, p, v("b6"), "Eve", false, map[int]pollstack.Answer{1: yes}), pollstack.ErrPollClosed)
	wantOutcome(t, "an edit after the decision", answer(s, p, v("b2"), "Bob", true, map[int]pollstack.Answer{1: yes}), pollstack.ErrPollClosed)

	single := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := s.Decide(ctx, single.ID, 1, clock.Now()); err != pollstack.ErrPollNotFound {
		t.Errorf("Decide on a single choice poll: %v, want ErrPollNotFound", err)
	}
	if err := s.Decide(ctx, "nope", 1, clock.Now()); err != pollstack.ErrPollNotFound {
		t.Errorf("Decide on no poll: %v, want ErrPollNotFound", err)
	}
	if r := mustResults(t, s, single.ID); r.IfNeedBe != nil || r.Decided != 0 {
		t.Errorf("single choice results %+v carry meeting counts", r)
	}
}

// testMeetingCode: in a "code" poll each invitee's code is their ballot,
// edited with the same code from any browser.
func testMeetingCode(t *testing.T, s pollstack.Store, clock *Clock) {
	draft := pollstack.PollDraft{Question: "Offsite", Kind: pollstack.PollMeeting, Slots: meetingSlots(2), DuplicateCheck: pollstack.CheckCode, VoterCodes: 2}
	p, secrets := MustCreateWithSecrets(t, s, clock.Now(), draft)
	codes := secrets.Codes.Codes()
	as := func(browser, code string) pollstack.Voter {
		return pollstack.Voter{Browser: browser, Code: pollstack.CodeKey(code)}
	}
	yes := map[int]pollstack.Answer{1: pollstack.AnswerYes}
	wantOutcome(t, "no code", answer(s, p, pollstack.Voter{Browser: "b1"}, "Ada", false, yes), pollstack.ErrInvalidCode)
	wantOutcome(t, "first code", answer(s, p, as("b1", codes[0]), "Ada", false, yes), nil)
	wantOutcome(t, "first code, other browser", answer(s, p, as("b2", codes[0]), "Bob", false, yes), pollstack.ErrCodeUsed)
	wantOutcome(t, "edit with the code from another browser", answer(s, p, as("b2", codes[0]), "Ada", true, map[int]pollstack.Answer{2: pollstack.AnswerIfNeedBe}), nil)
	wantOutcome(t, "second code", answer(s, p, as("b2", codes[1]), "Bob", false, yes), nil)
	wantMeetingTotals(t, s, p, 2, map[int][2]int{1: {1, 0}, 2: {0, 1}})
}

// testMeetingConcurrent: participants answer and edit at once, some editing
// several times one after another and some racing their own first answer;
// the counters equal the stored ballots, and each participant's ballot is
// their last stored answer.
func testMeetingConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	const participants, racers, edits, slots = 30, 10, 4, 6
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Offsite", Kind: pollstack.PollMeeting, Slots: meetingSlots(slots)})
	randomAnswers := func(r *rand.Rand) map[int]pollstack.Answer {
		answers := make(map[int]pollstack.Answer, slots)
		for id := 1; id <= slots; id++ {
			answers[id] = pollstack.Answers[r.IntN(len(pollstack.Answers))]
		}
		return answers
	}
	var out outcomes
	var wg sync.WaitGroup
	start := make(chan struct{})
	last := make([]map[int]pollstack.Answer, participants)
	for i := range participants + racers {
		voter := pollstack.Voter{Browser: fmt.Sprintf("voter-%d", i)}
		r := rand.New(rand.NewPCG(uint64(i), 29))
		ballots := make([]map[int]pollstack.Answer, 1+edits)
		for j := range ballots {
			ballots[j] = randomAnswers(r)
		}
		name := fmt.Sprintf("Participant %d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i < participants { // answer, then edit one after another
				out.add(t, answer(s, p, voter, name, false, ballots[0]))
				for _, b := range ballots[1:] {
					out.add(t, answer(s, p, voter, name, true, b))
				}
				last[i] = ballots[edits]
				return
			}
			var racing sync.WaitGroup // the answer and every edit at once
			for j, b := range ballots {
				racing.Add(1)
				go func() {
					defer racing.Done()
					out.add(t, answer(s, p, voter, name, j > 0, b))
				}()
			}
			racing.Wait()
		}()
	}
	close(start)
	wg.Wait()
	total, mayMiss := (participants+racers)*(1+edits), racers*edits
	if out.n["ok"]+out.n["no_ballot"] != total || out.n["no_ballot"] > mayMiss {
		t.Errorf("outcomes %s: want %d in all, all ok but for at most %d no_ballot", out.String(), total, mayMiss)
	}
	wantMeetingTotals(t, s, p, participants+racers, nil)
	for i, want := range last {
		ids, err := s.BallotOf(context.Background(), p.ID, fmt.Sprintf("voter-%d", i))
		if err != nil || !reflect.DeepEqual(p.DecodeAnswers(ids), want) {
			t.Errorf("voter-%d's ballot %v (%v), want their last edit %v", i, p.DecodeAnswers(ids), err, want)
		}
	}
}
