package web_test

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// The pages without JavaScript: plain form posts and redirects, through the
// same client the API tests use, with redirects shown rather than followed.

func pageServer(t *testing.T) (*web.Server, *client) {
	t.Helper()
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, pageClient(t, srv.URL)
}

// pageClient is a browser without JavaScript: a cookie jar, redirects returned.
func pageClient(t *testing.T, base string) *client {
	c := newClient(t, base)
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (c *client) get(path string, header ...string) response {
	c.t.Helper()
	return c.do("GET", path, "", "", header...)
}

func (c *client) form(path string, v url.Values, header ...string) response {
	c.t.Helper()
	return c.do("POST", path, "application/x-www-form-urlencoded", v.Encode(), header...)
}

// follow checks that res is a 303 (post/redirect/get) and gets its target.
func (c *client) follow(res response) (string, response) {
	c.t.Helper()
	if res.Status != http.StatusSeeOther {
		c.t.Fatalf("status %d, want 303 See Other: %s", res.Status, res.Body)
	}
	loc := res.Header.Get("Location")
	return loc, c.get(loc)
}

// createForm creates a poll through the form and returns its id and the
// created page (with the admin link).
func (c *client) createForm(v url.Values) (string, response) {
	c.t.Helper()
	loc, page := c.follow(c.form("/", v))
	m := regexp.MustCompile(`^/p/([A-Za-z0-9_-]+)/created$`).FindStringSubmatch(loc)
	if m == nil || page.Status != http.StatusOK {
		c.t.Fatalf("create: redirected to %q, status %d", loc, page.Status)
	}
	return m[1], page
}

func pollForm(question string, options ...string) url.Values {
	return url.Values{"question": {question}, "option": options, "choice": {"single"}, "results": {"always"}}
}

func mustContain(t *testing.T, res response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(res.Body), w) {
			t.Errorf("page lacks %q:\n%s", w, res.Body)
		}
	}
}

var adminLink = regexp.MustCompile(`value="(https?://[^"]+/admin#([A-Za-z0-9_-]+))"`)

// admin opens the admin page as the admin link does: the token, from the
// link's fragment, posted by the page's form.
func (c *client) admin(id, token string) response {
	c.t.Helper()
	return c.form("/p/"+id+"/admin", url.Values{"token": {token}})
}

func TestPageNoJavaScriptFlow(t *testing.T) {
	_, c := pageServer(t)

	home := c.get("/")
	mustContain(t, home, `<form method="post" action="/"`, `name="add_option"`)
	if n := strings.Count(string(home.Body), `name="option"`); n != 4 {
		t.Errorf("new form has %d option rows, want 4", n)
	}

	// Blank rows are dropped before the domain sees the options.
	id, created := c.createForm(pollForm("Tea or coffee?", "Tea", "", "Coffee", " "))
	mustContain(t, created, "/p/"+id+`"`, `<svg class="qr"`, "Keep this admin link now")
	m := adminLink.FindStringSubmatch(string(created.Body))
	if m == nil {
		t.Fatalf("created page has no admin link:\n%s", created.Body)
	}
	token := m[2]
	if got := created.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("created page Referrer-Policy %q, want no-referrer", got)
	}
	if got := created.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("created page Cache-Control %q, want no-store", got)
	}
	// Shown once to anyone else: a reload in another browser has the share
	// link but no admin link (this browser keeps it: owner_test.go).
	again := pageClient(t, c.base).get("/p/" + id + "/created")
	if adminLink.Match(again.Body) || !strings.Contains(string(again.Body), "does not keep the admin link") {
		t.Errorf("created page in another browser shows the admin link:\n%s", again.Body)
	}

	// Results before any vote: no votes, no invented split.
	results := c.get("/p/" + id + "/results")
	mustContain(t, results, "No votes yet.", `<span data-total>0</span>`)
	if strings.Contains(string(results.Body), "50</span>%") {
		t.Error("empty results show 50%")
	}

	poll := c.get("/p/" + id)
	mustContain(t, poll, "<fieldset", "<legend>Choose one option</legend>", `type="radio" id="option-1" name="option" value="1"`,
		`<label for="option-1" dir="auto">Tea</label>`, `<label for="option-2" dir="auto">Coffee</label>`)

	// Two voters.
	loc, results := c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"2"}}))
	if loc != "/p/"+id+"/results" {
		t.Errorf("vote redirected to %q", loc)
	}
	mustContain(t, results, `<span data-total>1</span> <span data-total-label>vote</span>`)
	other := pageClient(t, c.base)
	_, results = other.follow(other.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	mustContain(t, results, `<span data-total>2</span>`, `<span data-votes>1</span> · <span data-percent>50</span>%`, `data-bar width="50"`)
	if strings.Contains(string(results.Body), "No votes yet.</p>") && !strings.Contains(string(results.Body), "data-empty hidden") {
		t.Error("results with votes say no votes yet")
	}
	mustContain(t, c.get("/p/"+id), "Your vote is counted.")

	// A repeat vote, a wrong option.
	again = c.form("/p/"+id+"/vote", url.Values{"option": {"1"}})
	if again.Status != http.StatusConflict {
		t.Errorf("repeat vote: status %d, want 409", again.Status)
	}
	mustContain(t, again, html.EscapeString(pollstack.ErrAlreadyVoted.Message))
	third := pageClient(t, c.base)
	bad := third.form("/p/"+id+"/vote", url.Values{"option": {"9"}})
	if bad.Status != http.StatusBadRequest {
		t.Errorf("unknown option: status %d, want 400", bad.Status)
	}
	mustContain(t, bad, `id="vote-error"`, "Option 9 is not part of this poll.")
	none := third.form("/p/"+id+"/vote", url.Values{})
	mustContain(t, none, "Choose an option.")

	// The admin page: a wrong token is refused; the right one closes, then deletes.
	wrong := c.admin(id, "nope")
	if wrong.Status != http.StatusForbidden {
		t.Errorf("admin page with a wrong token: status %d, want 403", wrong.Status)
	}
	mustContain(t, wrong, `id="token-error">`+pollstack.ErrTokenWrong.Message)
	missing := c.admin(id, "")
	if missing.Status != http.StatusUnauthorized || missing.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("admin page without a token: status %d (WWW-Authenticate %q), want 401 without a Bearer challenge", missing.Status, missing.Header.Get("WWW-Authenticate"))
	}
	// A token in the query is never read: the page only asks for it.
	if asked := pageClient(t, c.base).get("/p/" + id + "/admin?token=" + token); asked.Status != http.StatusOK || strings.Contains(string(asked.Body), "/close") {
		t.Errorf("admin page with the token in its query: status %d; want the token form, not the admin page", asked.Status)
	} else {
		mustContain(t, asked, `<form method="post" action="/p/`+id+`/admin" data-admin-login>`, `name="token" type="password"`)
	}
	admin := c.admin(id, token)
	if admin.Status != http.StatusOK || admin.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("admin page: status %d, Referrer-Policy %q", admin.Status, admin.Header.Get("Referrer-Policy"))
	}
	mustContain(t, admin, `action="/p/`+id+`/close"`, `action="/p/`+id+`/delete"`, `<span data-total>2</span> <span data-total-label>votes`)
	if res := c.form("/p/"+id+"/close", url.Values{"token": {"nope"}}); res.Status != http.StatusForbidden {
		t.Errorf("close with a wrong token: status %d, want 403", res.Status)
	}
	loc, results = c.follow(c.form("/p/"+id+"/close", url.Values{"token": {token}}))
	if loc != "/p/"+id+"/results" || results.Status != http.StatusOK {
		t.Errorf("close: redirected to %q, status %d", loc, results.Status)
	}
	mustContain(t, results, "final results")
	mustContain(t, third.get("/p/"+id), "This poll is closed.")
	closed := third.form("/p/"+id+"/vote", url.Values{"option": {"1"}})
	if closed.Status != http.StatusConflict {
		t.Errorf("vote on a closed poll: status %d, want 409", closed.Status)
	}
	mustContain(t, closed, html.EscapeString(pollstack.ErrPollClosed.Message))

	confirm := c.form("/p/"+id+"/delete", url.Values{"token": {token}})
	if confirm.Status != http.StatusOK {
		t.Fatalf("delete without confirmation: status %d, want the confirmation page", confirm.Status)
	}
	mustContain(t, confirm, "Delete this poll?", `name="confirm" value="yes"`)
	loc, home = c.follow(c.form("/p/"+id+"/delete", url.Values{"token": {token}, "confirm": {"yes"}}))
	if loc != "/?deleted" {
		t.Errorf("delete redirected to %q", loc)
	}
	mustContain(t, home, "The poll was deleted.")
	for _, path := range []string{"/p/" + id, "/p/" + id + "/results", "/p/" + id + "/created"} {
		res := c.get(path)
		if res.Status != http.StatusNotFound {
			t.Errorf("%s after delete: status %d, want 404", path, res.Status)
		}
		mustContain(t, res, "<h1>Not found</h1>", html.EscapeString(pollstack.ErrPollNotFound.Message))
	}
}

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
		`<input id="option-4" name="option" type="text" value="" autocomplete="off" autofocus>`)
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

// Whatever people type comes back escaped on every page.
func TestPageEscaping(t *testing.T) {
	_, c := pageServer(t)
	question := `<script>alert("q")</script> & "quotes"`
	options := []string{`<img src=x onerror=alert(1)>`, `</label><script>alert(2)</script>`}
	id, created := c.createForm(pollForm(question, options...))
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	c.form("/p/"+id+"/vote", url.Values{"option": {"1"}})
	bad := url.Values{"question": {question}, "option": append(options, options[0])}
	pages := map[string]response{
		"created": created,
		"poll":    pageClient(t, c.base).get("/p/" + id),
		"results": c.get("/p/" + id + "/results"),
		"admin":   c.admin(id, token),
		"voted":   c.get("/p/" + id),
		"form":    c.form("/", bad),
	}
	for name, res := range pages {
		body := string(res.Body)
		for _, raw := range []string{"<script>alert", "<img src=x", "</label><script>"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s page contains %q unescaped", name, raw)
			}
		}
		if name != "created" && name != "form" {
			if !strings.Contains(body, "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;") {
				t.Errorf("%s page lacks the escaped question:\n%s", name, body)
			}
		}
	}
	mustContain(t, pages["poll"], "&lt;img src=x onerror=alert(1)&gt;", "&lt;/label&gt;&lt;script&gt;alert(2)&lt;/script&gt;")
	mustContain(t, pages["results"], "&lt;img src=x onerror=alert(1)&gt;")
	mustContain(t, pages["form"], `value="&lt;img src=x onerror=alert(1)&gt;"`)
}

// Cross-site form posts are refused; same-site ones and clients that send
// no browser headers (curl) pass.
func TestPageCrossSiteRequests(t *testing.T) {
	_, c := pageServer(t)
	id, _ := c.createForm(pollForm("Tea?", "Tea", "Coffee"))
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		res := c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}, h...)
		if res.Status != http.StatusForbidden {
			t.Errorf("vote with %s: status %d, want 403", h[0], res.Status)
		}
		mustContain(t, res, "came from another site")
		if res := c.form("/", pollForm("Evil?", "A", "B"), h...); res.Status != http.StatusForbidden {
			t.Errorf("create with %s: status %d, want 403", h[0], res.Status)
		}
		api := c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`, h...)
		if code, _ := api.errorCode(t); api.Status != http.StatusForbidden || code != "cross_origin" {
			t.Errorf("API vote with %s: status %d code %s, want 403 cross_origin", h[0], api.Status, code)
		}
	}
	if total, _ := c.results(id); total != 0 {
		t.Errorf("cross-site votes were counted: total %d", total)
	}
	res := c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}, "Sec-Fetch-Site", "same-origin")
	if res.Status != http.StatusSeeOther {
		t.Errorf("same-origin vote: status %d, want 303", res.Status)
	}
}

func TestPageHeadersAndAssets(t *testing.T) {
	_, c := pageServer(t)
	home := c.get("/")
	want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if got := home.Header.Get("Content-Security-Policy"); got != want {
		t.Errorf("page CSP %q, want %q", got, want)
	}
	for h, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := home.Header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	if strings.Contains(string(home.Body), "<script>") || strings.Contains(string(home.Body), " style=") {
		t.Error("page has inline script or style")
	}
	assets := regexp.MustCompile(`/static/app\.[0-9a-f]{10}\.(css|js)`).FindAllString(string(home.Body), -1)
	if len(assets) != 2 {
		t.Fatalf("page links %d fingerprinted assets, want 2: %v", len(assets), assets)
	}
	for _, a := range assets {
		res := c.get(a)
		if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: status %d, Cache-Control %q", a, res.Status, res.Header.Get("Cache-Control"))
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") && !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q", a, ct)
		}
	}
	if res := c.get("/static/app.css"); res.Status != http.StatusNotFound {
		t.Errorf("unfingerprinted asset: status %d, want 404", res.Status)
	}
	// Unknown paths: a page outside /api/, JSON inside.
	page := c.get("/no/such/page")
	if page.Status != http.StatusNotFound || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown page: status %d, %s", page.Status, page.Header.Get("Content-Type"))
	}
	mustContain(t, page, "<h1>Not found</h1>")
	if api := c.get("/api/v1/nothing"); api.Status != http.StatusNotFound || !strings.HasPrefix(api.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown API path: status %d, %s", api.Status, api.Header.Get("Content-Type"))
	}
	if res := c.do("DELETE", "/p/abc/results", "", ""); res.Status != http.StatusMethodNotAllowed || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("DELETE on a page: status %d, %s", res.Status, res.Header.Get("Content-Type"))
	}
}

// Results that are hidden say so with 403; after voting they show.
func TestPageHiddenResults(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Secret?", "Yes", "No")
	v.Set("results", "after_vote")
	id, _ := c.createForm(v)
	res := c.get("/p/" + id + "/results")
	if res.Status != http.StatusForbidden {
		t.Errorf("hidden results: status %d, want 403", res.Status)
	}
	// The refusal says when they will show, and does not link to itself.
	mustContain(t, res, html.EscapeString(pollstack.ErrResultsHidden.Message), "The results show once you have voted.", `href="/p/`+id+`"`)
	if strings.Contains(string(res.Body), `href="/p/`+id+`/results"`) {
		t.Error("the refusal links to itself")
	}
	loc, res := c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	if loc != "/p/"+id+"/results" || res.Status != http.StatusOK {
		t.Errorf("after voting: %q status %d", loc, res.Status)
	}

	v.Set("results", "after_close")
	id, _ = c.createForm(v)
	loc, res = c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	if loc != "/p/"+id {
		t.Errorf("vote on an after_close poll redirected to %q, want the poll", loc)
	}
	mustContain(t, res, "Your vote is counted.")
}

// A viewer who may not see the counts yet keeps a stream that tells the
// poll's state, never its counts: "hidden" at once, then "closed" when it
// closes (the results are then visible to all), which ends the stream.
func TestPageLiveStateWhenHidden(t *testing.T) {
	_, c := pageServer(t)
	id, token := c.createPoll(`{"question": "Secret?", "options": ["Yes", "No"], "results": "after_vote"}`)
	hidden := openStream(t, c, id)
	if e := hidden.next(t, 5*time.Second); !retryWithin(e, 1000, 5000) || !strings.Contains(e, "event: hidden") {
		t.Fatalf("first event %q, want a hidden event", e)
	}

	voter := c.another()
	voter.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	seen := openStream(t, voter, id)
	if e := seen.next(t, 5*time.Second); !strings.Contains(e, `"total":1`) {
		t.Fatalf("a voter's first event %q, want the counts", e)
	}
	c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
	if e := seen.next(t, 2*time.Second); !strings.Contains(e, `"total":2`) {
		t.Fatalf("a voter's stream got %q, want the new counts", e)
	}
	time.Sleep(200 * time.Millisecond) // the hidden stream would have had the same event by now
	select {
	case e := <-hidden.events:
		t.Fatalf("a viewer who may not see the counts got %q", e)
	default:
	}

	c.do("POST", "/api/v1/polls/"+id+"/close", "", "", "Authorization", "Bearer "+token)
	if e := hidden.next(t, 2*time.Second); e != "event: closed\ndata: {}" {
		t.Errorf("at closing the hidden stream got %q", e)
	}
	if e := seen.next(t, 2*time.Second); !strings.Contains(e, `"closed":true`) {
		t.Errorf("at closing a voter's stream got %q", e)
	}
	select {
	case e, open := <-hidden.events:
		if open {
			t.Errorf("after closed the hidden stream went on with %q", e)
		}
	case <-time.After(2 * time.Second):
		t.Error("the hidden stream stayed open after closed")
	}
}

// stream is a live-results connection read line by line.
type stream struct {
	events chan string // "event: ...\ndata: ..." blocks, and retry lines
	cancel context.CancelFunc
}

func openStream(t *testing.T, c *client, id string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/p/"+id+"/events", nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan string, 100), cancel: cancel}
	go func() {
		defer close(s.events)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var block []string
		for sc.Scan() {
			if sc.Text() != "" {
				block = append(block, sc.Text())
				continue
			}
			s.events <- strings.Join(block, "\n")
			block = nil
		}
	}()
	t.Cleanup(cancel)
	return s
}

// next returns the next event block, or fails after wait.
func (s *stream) next(t *testing.T, wait time.Duration) string {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
		return ""
	}
}

// countingStore counts reads of results and of polls, to show that viewers
// share them.
type countingStore struct {
	pollstack.Store
	reads, pollReads atomic.Int64
}

func (s *countingStore) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	s.pollReads.Add(1)
	return s.Store.Poll(ctx, id)
}

func (s *countingStore) Results(ctx context.Context, id string) (pollstack.Results, error) {
	s.reads.Add(1)
	return s.Store.Results(ctx, id)
}

func TestPageLiveResults(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		t.Run(name, func(t *testing.T) { testLiveResults(t, stores[name](t)) })
	}
}

func testLiveResults(t *testing.T, inner pollstack.Store) {
	store := &countingStore{Store: inner}
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, time.Hour) // no heartbeat, no safety refresh: every read below answers a change
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createForm(pollForm("Live?", "Yes", "No"))

	// Many viewers; each gets the current counts at once.
	const viewers = 200
	streams := make([]*stream, viewers)
	for i := range streams {
		streams[i] = openStream(t, pageClient(t, srv.URL), id)
		if first := streams[i].next(t, 5*time.Second); !retryWithin(first, 1000, 5000) || !strings.Contains(first, `"total":0`) {
			t.Fatalf("first event %q", first)
		}
	}
	if polls, subs := s.StreamCount(); polls != 1 || subs != viewers {
		t.Errorf("hubs %d, subscribers %d; want 1 and %d", polls, subs, viewers)
	}

	// A vote reaches every viewer within a second, and they share the reads.
	before := store.reads.Load()
	start := time.Now()
	c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	for i, st := range streams {
		e := st.next(t, time.Second)
		if !strings.Contains(e, "event: results") || !strings.Contains(e, `"total":1`) {
			t.Fatalf("viewer %d got %q, want the new counts", i, e)
		}
	}
	delay := time.Since(start)
	t.Logf("%d viewers saw the vote within %s; %d results reads", viewers, delay.Round(time.Millisecond), store.reads.Load()-before)

	// A burst of votes: every viewer ends with the last counts, and the
	// reads stay bounded by the view cache's gap, however many votes.
	const burst = 100
	before, start = store.reads.Load(), time.Now()
	pollsBefore := store.pollReads.Load()
	var wg sync.WaitGroup
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
		}()
	}
	wg.Wait()
	want := fmt.Sprintf(`"total":%d`, 1+burst)
	for i, st := range streams {
		for e := st.next(t, 3*time.Second); !strings.Contains(e, want); e = st.next(t, 3*time.Second) {
			if !strings.Contains(e, "event: results") {
				t.Fatalf("viewer %d got %q during the burst", i, e)
			}
		}
	}
	reads, took := store.reads.Load()-before, time.Since(start)
	t.Logf("%d votes reached %d viewers in %s with %d results reads", burst, viewers, took.Round(time.Millisecond), reads)
	if max := int64(took/(100*time.Millisecond)) + 2; reads > max {
		t.Errorf("%d results reads for %d votes and %d viewers in %s, want at most %d", reads, burst, viewers, took, max)
	}
	if n := store.pollReads.Load() - pollsBefore; n != 0 {
		t.Errorf("refreshing a watched poll read the poll itself %d times, want only its results", n)
	}

	// Idle: nobody votes, so nothing is read and nothing is pushed. (A
	// notification of the burst may still come after the read that already
	// saw its votes, and cause one more read: let it pass first.)
	time.Sleep(500 * time.Millisecond)
	before = store.reads.Load()
	time.Sleep(time.Second)
	if reads := store.reads.Load() - before; reads != 0 {
		t.Errorf("with nobody voting, %d results reads in a second, want 0", reads)
	}
	for _, st := range streams {
		select {
		case e := <-st.events:
			t.Fatalf("an unchanged poll pushed %q", e)
		default:
		}
	}

	// Viewers leaving stop the hub.
	for _, st := range streams[1:] {
		st.cancel()
	}
	waitFor(t, func() bool { _, subs := s.StreamCount(); return subs == 1 })

	// Shutdown ends the rest with a retry hint, and new streams get only the hint.
	s.CloseStreams()
	if e := streams[0].next(t, time.Second); !retryWithin(e, 500, 3000) || !strings.Contains(e, "event: bye") {
		t.Errorf("at shutdown the stream got %q", e)
	}
	waitFor(t, func() bool { polls, subs := s.StreamCount(); return polls == 0 && subs == 0 })
	late := c.get("/p/" + id + "/events")
	if body := strings.TrimSpace(string(late.Body)); !retryWithin(body, 500, 3000) || strings.Contains(body, "\n") {
		t.Errorf("a stream after shutdown got %q", late.Body)
	}
}

// A deleted poll ends its streams with a "gone" event.
func TestPageLiveResultsDeleted(t *testing.T) {
	s, c := pageServer(t)
	id, token := c.createPoll(`{"question": "Gone?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	st.next(t, 5*time.Second)
	c.do("DELETE", "/api/v1/polls/"+id, "", "", "Authorization", "Bearer "+token)
	if e := st.next(t, 2*time.Second); !strings.HasPrefix(e, "event: gone") {
		t.Errorf("after delete the stream got %q", e)
	}
	waitFor(t, func() bool { polls, _ := s.StreamCount(); return polls == 0 })
	if res := c.get("/p/" + id + "/events"); res.Status != http.StatusNotFound {
		t.Errorf("events of a deleted poll: status %d", res.Status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 3s")
}

// A stream outlives the server's ReadTimeout (cmd/pollstack sets 15 s):
// net/http clears the read deadline once the request is read, and the
// stream must keep it that way.
func TestPageLiveResultsOutliveReadTimeout(t *testing.T) {
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Still there?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel() // before srv.Close, which waits for open requests
	st.next(t, 5*time.Second)
	time.Sleep(600 * time.Millisecond)
	c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	if e := st.next(t, 2*time.Second); !strings.Contains(e, `"total":1`) {
		t.Errorf("after the read timeout the stream got %q", e)
	}
}

// An unchanged poll's stream carries a heartbeat comment, so that proxies
// keep it open, and nothing else.
func TestPageLiveResultsHeartbeat(t *testing.T) {
	s, c := pageServer(t)
	s.SetStreamTimes(300*time.Millisecond, time.Hour)
	id, _ := c.createPoll(`{"question": "Quiet?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel()
	st.next(t, 5*time.Second)
	for i := 0; i < 2; i++ {
		if e := st.next(t, 2*time.Second); e != ": ping" {
			t.Fatalf("an idle stream got %q, want a heartbeat comment", e)
		}
	}
}

// A change that the feed never tells of (here another program writing the
// same SQLite file) still shows, at the next slow safety refresh.
func TestPageLiveResultsSafetyRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.db")
	store, other := openSQLite(t, path), openSQLite(t, path)
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, 300*time.Millisecond)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Behind its back?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel()
	st.next(t, 5*time.Second)
	if err := other.Vote(context.Background(), pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: "elsewhere"}, OptionIDs: []int{2}}); err != nil {
		t.Fatal(err)
	}
	if e := st.next(t, 3*time.Second); !strings.Contains(e, `"total":1`) {
		t.Errorf("after a change the feed did not tell of, the stream got %q", e)
	}
}

// feedStore lets a test speak for the store's change feed.
type feedStore struct {
	pollstack.Store
	mu      sync.Mutex
	changed func([]string)
}

func (s *feedStore) Watch(changed func([]string)) func() {
	s.mu.Lock()
	s.changed = changed
	s.mu.Unlock()
	return s.Store.Watch(changed)
}

func (s *feedStore) tell(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed(ids)
}

// When the feed says that any poll may have changed (it reconnected and
// may have missed notifications), every live poll is read again at once,
// not at its next safety refresh.
func TestPageLiveResultsRefreshAfterReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.db")
	store, other := &feedStore{Store: openSQLite(t, path)}, openSQLite(t, path)
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, time.Hour)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	var streams []*stream
	var ids []string
	for range 3 {
		id, _ := c.createPoll(`{"question": "Missed?", "options": ["Yes", "No"]}`)
		st := openStream(t, c, id)
		defer st.cancel()
		st.next(t, 5*time.Second)
		if err := other.Vote(context.Background(), pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: "elsewhere"}, OptionIDs: []int{1}}); err != nil {
			t.Fatal(err)
		}
		streams, ids = append(streams, st), append(ids, id)
	}
	time.Sleep(300 * time.Millisecond)
	for i, st := range streams {
		select {
		case e := <-st.events:
			t.Fatalf("poll %s: the stream got %q before the feed said anything", ids[i], e)
		default:
		}
	}
	store.tell(nil)
	for i, st := range streams {
		if e := st.next(t, 2*time.Second); !strings.Contains(e, `"total":1`) {
			t.Errorf("poll %s: after the feed reconnected the stream got %q", ids[i], e)
		}
	}
}

// retryWithin reports whether an event block starts with a retry hint
// within [lo, hi] ms.
func retryWithin(block string, lo, hi int) bool {
	line, _, _ := strings.Cut(block, "\n")
	ms, err := strconv.Atoi(strings.TrimPrefix(line, "retry: "))
	return strings.HasPrefix(line, "retry: ") && err == nil && ms >= lo && ms <= hi
}

// The reconnection hints are spread, so that the viewers of a server that
// stops do not all come back at the same instant.
func TestPageLiveResultsRetrySpread(t *testing.T) {
	_, c := pageServer(t)
	id, _ := c.createPoll(`{"question": "Spread?", "options": ["Yes", "No"]}`)
	seen := map[string]bool{}
	for range 20 {
		st := openStream(t, c, id)
		first := st.next(t, 5*time.Second)
		st.cancel()
		if !retryWithin(first, 1000, 5000) {
			t.Fatalf("first event %q", first)
		}
		line, _, _ := strings.Cut(first, "\n")
		seen[line] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 streams got %d different retry hints, want them spread", len(seen))
	}
}
