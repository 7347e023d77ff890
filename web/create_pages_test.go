package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pollstack/pollstack"
)

// A broken rule shows next to its field with the API's words, and the form
// keeps what was typed.
func TestPageFormErrors(t *testing.T) {
	_, c := pageServer(t)
	long := strings.Repeat("q", pollstack.MaxQuestionLen+1)
	for _, tc := range []struct {
		name, field string
		form        url.Values
		api         string // the same poll as an API request
	}{
		{"no question", "question", pollForm("  ", "Tea", "Coffee"), `{"question": "  ", "options": ["Tea", "Coffee"]}`},
		{"long question", "question", pollForm(long, "Tea", "Coffee"), `{"question": "` + long + `", "options": ["Tea", "Coffee"]}`},
		{"one option", "options", pollForm("Tea?", "Tea", "", "", ""), `{"question": "Tea?", "options": ["Tea"]}`},
		{"same option twice", "options", pollForm("Tea?", "Tea", " tea ", "", ""), `{"question": "Tea?", "options": ["Tea", " tea "]}`},
		{"NUL in the question", "question", pollForm("Tea\x00?", "Tea", "Coffee"), `{"question": "Tea\u0000?", "options": ["Tea", "Coffee"]}`},
		{"control character in an option", "options", pollForm("Tea?", "Tea\x1b", "Coffee"), `{"question": "Tea?", "options": ["Tea\u001b", "Coffee"]}`},
		{"invisible question", "question", pollForm("\ufeff\u200b", "Tea", "Coffee"), `{"question": "\ufeff\u200b", "options": ["Tea", "Coffee"]}`},
		{"same option but for a zero-width space", "options", pollForm("Tea?", "Tea", "Te\u200ba"), `{"question": "Tea?", "options": ["Tea", "Te\u200ba"]}`},
		{"closing time in the past", "closes_at", func() url.Values {
			v := pollForm("Tea?", "Tea", "Coffee")
			v.Set("closes_at", "2001-02-03T04:05")
			return v
		}(), `{"question": "Tea?", "options": ["Tea", "Coffee"], "closes_at": "2001-02-03T04:05:00Z"}`},
		{"unknown visibility", "results", func() url.Values {
			v := pollForm("Tea?", "Tea", "Coffee")
			v.Set("results", "never")
			return v
		}(), `{"question": "Tea?", "options": ["Tea", "Coffee"], "results": "never"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := c.postJSON("/api/v1/polls", tc.api)
			code, field := api.errorCode(t)
			if field != tc.field {
				t.Fatalf("API error %s names field %q, want %q", code, field, tc.field)
			}
			message := api.json(t)["error"].(map[string]any)["message"].(string)
			res := c.form("/", tc.form)
			if res.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.Status)
			}
			// The page shows the API's words; a NUL typed is shown as U+FFFD.
			shown := response{Body: []byte(html.UnescapeString(string(res.Body)))}
			mustContain(t, shown, `<p class="error" id="`+tc.field+`-error">`+message+`</p>`)
			for _, typed := range tc.form["option"] {
				if typed != "" {
					mustContain(t, shown, `value="`+strings.ReplaceAll(typed, "\x00", "\uFFFD")+`"`)
				}
			}
			mustContain(t, shown, strings.ReplaceAll(tc.form.Get("question"), "\x00", "\uFFFD")+"</textarea>")
		})
	}
}

// Invalid UTF-8 in a form is refused next to its field, as in the API, and
// the page that shows it back is valid UTF-8; a form in another charset is
// refused whole.
func TestPageFormInvalidUTF8(t *testing.T) {
	_, c := pageServer(t)
	res := c.do("POST", "/", "application/x-www-form-urlencoded", "question=Caf%E9%3F&option=Tea&option=Coffee&choice=single&results=always")
	if res.Status != http.StatusBadRequest || !utf8.Valid(res.Body) {
		t.Errorf("invalid UTF-8: status %d, valid page %v; want 400 and a valid page", res.Status, utf8.Valid(res.Body))
	}
	mustContain(t, res, `<p class="error" id="question-error">The question is not valid UTF-8 text.</p>`)
	res = c.do("POST", "/", "application/x-www-form-urlencoded; charset=iso-8859-1", "question=Caf%E9%3F&option=Tea&option=Coffee")
	if res.Status != http.StatusUnsupportedMediaType {
		t.Errorf("latin-1 form: status %d, want 415", res.Status)
	}
}

func TestPageFormTooLarge(t *testing.T) {
	_, c := pageServer(t)
	res := c.form("/", pollForm(strings.Repeat("x", 70<<10), "Tea", "Coffee"))
	if res.Status != http.StatusRequestEntityTooLarge || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("a 70 KiB form: status %d, %s; want a 413 page", res.Status, res.Header.Get("Content-Type"))
	}
	mustContain(t, res, "<h1>The form is too large</h1>")
}

func TestPageAddOption(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Tea?", "Tea", "Coffee", "", "Water")
	v.Set("add_option", "1")
	res := c.form("/", v)
	if res.Status != http.StatusOK {
		t.Fatalf("add option: status %d", res.Status)
	}
	if n := strings.Count(string(res.Body), `name="option"`); n != 5 {
		t.Errorf("after add option: %d rows, want 5", n)
	}
	mustContain(t, res, `value="Tea"`, `value="Coffee"`, `value="Water"`, "Tea?</textarea>",
		`<input id="option-4" name="option" type="text" value="" autocomplete="off" dir="auto" autofocus>`)
	if n := strings.Count(string(res.Body), "autofocus"); n != 1 {
		t.Errorf("%d autofocus attributes, want 1 (the new row)", n)
	}
}

// The browser's time zone offset (minutes east of UTC, from app.js) turns
// the datetime-local value into the right instant; without it, UTC.
func TestPageClosingTimeZone(t *testing.T) {
	_, c := pageServer(t)
	for tz, want := range map[string]string{"": "2099-01-02T10:00:00Z", "120": "2099-01-02T08:00:00Z", "-330": "2099-01-02T15:30:00Z"} {
		v := pollForm("When?", "Now", "Later")
		v.Set("closes_at", "2099-01-02T10:00")
		v.Set("tz", tz)
		id, _ := c.createForm(v)
		got := c.get("/api/v1/polls/" + id).json(t)["closes_at"]
		if got != want {
			t.Errorf("tz %q: closes_at %v, want %s", tz, got, want)
		}
	}
}
