package web_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// The pages without JavaScript: plain form posts and redirects, through the
// same client the API tests use, with redirects shown rather than followed.

func pageServer(t *testing.T) (*web.Server, *apiUser) {
	t.Helper()
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, pageClient(t, srv.URL)
}

// pageClient is a browser without JavaScript: a cookie jar, redirects returned.
func pageClient(t *testing.T, base string) *apiUser {
	c := newClient(t, base)
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (c *apiUser) get(path string, header ...string) response {
	c.t.Helper()
	return c.do("GET", path, "", "", header...)
}

func (c *apiUser) form(path string, v url.Values, header ...string) response {
	c.t.Helper()
	return c.do("POST", path, "application/x-www-form-urlencoded", v.Encode(), header...)
}

// follow checks that res is a 303 (post/redirect/get) and gets its target.
func (c *apiUser) follow(res response) (string, response) {
	c.t.Helper()
	if res.Status != http.StatusSeeOther {
		c.t.Fatalf("status %d, want 303 See Other: %s", res.Status, res.Body)
	}
	loc := res.Header.Get("Location")
	return loc, c.get(loc)
}

// createForm creates a poll through the form and returns its id and the
// created page (with the admin link).
func (c *apiUser) createForm(v url.Values) (string, response) {
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
func (c *apiUser) admin(id, token string) response {
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
