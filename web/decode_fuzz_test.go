package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pollstack/pollstack"
)

// FuzzDecodeCreatePoll feeds arbitrary bodies through the decoding and
// validation of a create request. Whatever the input, the outcome is either
// a poll that obeys every rule or a 400 error that a person can read; never
// a panic or an internal error. The seeds run in every `go test`.
func FuzzDecodeCreatePoll(f *testing.F) {
	for _, seed := range []string{
		`{"question": "Tea or coffee?", "options": ["Tea", "Coffee"]}`,
		`{"question": "Q", "options": ["A", "B", "C"], "multiple": true, "closes_at": "2099-01-01T00:00:00Z", "results": "after_vote"}`,
		`{"question": " ", "options": ["A", "a "]}`,
		`{"question": "Q", "options": ["A", ""], "results": "never"}`,
		`{"question": "Q", "options": "A"}`,
		`{"question": 1}`,
		`{"question": "Q", "options": ["A", "B"], "x": 1}`,
		`{"question": "Q", "options": ["A", "B"]} trailing`,
		`{"question": "\u0000<script>", "options": ["\ud800", "B"]}`,
		`{"question": "Q", "Options": ["A", "B"]}`,
		`{"question": "Q", "options": ["A", "B"], "question": "R"}`,
		"{\"question\": \"Caf\xe9\", \"options\": [\"A\", \"B\"]}",
		`{"question": "\ufeff\u200b", "options": ["Te\u200ba", "Tea", "Cafe\u0301"]}`,
		`{"question": "Q\r\nR", "options": ["\ud83d\ude00", "B"], "duplicate_check": "code", "voter_codes": 2}`,
		`[]`, `null`, `{`, ``, `"str"`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, token, err := decodeCreatePoll(body, now)
		if err != nil {
			e, status := publicError(err)
			if status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("error %v: status %d, want 400 with a message", err, status)
			}
			if p != nil || token != "" {
				t.Fatal("an error came with a poll")
			}
			return
		}
		checkPollRules(t, p)
		if !pollstack.TokenMatches(token, p.AdminTokenHash) {
			t.Fatal("the admin token does not match its hash")
		}
	})
}

func checkPollRules(t *testing.T, p *pollstack.Poll) {
	t.Helper()
	q := p.Question
	if q == "" || q != strings.TrimSpace(q) || utf8.RuneCountInString(q) > pollstack.MaxQuestionLen || !cleanText(q, true) {
		t.Fatalf("question %q breaks the rules", q)
	}
	if n := len(p.Options); n < pollstack.MinOptions || n > pollstack.MaxOptions {
		t.Fatalf("%d options", n)
	}
	seen := map[string]bool{}
	for i, o := range p.Options {
		key := strings.ToLower(o.Label)
		if o.ID != i+1 || o.Label == "" || o.Label != strings.TrimSpace(o.Label) || utf8.RuneCountInString(o.Label) > pollstack.MaxOptionLen || seen[key] || !cleanText(o.Label, false) {
			t.Fatalf("option %d %q breaks the rules", o.ID, o.Label)
		}
		seen[key] = true
	}
	if p.ClosesAt != nil && !p.ClosesAt.After(p.Created) {
		t.Fatal("closes_at not in the future")
	}
	if len(p.ID) < 16 {
		t.Fatalf("poll id %q shorter than 96 bits", p.ID)
	}
}

// cleanText reports whether stored text is valid UTF-8 in NFC, without
// control characters (a line break only where multiline).
func cleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && r == '\n') {
			return false
		}
	}
	return true
}
