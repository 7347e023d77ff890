package web_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

// The create form lists every broken rule at once, each next to its field
// and in a list at the top, in words a person uses: no "RFC 3339", and two
// options that differ only in case named as such.
func TestPageCreateFormShowsAllErrors(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("", "Tea", "tea", "")
	v.Set("max_choices", "3") // with one choice per voter
	v.Set("closes_at", "next friday 5pm")
	res := c.form("/", v)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", res.Status)
	}
	messages := []string{
		"Write a question.",
		"Each option must be different: “Tea” and “tea” count as the same option.",
		"Choice limits apply only when voters may choose several options.",
		"Write the closing time as a date and a time, such as 2030-01-02 15:04.",
	}
	for _, m := range messages {
		if n := strings.Count(string(res.Body), html.EscapeString(m)); n != 2 {
			t.Errorf("%q shows %d times, want twice (next to its field and in the list)", m, n)
		}
	}
	mustContain(t, res, "4 things to fix", `href="#question"`, `href="#option-0"`, `href="#max_choices"`, `href="#closes_at"`,
		`value="Tea"`, `value="tea"`, `value="next friday 5pm"`)
	if strings.Contains(string(res.Body), "RFC 3339") {
		t.Error("the form speaks of RFC 3339")
	}

	// Typed without a date picker, with a space: understood.
	v = pollForm("Lunch?", "Soup", "Salad")
	v.Set("closes_at", "2099-01-02 15:04")
	c.createForm(v)

	// One mistake: no list, the message next to its field.
	one := c.form("/", pollForm("", "Soup", "Salad"))
	if strings.Contains(string(one.Body), "things to fix") || !strings.Contains(string(one.Body), `id="question-error">Write a question.`) {
		t.Errorf("one mistake:\n%s", one.Body)
	}
}
