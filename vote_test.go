package pollstack_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

func TestCheckBallot(t *testing.T) {
	single := &pollstack.Poll{Options: []pollstack.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}, {ID: 3, Label: "C"}}}
	multiple := &pollstack.Poll{Options: single.Options, Multiple: true, MinChoices: 1, MaxChoices: 3}
	limited := &pollstack.Poll{Options: single.Options, Multiple: true, MinChoices: 2, MaxChoices: 2}
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
		{"every option", multiple, []int{1, 2, 3}, ""},
		{"as many as the limits say", limited, []int{3, 1}, ""},
		{"fewer than the minimum", limited, []int{1}, "choices_too_few"},
		{"more than the maximum", limited, []int{1, 2, 3}, "choices_too_many"},
		{"none, with limits", limited, nil, "option_required"},
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

func TestChoiceRule(t *testing.T) {
	options := make([]pollstack.Option, 5)
	for _, tt := range []struct {
		multiple bool
		lo, hi   int
		want     string
	}{
		{false, 1, 1, "Choose one option"},
		{true, 1, 5, "Choose one or more options"},
		{true, 1, 1, "Choose 1 option"},
		{true, 1, 3, "Choose up to 3 options"},
		{true, 2, 5, "Choose at least 2 options"},
		{true, 2, 3, "Choose 2 to 3 options"},
		{true, 3, 3, "Choose 3 options"},
	} {
		p := &pollstack.Poll{Options: options, Multiple: tt.multiple, MinChoices: tt.lo, MaxChoices: tt.hi}
		if got := p.ChoiceRule(); got != tt.want {
			t.Errorf("%v %d..%d: %q, want %q", tt.multiple, tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestAdmit(t *testing.T) {
	open := &pollstack.Poll{ID: "open", Options: []pollstack.Option{{ID: 1}, {ID: 2}}, DuplicateCheck: pollstack.CheckBrowser}
	closed := &pollstack.Poll{ID: "closed", Options: open.Options, ClosedAt: &now}
	polls := map[string]*pollstack.Poll{"open": open, "closed": closed}
	v1, v2 := pollstack.Voter{Browser: "v1"}, pollstack.Voter{Browser: "v2"}
	ballots := []pollstack.Ballot{
		{PollID: "open", Voter: v1, OptionIDs: []int{1}},
		{PollID: "open", Voter: v1, OptionIDs: []int{2}}, // the same voter again in the batch
		{PollID: "closed", Voter: v1, OptionIDs: []int{1}},
		{PollID: "gone", Voter: v1, OptionIDs: []int{1}},
		{PollID: "open", Voter: v2, OptionIDs: []int{9}},
		{PollID: "open", Voter: v2, OptionIDs: []int{2}}, // admitted: the invalid one before it did not count
	}
	keys, got := pollstack.Admit(ballots, polls, now)
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
	if keys[0] != "v1" || keys[5] != "v2" || keys[1] != "" {
		t.Errorf("keys = %q, want v1 and v2 for the admitted ballots only", keys)
	}
}

// Each duplicate check keys a ballot by its own part of the voter, and a
// second ballot under the same key in one batch gets the check's error.
func TestAdmitDuplicateChecks(t *testing.T) {
	options := []pollstack.Option{{ID: 1}, {ID: 2}}
	code := pollstack.NewCodeBatch(1).Codes()[0]
	alice := pollstack.Voter{Browser: "alice", Address: addressKey("addr-1"), Code: pollstack.CodeKey(code)}
	bob := pollstack.Voter{Browser: "bob", Address: addressKey("addr-1")} // same address, no code
	for _, tt := range []struct {
		check      pollstack.DuplicateCheck
		wantKey    string
		bobAgain   error // bob's ballot after alice's
		aliceAgain error // alice's second ballot
	}{
		{pollstack.CheckBrowser, "alice", nil, pollstack.ErrAlreadyVoted},
		{pollstack.CheckAddress, "addr-1", pollstack.ErrAlreadyVoted, pollstack.ErrAlreadyVoted},
		{pollstack.CheckCode, pollstack.CodeKey(code), pollstack.ErrInvalidCode, pollstack.ErrCodeUsed},
		{pollstack.CheckNone, "", nil, nil},
	} {
		t.Run(string(tt.check), func(t *testing.T) {
			p := &pollstack.Poll{ID: "p", Options: options, DuplicateCheck: tt.check}
			ballots := []pollstack.Ballot{{PollID: "p", Voter: alice, OptionIDs: []int{1}}, {PollID: "p", Voter: bob, OptionIDs: []int{1}}, {PollID: "p", Voter: alice, OptionIDs: []int{2}}}
			keys, outcomes := pollstack.Admit(ballots, map[string]*pollstack.Poll{"p": p}, now)
			if outcomes[0] != nil || (tt.wantKey != "" && keys[0] != tt.wantKey) || keys[0] == "" {
				t.Errorf("first ballot: key %q, %v; want key %q", keys[0], outcomes[0], tt.wantKey)
			}
			if !errors.Is(outcomes[1], tt.bobAgain) || (tt.bobAgain == nil && outcomes[1] != nil) {
				t.Errorf("same address, no code: %v, want %v", outcomes[1], tt.bobAgain)
			}
			if !errors.Is(outcomes[2], tt.aliceAgain) || (tt.aliceAgain == nil && outcomes[2] != nil) {
				t.Errorf("second ballot of the same voter: %v, want %v", outcomes[2], tt.aliceAgain)
			}
			if tt.check == pollstack.CheckNone && (keys[0] == keys[2] || keys[0] == keys[1]) {
				t.Errorf("kiosk ballots share a key: %q", keys)
			}
		})
	}
}

func TestVoterCodes(t *testing.T) {
	batch := pollstack.NewCodeBatch(500)
	codes, keys := batch.Codes(), batch.Keys()
	if len(codes) != 500 || len(keys) != 500 {
		t.Fatalf("%d codes and %d keys, want 500", len(codes), len(keys))
	}
	if again := (pollstack.CodeBatch{Seed: batch.Seed, Count: 500}).Codes(); !reflect.DeepEqual(again, codes) {
		t.Error("the same seed derives other codes")
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`).MatchString(c) {
			t.Fatalf("code %q: want XXXX-XXXX-XXXX-XXXX in Crockford base32", c)
		}
		if seen[c] || keys[i] == "" || strings.Contains(keys[i], c) {
			t.Fatalf("code %q repeated, or its key %q empty or in clear", c, keys[i])
		}
		seen[c] = true
	}
	c := codes[0]
	typed := strings.ToLower(strings.ReplaceAll(c, "-", " "))
	typed = strings.NewReplacer("0", "o", "1", "l").Replace(typed)
	if pollstack.CodeKey(typed) != keys[0] {
		t.Errorf("code typed as %q does not match %q", typed, c)
	}
	for _, bad := range []string{"", "ABCD", c + "X", strings.Repeat("A", 100), "UUUU-UUUU-UUUU-UUUU", "AAAA-AAAA-AAAA-AAA\x00"} {
		if pollstack.CodeKey(bad) != "" {
			t.Errorf("CodeKey(%q) is not empty", bad)
		}
	}
}

func TestValidPollID(t *testing.T) {
	for id, want := range map[string]bool{
		pollstack.RandomToken(12): true,
		"ShM2xqfINQOpUIBK":        true,
		"nope":                    false,
		"ShM2xqfINQOpUIBK1":       false,
		"ShM2xqfINQOpUIB/":        false,
		"ShM2xqfINQOpUIB%":        false,
		strings.Repeat("a", 8000): false,
	} {
		if got := pollstack.ValidPollID(id); got != want {
			t.Errorf("ValidPollID(%.20q) = %v, want %v", id, got, want)
		}
	}
}

func TestTallyAndPollIDs(t *testing.T) {
	ballots := []pollstack.Ballot{
		{PollID: "a", OptionIDs: []int{1, 2}},
		{PollID: "b", OptionIDs: []int{1}},
		{PollID: "a", OptionIDs: []int{2}},
		{PollID: "a", OptionIDs: []int{1}},               // not stored
		{PollID: "b", OptionIDs: []int{2}, Change: true}, // from 1 to 2
		{PollID: "a", OptionIDs: []int{3}, Change: true}, // not stored
	}
	got := pollstack.Tally(ballots, []bool{true, true, true, false, true, false}, [][]int{4: {1}})
	want := map[string]pollstack.Results{
		"a": {Total: 2, Counts: map[int]int{1: 1, 2: 2}},
		"b": {Total: 1, Counts: map[int]int{1: 0, 2: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tally = %v, want %v", got, want)
	}
	if got, want := pollstack.PollIDs(ballots), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PollIDs = %v, want %v", got, want)
	}
}

// A change needs a poll that allows it; a voter's vote and changes in one
// batch are all admitted, each repeat in a later round, in batch order; a
// second vote is still a duplicate.
func TestAdmitChangesAndRounds(t *testing.T) {
	options := []pollstack.Option{{ID: 1}, {ID: 2}, {ID: 3}}
	fixed := &pollstack.Poll{ID: "fixed", Options: options, DuplicateCheck: pollstack.CheckBrowser}
	open := &pollstack.Poll{ID: "open", Options: options, DuplicateCheck: pollstack.CheckBrowser, AllowChanges: true}
	closed := &pollstack.Poll{ID: "closed", Options: options, DuplicateCheck: pollstack.CheckBrowser, AllowChanges: true, ClosedAt: &now}
	polls := map[string]*pollstack.Poll{"fixed": fixed, "open": open, "closed": closed}
	v1, v2 := pollstack.Voter{Browser: "v1"}, pollstack.Voter{Browser: "v2"}
	ballots := []pollstack.Ballot{
		0: {PollID: "open", Voter: v1, OptionIDs: []int{1}},
		1: {PollID: "open", Voter: v1, OptionIDs: []int{2}, Change: true},
		2: {PollID: "open", Voter: v2, OptionIDs: []int{3}, Change: true},
		3: {PollID: "open", Voter: v1, OptionIDs: []int{3}, Change: true},
		4: {PollID: "open", Voter: v1, OptionIDs: []int{1}}, // a second vote
		5: {PollID: "fixed", Voter: v1, OptionIDs: []int{1}, Change: true},
		6: {PollID: "closed", Voter: v1, OptionIDs: []int{1}, Change: true},
		7: {PollID: "open", Voter: v2, OptionIDs: []int{9}, Change: true},
		8: {PollID: "open", Voter: v2, OptionIDs: []int{1}},
	}
	keys, outcomes := pollstack.Admit(ballots, polls, now)
	want := map[int]error{4: pollstack.ErrAlreadyVoted, 5: pollstack.ErrNoChanges, 6: pollstack.ErrPollClosed}
	for i := range ballots {
		switch {
		case i == 7:
			if e := pollstack.ErrorOf(outcomes[i]); e == nil || e.Code != "option_unknown" {
				t.Errorf("ballot %d: %v, want option_unknown", i, outcomes[i])
			}
		case want[i] == nil && outcomes[i] != nil, !errors.Is(outcomes[i], want[i]):
			t.Errorf("ballot %d: %v, want %v", i, outcomes[i], want[i])
		}
	}
	rounds := pollstack.Rounds(ballots, keys, outcomes)
	if got, want := fmt.Sprint(rounds), "[[0 2] [1 8] [3]]"; got != want {
		t.Errorf("rounds = %s, want %s: each voter once per round, in batch order", got, want)
	}
}

// addressKey is a voter's Address whose key is already known.
func addressKey(key string) func() string { return func() string { return key } }

// TestVoterKeyHashesTheAddressOnlyForIPPolls: the address's keyed hash is
// the dearest part of a voter's identity, so only an "ip" poll makes it.
func TestVoterKeyHashesTheAddressOnlyForIPPolls(t *testing.T) {
	for _, check := range pollstack.DuplicateChecks {
		made := 0
		v := pollstack.Voter{Browser: "b", Code: "c", Address: func() string { made++; return "a" }}
		key := (&pollstack.Poll{DuplicateCheck: check}).VoterKey(v)
		want := map[pollstack.DuplicateCheck]int{pollstack.CheckAddress: 1}[check]
		if made != want {
			t.Errorf("%s poll: the address was hashed %d times, want %d", check, made, want)
		}
		if check == pollstack.CheckAddress && key != "a" {
			t.Errorf("ip poll: key %q, want the address's", key)
		}
	}
	if key := (&pollstack.Poll{DuplicateCheck: pollstack.CheckAddress}).VoterKey(pollstack.Voter{Browser: "b"}); key != "" {
		t.Errorf("ip poll without an address: key %q, want none", key)
	}
}
