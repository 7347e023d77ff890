//go:build integration

package attack

import (
	"net/url"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack: text a person could not type, on both stores. On the code before
// the fix a NUL was a 500 (PostgreSQL's SQLSTATE 22021, SQLite's CHECK),
// invalid UTF-8 was stored, a question of a BOM and a zero-width space was
// accepted, and JSON keys matched in any case and could repeat. Now each is
// a 400 naming its field, in the API and the form alike, and nothing is
// stored.
func TestHostileTextIsRefusedOnBothStores(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := servertest.Start(t, append(store, "--create-rate-limit", "0")...) // every case is a creation
			var statuses tally
			for _, tt := range []struct {
				name, contentType, body, field string
			}{
				{"NUL in the question", "application/json", `{"question": "Tea\u0000?", "options": ["A", "B"]}`, "question"},
				{"NUL in an option", "application/json", `{"question": "Q", "options": ["A\u0000", "B"]}`, "options"},
				{"terminal escape in an option", "application/json", `{"question": "Q", "options": ["\u001b[2JA", "B"]}`, "options"},
				{"C1 control character", "application/json", `{"question": "Q\u0085", "options": ["A", "B"]}`, "question"},
				{"invalid UTF-8 in the question", "application/json", "{\"question\": \"Caf\xe9?\", \"options\": [\"A\", \"B\"]}", "question"},
				{"escaped lone surrogate", "application/json", `{"question": "Q", "options": ["\ud800", "B"]}`, "options"},
				{"BOM and zero-width space", "application/json", `{"question": "\ufeff\u200b", "options": ["A", "B"]}`, "question"},
				{"bidi controls only", "application/json", `{"question": "Q", "options": ["A", "\u202e\u2066\u2069"]}`, "options"},
				{"key in another case", "application/json", `{"Question": "Q", "options": ["A", "B"]}`, "Question"},
				{"duplicate key", "application/json", `{"question": "Q", "options": ["A", "B"], "question": "R"}`, "question"},
				{"NUL in the form", form, url.Values{"question": {"Tea\x00?"}, "option": {"A", "B"}}.Encode(), "question"},
				{"invalid UTF-8 in the form", form, "question=Caf%E9%3F&option=A&option=B", "question"},
				{"control character in a form option", form, url.Values{"question": {"Q"}, "option": {"A\x07", "B"}}.Encode(), "options"},
			} {
				path := "/api/v1/polls"
				if tt.contentType == form {
					path = "/"
				}
				a := send(t, "POST", s.URL()+path, tt.contentType, tt.body)
				statuses.add(a)
				if code, field := a.code(); a.status != 400 || (path != "/" && field != tt.field) {
					t.Errorf("%s: %d %s field %q, want 400 naming %q", tt.name, a.status, code, field, tt.field)
				}
				if path == "/" && !contains(a.body, `id="`+tt.field+`-error"`) {
					t.Errorf("%s: the form does not show the error next to %s: %d", tt.name, tt.field, a.status)
				}
			}
			polls := countRows(t, name, store, "polls")
			figures.Print(t, "13 kinds of hostile text, in the API and the form: %v; polls stored: %d", statuses.n, polls)
			if polls != 0 {
				t.Errorf("%d polls stored from refused requests", polls)
			}
		})
	}
}
