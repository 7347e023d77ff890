package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The form takes a description (the browser sends line breaks as CRLF) and
// choice limits; the poll page shows both, and the vote form enforces them.
func TestPageDescriptionAndChoiceLimits(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Lunch?", "Soup", "Salad", "Pasta", "Curry")
	v.Set("choice", "multiple")
	// 1,003 characters as sent, 1,000 once each CRLF is one line break: at the limit.
	v.Set("description", "Friday, 12:30.\r\n<b>Bring</b> cash.\r\n\r\n"+strings.Repeat("x", 965))
	v.Set("min_choices", "2")
	v.Set("max_choices", "3")
	id, created := c.createForm(v)
	mustContain(t, created, `<p class="description" dir="auto">Friday, 12:30.`+"\n"+`&lt;b&gt;Bring&lt;/b&gt; cash.`+"\n\n")
	poll := c.get("/p/" + id)
	mustContain(t, poll, `<p class="description" dir="auto">Friday, 12:30.`, "<legend>Choose 2 to 3 options</legend>", `type="checkbox"`)
	bad := c.form("/p/"+id+"/vote", url.Values{"option": {"1", "2", "3", "4"}})
	if bad.Status != http.StatusBadRequest {
		t.Errorf("four options: status %d, want 400", bad.Status)
	}
	mustContain(t, bad, `<p class="error" id="vote-error" role="alert">Choose at most 3 options.</p>`, `id="option-4" name="option" value="4" checked`)
	mustContain(t, c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}), "Choose at least 2 options.")
	loc, _ := c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1", "4"}}))
	if loc != "/p/"+id+"/results" {
		t.Errorf("a ballot within the limits went to %q", loc)
	}
}

// A broken rule of the new fields shows next to its field with the API's
// words, and the form keeps what was typed.
func TestPageFormErrorsOfDetails(t *testing.T) {
	_, c := pageServer(t)
	for _, tc := range []struct {
		name, field, message string
		edit                 func(url.Values)
	}{
		{"description too long", "description", "The description can be at most 1000 characters.", func(v url.Values) { v.Set("description", strings.Repeat("d", 1001)) }},
		{"limits on one option", "max_choices", "Choice limits apply only when voters may choose several options.", func(v url.Values) { v.Set("max_choices", "2") }},
		{"minimum above the options", "min_choices", "The fewest choices must be between 1 and the number of options (2).", func(v url.Values) {
			v.Set("choice", "multiple")
			v.Set("min_choices", "5")
		}},
		{"maximum not a number", "max_choices", "The most choices must be between 1 and the number of options (2).", func(v url.Values) {
			v.Set("choice", "multiple")
			v.Set("max_choices", "lots")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := pollForm("Tea?", "Tea", "Coffee")
			tc.edit(v)
			res := c.form("/", v)
			if res.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.Status)
			}
			mustContain(t, res, `<p class="error" id="`+tc.field+`-error">`+html.EscapeString(tc.message)+`</p>`, `aria-invalid="true" autofocus`)
			if typed := v.Get(tc.field); typed != "" {
				mustContain(t, res, html.EscapeString(typed))
			}
		})
	}
}

// Present mode: the question, a large QR code of the share link, the short
// link and the live bars; the share link and QR code are on the poll and
// results pages too.
func TestPagePresentAndShare(t *testing.T) {
	_, c := pageServer(t)
	id, _ := c.createForm(pollForm("Which talk next?", "Rust", "Go"))
	c.form("/p/"+id+"/vote", url.Values{"option": {"2"}})
	host := strings.TrimPrefix(c.base, "http://")
	present := c.get("/p/" + id + "/present")
	if present.Status != http.StatusOK {
		t.Fatalf("present: status %d", present.Status)
	}
	code := c.do("GET", "/api/v1/polls/"+id, "", "").json(t)["join_code"].(string)
	mustContain(t, present, `<body class="page-present">`, `<h1 dir="auto">Which talk next?</h1>`, `<svg class="qr"`,
		`Vote at <strong class="short-link"><span>`+host+`</span><wbr><span>/j/`+code+`</span></strong>`, `data-events="/p/`+id+`/events"`, `<span data-total>1</span>`)
	if strings.Contains(string(present.Body), `http-equiv="refresh"`) {
		t.Error("present mode with visible results reloads itself")
	}
	for _, path := range []string{"/p/" + id, "/p/" + id + "/results"} {
		mustContain(t, c.get(path), `<summary>Share this poll</summary>`, `id="share-link" type="text" value="`+c.base+`/p/`+id+`"`,
			`<svg class="qr"`, `href="/p/`+id+`/present"`)
	}
	mustContain(t, c.get("/p/"+id+"/results"), `href="/api/v1/polls/`+id+`/results.csv"`)

	// A room is everyone: an after_vote poll shows no bars until it closes,
	// and the page reloads itself to show them then.
	v := pollForm("Secret?", "Yes", "No")
	v.Set("results", "after_vote")
	hidden, _ := c.createForm(v)
	c.form("/p/"+hidden+"/vote", url.Values{"option": {"1"}}) // the presenter voted; the room did not
	res := c.get("/p/" + hidden + "/present")
	mustContain(t, res, `<meta http-equiv="refresh" content="30">`, "The results show when the creator closes the poll.", `<svg class="qr"`)
	if strings.Contains(string(res.Body), "data-events") || strings.Contains(string(res.Body), "data-votes") {
		t.Error("present mode shows hidden results to the room")
	}
	if res := c.get("/p/nope/present"); res.Status != http.StatusNotFound {
		t.Errorf("present mode of an unknown poll: status %d", res.Status)
	}
}

// Times are written in UTC, in a <time> element that app.js shows in the
// viewer's zone; the form says the closing time is in UTC until it knows.
func TestPageTimesInUTCWithoutJavaScript(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("When?", "Now", "Later")
	v.Set("closes_at", "2099-07-02T10:00")
	v.Set("tz", "120")
	id, _ := c.createForm(v)
	mustContain(t, c.get("/p/"+id), `Closes on <time datetime="2099-07-02T08:00:00Z" data-local>2 July 2099, 08:00 UTC</time>.`)
	mustContain(t, c.get("/"), "The time is in UTC (Coordinated Universal Time).")
}
