package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// optionEdits lists a poll's options as an edit keeps them, with labels
// changed by relabel (by option ID) and new labels added.
func optionEdits(p *pollstack.Poll, relabel map[int]string, drop int, add ...string) []pollstack.OptionEdit {
	var out []pollstack.OptionEdit
	for _, o := range p.Options {
		if o.ID == drop {
			continue
		}
		label := o.Label
		if l, ok := relabel[o.ID]; ok {
			label = l
		}
		out = append(out, pollstack.OptionEdit{ID: o.ID, Label: label})
	}
	for _, l := range add {
		out = append(out, pollstack.OptionEdit{Label: l})
	}
	return out
}

// testEdit walks the edit rules through the store: everything may change
// before a ballot; after one, kind, limits and check are frozen, an option
// with votes stays and is relabelled only when confirmed, into the change
// log; a stale version is refused; reopening takes votes again.
func testEdit(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Lunch?", Options: []string{"Pizza", "Sushi", "Salad"}})
	single, multiple, two, ip := pollstack.PollSingle, pollstack.PollMultiple, 2, pollstack.CheckAddress
	q := "Lunch on Friday?"
	edited, err := s.EditPoll(ctx, p.ID, p.Version, pollstack.PollEdit{Question: &q, Kind: &multiple, MaxChoices: &two, DuplicateCheck: &ip,
		Options: optionEdits(p, map[int]string{1: "Pizza place"}, 3, "Tacos")}, clock.Now())
	if err != nil {
		t.Fatalf("edit before votes: %v", err)
	}
	got, err := s.Poll(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != p.Version+1 || got.Version != edited.Version || got.Question != q || !got.Multiple || got.MaxChoices != 2 || got.DuplicateCheck != ip {
		t.Errorf("after edit: %+v", got)
	}
	if fmt.Sprint(got.Options) != "[{1 Pizza place} {2 Sushi} {4 Tacos}]" || len(got.Relabels) != 0 {
		t.Errorf("options %v, change log %v: want Salad gone, Tacos as 4, no log without votes", got.Options, got.Relabels)
	}
	if _, err := s.EditPoll(ctx, p.ID, p.Version, pollstack.PollEdit{Question: &q}, clock.Now()); !errors.Is(err, pollstack.ErrVersionStale) {
		t.Errorf("edit of an old version: %v, want version_stale", err)
	}
	if err := voteAs(s, p.ID, pollstack.Voter{Browser: "a", Address: addressKey("a")}, 1, 4); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]pollstack.PollEdit{
		"kind":            {Kind: &single},
		"max_choices":     {MaxChoices: new(int)},
		"duplicate_check": {DuplicateCheck: new(pollstack.DuplicateCheck)},
	} {
		_, err := s.EditPoll(ctx, p.ID, 0, edit, clock.Now())
		wantCode(t, name+" after a vote", err, "frozen_after_votes")
	}
	_, err = s.EditPoll(ctx, p.ID, 0, pollstack.PollEdit{Options: optionEdits(got, nil, 4)}, clock.Now())
	wantCode(t, "delete an option with votes", err, "option_has_votes")
	relabel := pollstack.PollEdit{Options: optionEdits(got, map[int]string{4: "Tacos al pastor"}, 2)}
	_, err = s.EditPoll(ctx, p.ID, 0, relabel, clock.Now())
	wantCode(t, "relabel without confirmation", err, "relabel_unconfirmed")
	relabel.ConfirmRelabel = true
	if _, err := s.EditPoll(ctx, p.ID, 0, relabel, clock.Now()); err != nil {
		t.Fatalf("confirmed relabel (and Sushi, without votes, deleted): %v", err)
	}
	got, _ = s.Poll(ctx, p.ID)
	if fmt.Sprint(got.Options) != "[{1 Pizza place} {4 Tacos al pastor}]" || len(got.Relabels) != 1 ||
		got.Relabels[0] != (pollstack.Relabel{At: clock.Now(), OptionID: 4, From: "Tacos", To: "Tacos al pastor"}) {
		t.Errorf("options %v, change log %+v", got.Options, got.Relabels)
	}
	soup, err := s.EditPoll(ctx, p.ID, got.Version, pollstack.PollEdit{Options: optionEdits(got, nil, 0, "Soup")}, clock.Now())
	if err != nil || soup.Options[len(soup.Options)-1].ID != 5 {
		t.Errorf("add after deletions: %v, %v: want ID 5, never a deleted option's", err, soup)
	}
	if err := s.ClosePoll(ctx, p.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	closes := clock.Now().Add(time.Hour)
	if _, err := s.EditPoll(ctx, p.ID, 0, pollstack.PollEdit{Reopen: true, SetClosesAt: true, ClosesAt: &closes}, clock.Now()); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := voteAs(s, p.ID, pollstack.Voter{Browser: "b", Address: addressKey("b")}, 1); err != nil {
		t.Errorf("vote after reopening: %v", err)
	}
	if _, err := s.EditPoll(ctx, "AAAAAAAAAAAAAAAA", 0, pollstack.PollEdit{Question: &q}, clock.Now()); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("edit of no poll: %v", err)
	}
}

// testEditConcurrent adds an option, then deletes it while votes for it
// pour in, round after round: every vote is either stored or refused, no
// stored ballot names an option that is gone, and the counts equal the
// ballots.
func testEditConcurrent(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	// A deletion that comes after a vote is refused (option_has_votes), so
	// a round may leave its option: 2 + 18 stays within the 20 a poll may
	// have.
	const rounds, voters = 18, 10
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	var out, edits outcomes
	var mu sync.Mutex
	okByLabel := map[string]int{} // votes stored, by the label the voter saw
	for r := range rounds {
		cur, err := s.Poll(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		added, err := s.EditPoll(ctx, p.ID, cur.Version, pollstack.PollEdit{Options: optionEdits(cur, nil, 0, fmt.Sprint("New ", r))}, clock.Now())
		if err != nil {
			t.Fatalf("add an option: %v", err)
		}
		fresh := added.Options[len(added.Options)-1].ID
		var wg sync.WaitGroup
		start := make(chan struct{})
		for v := range voters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := voteAs(s, p.ID, pollstack.Voter{Browser: fmt.Sprint("voter-", r, "-", v)}, fresh)
				out.add(t, err)
				if err == nil {
					mu.Lock()
					okByLabel[fmt.Sprint("New ", r)]++
					mu.Unlock()
				}
			}()
		}
		// Every third round deletes before any vote starts, so that both
		// outcomes occur however a loaded machine orders the others.
		deleteFirst := r%3 == 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !deleteFirst {
				<-start
				// A delay that varies by round, so that the deletion lands
				// before, among and after the votes' batches.
				time.Sleep(time.Duration(r%5) * 500 * time.Microsecond)
			}
			_, err := s.EditPoll(ctx, p.ID, added.Version, pollstack.PollEdit{Options: optionEdits(added, nil, fresh)}, clock.Now())
			edits.add(t, err)
			if deleteFirst {
				close(start)
			}
		}()
		if !deleteFirst {
			close(start)
		}
		wg.Wait()
	}
	t.Logf("votes %s, edits %s", out.String(), edits.String())
	final, err := s.Poll(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	exists := map[int]bool{}
	for _, o := range final.Options {
		exists[o.ID] = true
	}
	ballots := Exported(t, s, p.ID)
	if len(ballots) != out.n["ok"] {
		t.Errorf("%d ballots stored, %d votes answered ok", len(ballots), out.n["ok"])
	}
	counts := map[int]int{}
	for _, b := range ballots {
		for _, id := range b.OptionIDs {
			if !exists[id] {
				t.Errorf("a stored ballot names option %d, which the poll no longer has (%v)", id, final.Options)
			}
			counts[id]++
		}
	}
	res, err := s.Results(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range final.Options {
		if res.Counts[o.ID] != counts[o.ID] {
			t.Errorf("option %d counts %d, its ballots %d", o.ID, res.Counts[o.ID], counts[o.ID])
		}
		// A vote counts for the option the voter chose, never for another
		// that took its ID after an edit.
		if counts[o.ID] != okByLabel[o.Label] {
			t.Errorf("option %d %q has %d ballots, %d votes for it were stored", o.ID, o.Label, counts[o.ID], okByLabel[o.Label])
		}
		delete(okByLabel, o.Label)
	}
	for label, n := range okByLabel {
		if n > 0 {
			t.Errorf("%d votes for %q were stored, but the option is gone", n, label)
		}
	}
	if res.Total != len(ballots) {
		t.Errorf("total %d, ballots %d", res.Total, len(ballots))
	}
	if out.n["ok"] == 0 || edits.n["ok"] == 0 || out.n["option_unknown"] == 0 {
		t.Errorf("the race never happened: votes %s, edits %s", out.String(), edits.String())
	}
}

// testJoinCode finds a poll by its join code, and refuses a second poll
// with a code already taken, so that the caller draws another.
func testJoinCode(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if got, err := s.Poll(ctx, p.ID); err != nil || got.JoinCode != p.JoinCode || p.JoinCode == "" {
		t.Fatalf("stored join code %v %v, want %q", got, err, p.JoinCode)
	}
	kiosk := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, Kiosk: true})
	if got, err := s.Poll(ctx, kiosk.ID); err != nil || !got.Kiosk || got.DuplicateCheck != pollstack.CheckNone || got.JoinCode == p.JoinCode {
		t.Errorf("a kiosk poll reads back as %+v, %v", got, err)
	}
	if id, err := s.PollIDByJoinCode(ctx, p.JoinCode); err != nil || id != p.ID {
		t.Errorf("PollIDByJoinCode(%s) = %q, %v; want %s", p.JoinCode, id, err, p.ID)
	}
	if _, err := s.PollIDByJoinCode(ctx, "ZZZZZ2"); !errors.Is(err, pollstack.ErrPollNotFound) && p.JoinCode != "ZZZZZ2" {
		t.Errorf("an unknown join code: %v", err)
	}
	twin, secrets, err := pollstack.PollDraft{Question: "Q2", Options: []string{"A", "B"}}.NewPoll(clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	twin.JoinCode = p.JoinCode
	if err := s.CreatePoll(ctx, twin, secrets.Codes.Keys()); !errors.Is(err, pollstack.ErrJoinCodeTaken) {
		t.Errorf("a second poll with the same join code: %v, want join_code_taken", err)
	}
	if _, err := s.Poll(ctx, twin.ID); !errors.Is(err, pollstack.ErrPollNotFound) {
		t.Errorf("the refused poll was stored: %v", err)
	}
}
