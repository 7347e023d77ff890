package pollstack_test

import (
	"testing"

	"github.com/pollstack/pollstack"
)

// What a person types is valid UTF-8 without control characters, stored in
// NFC, and not invisible; options that look the same are duplicates.
func TestTextHygiene(t *testing.T) {
	for _, tt := range []struct {
		name        string
		question    string
		options     []string
		field, code string
		wantQ       string
		wantOptions []string
	}{
		{name: "NUL in the question", question: "Tea\x00?", field: "question", code: "text_control_character"},
		{name: "NUL in an option", question: "Q", options: []string{"A\x00", "B"}, field: "options", code: "text_control_character"},
		{name: "escape in the question", question: "Q\x1b[31m", field: "question", code: "text_control_character"},
		{name: "C1 control", question: "Q\u0085", field: "question", code: "text_control_character"},
		{name: "tab", question: "Q", options: []string{"A\tB", "C"}, field: "options", code: "text_control_character"},
		{name: "line break in an option", question: "Q", options: []string{"A\nB", "C"}, field: "options", code: "text_control_character"},
		{name: "invalid UTF-8 in the question", question: "Caf\xe9?", field: "question", code: "text_invalid_utf8"},
		{name: "invalid UTF-8 in an option", question: "Q", options: []string{"A", "\xff\xfe"}, field: "options", code: "text_invalid_utf8"},
		{name: "BOM and zero-width space", question: "\ufeff\u200b", field: "question", code: "question_required"},
		{name: "bidi controls and spaces", question: "\u202e \u2066\u2069\u200f", field: "question", code: "question_required"},
		{name: "invisible option", question: "Q", options: []string{"A", "\u200b\u2060"}, field: "options", code: "option_empty"},
		{name: "Hangul filler option", question: "Q", options: []string{"A", "\u3164"}, field: "options", code: "option_empty"},
		{name: "same option but for a zero-width space", question: "Q", options: []string{"Tea", "Te\u200ba"}, field: "options", code: "option_duplicate"},
		{name: "same option in another normal form", question: "Q", options: []string{"Caf\u00e9", "Cafe\u0301"}, field: "options", code: "option_duplicate"},
		{name: "line breaks in the question", question: "Line one\r\nLine two\rthree", options: []string{"A", "B"}, wantQ: "Line one\nLine two\nthree", wantOptions: []string{"A", "B"}},
		{name: "NFC", question: "Cafe\u0301?", options: []string{"Cafe\u0301", "B"}, wantQ: "Caf\u00e9?", wantOptions: []string{"Caf\u00e9", "B"}},
		{name: "invisible edges trimmed, joiners inside kept", question: "\u200b Q \ufeff", options: []string{"👩\u200d💻", "B"}, wantQ: "Q", wantOptions: []string{"👩\u200d💻", "B"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			options := tt.options
			if options == nil {
				options = []string{"A", "B"}
			}
			p, _, err := pollstack.PollDraft{Question: tt.question, Options: options}.NewPoll(now)
			if tt.code != "" {
				if e := pollstack.ErrorOf(err); e == nil || e.Field != tt.field || e.Code != tt.code || e.Kind != pollstack.KindInvalid {
					t.Fatalf("NewPoll: %v; want %s on %s", err, tt.code, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Question != tt.wantQ {
				t.Errorf("question %q, want %q", p.Question, tt.wantQ)
			}
			for i, want := range tt.wantOptions {
				if p.Options[i].Label != want {
					t.Errorf("option %d %q, want %q", i, p.Options[i].Label, want)
				}
			}
		})
	}
}
