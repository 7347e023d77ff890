package pollstack_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func TestValidateRules(t *testing.T) {
	ok := pollstack.PollDraft{Question: "Tea or coffee?", Options: []string{"Tea", "Coffee"}}
	for _, tt := range []struct {
		name        string
		edit        func(d *pollstack.PollDraft)
		field, code string
	}{
		{"valid", func(d *pollstack.PollDraft) {}, "", ""},
		{"blank question", func(d *pollstack.PollDraft) { d.Question = "  \n " }, "question", "question_required"},
		{"question at the limit", func(d *pollstack.PollDraft) { d.Question = strings.Repeat("é", pollstack.MaxQuestionLen) }, "", ""},
		{"question too long", func(d *pollstack.PollDraft) { d.Question = strings.Repeat("é", pollstack.MaxQuestionLen+1) }, "question", "question_too_long"},
		{"one option", func(d *pollstack.PollDraft) { d.Options = []string{"Tea"} }, "options", "options_too_few"},
		{"too many options", func(d *pollstack.PollDraft) {
			d.Options = nil
			for i := range pollstack.MaxOptions + 1 {
				d.Options = append(d.Options, strings.Repeat("x", i+1))
			}
		}, "options", "options_too_many"},
		{"empty option", func(d *pollstack.PollDraft) { d.Options = []string{"Tea", " "} }, "options", "option_empty"},
		{"option too long", func(d *pollstack.PollDraft) {
			d.Options = []string{"Tea", strings.Repeat("x", pollstack.MaxOptionLen+1)}
		}, "options", "option_too_long"},
		{"duplicate option, other case", func(d *pollstack.PollDraft) { d.Options = []string{"Tea", " tea "} }, "options", "option_duplicate"},
		{"unknown visibility", func(d *pollstack.PollDraft) { d.Visibility = "sometimes" }, "results", "results_invalid"},
		{"closing in the past", func(d *pollstack.PollDraft) { d.ClosesAt = ptr(now.Add(-time.Minute)) }, "closes_at", "closes_at_past"},
		{"closing now", func(d *pollstack.PollDraft) { d.ClosesAt = ptr(now) }, "closes_at", "closes_at_past"},
		{"address check", func(d *pollstack.PollDraft) { d.DuplicateCheck = pollstack.CheckAddress }, "", ""},
		{"no check", func(d *pollstack.PollDraft) { d.DuplicateCheck = pollstack.CheckNone }, "", ""},
		{"code check", func(d *pollstack.PollDraft) { d.DuplicateCheck, d.VoterCodes = pollstack.CheckCode, 3 }, "", ""},
		{"unknown check", func(d *pollstack.PollDraft) { d.DuplicateCheck = "cookie" }, "duplicate_check", "duplicate_check_invalid"},
		{"code check without codes", func(d *pollstack.PollDraft) { d.DuplicateCheck = pollstack.CheckCode }, "voter_codes", "voter_codes_count"},
		{"too many codes", func(d *pollstack.PollDraft) {
			d.DuplicateCheck, d.VoterCodes = pollstack.CheckCode, pollstack.MaxVoterCodes+1
		}, "voter_codes", "voter_codes_count"},
		{"codes without the code check", func(d *pollstack.PollDraft) { d.VoterCodes = 5 }, "voter_codes", "voter_codes_unexpected"},
		{"after vote on a kiosk", func(d *pollstack.PollDraft) {
			d.DuplicateCheck, d.Visibility = pollstack.CheckNone, pollstack.ResultsAfterVote
		}, "results", "results_after_vote_unknown"},
		{"after vote with codes", func(d *pollstack.PollDraft) {
			d.DuplicateCheck, d.VoterCodes, d.Visibility = pollstack.CheckCode, 2, pollstack.ResultsAfterVote
		}, "results", "results_after_vote_unknown"},
		{"description at the limit", func(d *pollstack.PollDraft) { d.Description = strings.Repeat("é", pollstack.MaxDescriptionLen) }, "", ""},
		{"description too long", func(d *pollstack.PollDraft) { d.Description = strings.Repeat("é", pollstack.MaxDescriptionLen+1) }, "description", "description_too_long"},
		{"description at the limit with CRLF breaks", func(d *pollstack.PollDraft) {
			d.Description = strings.Repeat("abcd\r\n", pollstack.MaxDescriptionLen/5)
		}, "", ""},
		{"changes on a browser poll", func(d *pollstack.PollDraft) { d.AllowChanges = true }, "", ""},
		{"changes with codes", func(d *pollstack.PollDraft) {
			d.AllowChanges, d.DuplicateCheck, d.VoterCodes = true, pollstack.CheckCode, 2
		}, "allow_changes", "allow_changes_code"},
		{"changes on a kiosk", func(d *pollstack.PollDraft) { d.AllowChanges, d.DuplicateCheck = true, pollstack.CheckNone }, "allow_changes", "allow_changes_kiosk"},
		{"description with a NUL", func(d *pollstack.PollDraft) { d.Description = "Lunch\x00" }, "description", "text_control_character"},
		{"description of invalid UTF-8", func(d *pollstack.PollDraft) { d.Description = "Caf\xe9" }, "description", "text_invalid_utf8"},
		{"limits on a single choice poll", func(d *pollstack.PollDraft) { d.MaxChoices = 2 }, "max_choices", "choices_single"},
		{"minimum on a single choice poll", func(d *pollstack.PollDraft) { d.MinChoices = 2 }, "min_choices", "choices_single"},
		{"limits of one on a single choice poll", func(d *pollstack.PollDraft) { d.MinChoices, d.MaxChoices = 1, 1 }, "", ""},
		{"limits within the options", func(d *pollstack.PollDraft) { d.Multiple, d.MinChoices, d.MaxChoices = true, 2, 2 }, "", ""},
		{"minimum above the options", func(d *pollstack.PollDraft) { d.Multiple, d.MinChoices = true, 3 }, "min_choices", "min_choices_range"},
		{"negative minimum", func(d *pollstack.PollDraft) { d.Multiple, d.MinChoices = true, -1 }, "min_choices", "min_choices_range"},
		{"maximum above the options", func(d *pollstack.PollDraft) { d.Multiple, d.MaxChoices = true, 3 }, "max_choices", "max_choices_range"},
		{"negative maximum", func(d *pollstack.PollDraft) { d.Multiple, d.MaxChoices = true, -2 }, "max_choices", "max_choices_range"},
		{"maximum below minimum", func(d *pollstack.PollDraft) {
			d.Options, d.Multiple, d.MinChoices, d.MaxChoices = []string{"A", "B", "C"}, true, 3, 2
		}, "max_choices", "max_choices_below_min"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := ok
			d.Options = append([]string(nil), ok.Options...)
			tt.edit(&d)
			p, secrets, err := d.NewPoll(now)
			if tt.code == "" {
				if err != nil || p == nil || secrets.AdminToken == "" {
					t.Fatalf("NewPoll = %v, %+v, %v; want a poll and a token", p, secrets, err)
				}
				return
			}
			e := pollstack.ErrorOf(err)
			if e == nil || e.Kind != pollstack.KindInvalid || e.Field != tt.field || e.Code != tt.code {
				t.Fatalf("NewPoll error = %v; want invalid %s on field %q", err, tt.code, tt.field)
			}
		})
	}
}

func TestValidateBuildsThePoll(t *testing.T) {
	closes := time.Date(2030, 1, 2, 15, 4, 5, 123456789, time.FixedZone("CET", 3600))
	p, secrets, err := pollstack.PollDraft{Question: "  Q?  ", Options: []string{" A ", "B"}, Multiple: true, ClosesAt: &closes}.NewPoll(now)
	if err != nil {
		t.Fatal(err)
	}
	token := secrets.AdminToken
	if got, want := p.Question, "Q?"; got != want {
		t.Errorf("question = %q, want %q (trimmed)", got, want)
	}
	if got, want := p.Options, []pollstack.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("options = %v, want %v", got, want)
	}
	if p.Visibility != pollstack.ResultsAlways {
		t.Errorf("visibility = %q, want the default %q", p.Visibility, pollstack.ResultsAlways)
	}
	if got := *p.ClosesAt; got.Location() != time.UTC || got.Nanosecond()%1000 != 0 || !got.Equal(closes.Truncate(time.Microsecond)) {
		t.Errorf("closes at %v: want UTC, to the microsecond", got)
	}
	if p.DuplicateCheck != pollstack.CheckBrowser || secrets.Codes.Count != 0 {
		t.Errorf("duplicate check %q with %d codes: want the default, browser, without codes", p.DuplicateCheck, secrets.Codes.Count)
	}
	if !pollstack.ValidPollID(p.ID) {
		t.Errorf("ValidPollID(%q) = false for a new poll's ID", p.ID)
	}
	if len(p.ID) != 16 || len(token) != 22 {
		t.Errorf("id %q and token %q: want 96 and 128 random bits, base64url", p.ID, token)
	}
	if !pollstack.TokenMatches(token, p.AdminTokenHash) || pollstack.TokenMatches(token+"x", p.AdminTokenHash) {
		t.Error("the stored hash must match the token and nothing else")
	}
}

func TestValidateDescriptionAndChoiceLimits(t *testing.T) {
	p, _, err := pollstack.PollDraft{Question: "Q", Description: "  First line\r\nsecond\rthird\n\n  indented  \n", Options: []string{"A", "B", "C"}, Multiple: true, MinChoices: 2}.NewPoll(now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Description, "First line\nsecond\nthird\n\n  indented"; got != want {
		t.Errorf("description = %q, want %q (line breaks kept as \\n, surrounding space trimmed)", got, want)
	}
	if p.MinChoices != 2 || p.MaxChoices != 3 {
		t.Errorf("limits = %d..%d, want 2..3 (no maximum: every option)", p.MinChoices, p.MaxChoices)
	}
	single, _, err := pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}}.NewPoll(now)
	if err != nil || single.MinChoices != 1 || single.MaxChoices != 1 {
		t.Errorf("single choice limits = %d..%d, %v; want 1..1", single.MinChoices, single.MaxChoices, err)
	}
}

func TestClosedAndResultsVisible(t *testing.T) {
	later := now.Add(time.Hour)
	for _, tt := range []struct {
		name              string
		poll              pollstack.Poll
		closed            bool
		visibleIfVoted    bool
		visibleIfNotVoted bool
	}{
		{"open, always", pollstack.Poll{Visibility: pollstack.ResultsAlways}, false, true, true},
		{"open, after vote", pollstack.Poll{Visibility: pollstack.ResultsAfterVote}, false, true, false},
		{"open, after close", pollstack.Poll{Visibility: pollstack.ResultsAfterClose}, false, false, false},
		{"closed by hand, after close", pollstack.Poll{Visibility: pollstack.ResultsAfterClose, ClosedAt: &now}, true, true, true},
		{"closing time reached, after vote", pollstack.Poll{Visibility: pollstack.ResultsAfterVote, ClosesAt: &now}, true, true, true},
		{"closing time ahead", pollstack.Poll{Visibility: pollstack.ResultsAfterClose, ClosesAt: &later}, false, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.poll.Closed(now); got != tt.closed {
				t.Errorf("Closed = %v, want %v", got, tt.closed)
			}
			if got := tt.poll.ResultsVisible(now, true); got != tt.visibleIfVoted {
				t.Errorf("visible to a voter = %v, want %v", got, tt.visibleIfVoted)
			}
			if got := tt.poll.ResultsVisible(now, false); got != tt.visibleIfNotVoted {
				t.Errorf("visible to a non-voter = %v, want %v", got, tt.visibleIfNotVoted)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("connection refused")
	err := pollstack.Unavailable(cause)
	if !errors.Is(err, pollstack.ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("Unavailable(%v) must be both ErrUnavailable and its cause", cause)
	}
	if pollstack.ErrorOf(cause) != nil {
		t.Error("an internal error must not be shown to callers")
	}
	if got := pollstack.ErrorOf(errors.Join(errors.New("ctx"), pollstack.ErrPollClosed)); got != pollstack.ErrPollClosed {
		t.Errorf("ErrorOf a wrapped domain error = %v", got)
	}
	if got, want := pollstack.Invalid("question", "q", "at most %d", 3).Error(), "q: at most 3 (question)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
