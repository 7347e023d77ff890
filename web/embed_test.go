package web_test

import (
	"crypto/tls"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/web"
)

const embedOrigins = `["https://blog.example.com", "https://slides.example.org:8443"]`

// embedServer is a page server with two polls: one that two sites may
// embed, one that none may.
func embedServer(t *testing.T, cfg web.Config) (c *apiUser, embeddable, closed string) {
	t.Helper()
	cfg.Store = stores["sqlite"](t)
	srv := httptest.NewServer(web.New(cfg))
	t.Cleanup(srv.Close)
	c = pageClient(t, srv.URL)
	embeddable, _ = c.createPoll(`{"question": "Lunch?", "options": ["Pizza", "Soup"], "embed_origins": ` + embedOrigins + `}`)
	closed, _ = c.createPoll(`{"question": "Secret?", "options": ["Yes", "No"]}`)
	return c, embeddable, closed
}

// headers asks for path and returns the answer's status and headers only:
// a live-results stream never ends by itself.
func (c *apiUser) headers(method, path string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(""))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	res.Body.Close()
	return response{Status: res.StatusCode, Header: res.Header}
}

// frameAncestors is the frame-ancestors directive of a response's policy.
func frameAncestors(res response) string {
	for d := range strings.SplitSeq(res.Header.Get("Content-Security-Policy"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "frame-ancestors "); ok {
			return v
		}
	}
	return ""
}

// TestEmbedFramingEveryRoute asks every route of the routing table, for a
// poll that allows two sites and one that allows none: only the embed page
// of the first may be framed, and only by those two sites; every other
// answer carries frame-ancestors 'none' and X-Frame-Options DENY.
func TestEmbedFramingEveryRoute(t *testing.T) {
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	c, embeddable, closed := embedServer(t, web.Config{})
	routes := s.Routes()
	if !strings.Contains(strings.Join(routes, "\n"), "/p/{id}/embed") {
		t.Fatalf("no embed page among the routes:\n%s", strings.Join(routes, "\n"))
	}
	for _, route := range routes {
		method, pattern, _ := strings.Cut(route, " ")
		for _, id := range []string{embeddable, closed} {
			path := strings.NewReplacer("{id}", id, "{file}", "favicon.svg", "{$}", "").Replace(pattern)
			res := c.headers(method, path)
			framable := strings.HasSuffix(pattern, "/p/{id}/embed") && id == embeddable
			want, wantXFO := "'none'", "DENY"
			if framable {
				want, wantXFO = "https://blog.example.com https://slides.example.org:8443", ""
			}
			if got := frameAncestors(res); got != want {
				t.Errorf("%s %s (%d): frame-ancestors %q, want %q", method, path, res.Status, got, want)
			}
			if got := res.Header.Get("X-Frame-Options"); got != wantXFO {
				t.Errorf("%s %s (%d): X-Frame-Options %q, want %q", method, path, res.Status, got, wantXFO)
			}
		}
	}
	// Any site, when the creator says so.
	anyID, _ := c.createPoll(`{"question": "Open?", "options": ["A", "B"], "embed_origins": ["*"]}`)
	if got := frameAncestors(c.get("/p/" + anyID + "/embed")); got != "*" {
		t.Errorf("poll embeddable anywhere: frame-ancestors %q, want *", got)
	}
}

// TestEmbedOriginsInput: the list is checked like --public-url (https
// origins only), its errors name the field, in the API and in the form.
func TestEmbedOriginsInput(t *testing.T) {
	c, embeddable, _ := embedServer(t, web.Config{})
	got := c.get("/api/v1/polls/" + embeddable).json(t)["embed_origins"]
	if b, _ := json.Marshal(got); string(b) != `["https://blog.example.com","https://slides.example.org:8443"]` {
		t.Errorf("API poll embed_origins = %s", b)
	}
	for _, bad := range []string{`["http://blog.example.com"]`, `["https://blog.example.com/page"]`, `["*", "https://a.example"]`, `["https://a.example; script-src *"]`,
		`["https://a.example", "https://b.example", "https://c.example", "https://d.example", "https://e.example", "https://f.example"]`} {
		res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "embed_origins": `+bad+`}`)
		if code, field := res.errorCode(t); res.Status != http.StatusBadRequest || field != "embed_origins" {
			t.Errorf("embed_origins %s: status %d, code %s on %q; want 400 on embed_origins", bad, res.Status, code, field)
		}
	}
	form := pollForm("Form?", "A", "B")
	form.Set("embed_origins", "https://blog.example.com, ftp://files.example.com")
	res := c.form("/", form)
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `id="embed_origins-error"`) {
		t.Errorf("form with a bad origin: status %d, no error next to the field:\n%s", res.Status, res.Body)
	}
	form.Set("embed_origins", "https://blog.example.com\nhttps://News.example.com")
	id, created := c.createForm(form)
	if b, _ := json.Marshal(c.get("/api/v1/polls/" + id).json(t)["embed_origins"]); string(b) != `["https://blog.example.com","https://news.example.com"]` {
		t.Errorf("form's origins stored as %s", b)
	}
	snippet := html.EscapeString(`<iframe src="` + c.base + "/p/" + id + `/embed"`)
	mustContain(t, created, "Embed code", snippet)
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	mustContain(t, c.admin(id, token), "Embed code", snippet)
	mustContain(t, c.get("/p/"+id), "Embed code", snippet)
	if _, plain := c.createForm(pollForm("Plain?", "A", "B")); strings.Contains(string(plain.Body), "Embed code") {
		t.Error("a poll that allows no site offers an embed code")
	}
}

// TestEmbedVote votes in the frame: the cookie the embed page set is sent
// back, the vote counts once, and a vote with no cookie, or from another
// site's form, is refused.
func TestEmbedVote(t *testing.T) {
	c, id, _ := embedServer(t, web.Config{})
	page := c.get("/p/" + id + "/embed")
	mustContain(t, page, `action="/p/`+id+`/embed"`, `target="_blank" rel="noopener">Vote in a new tab`)
	loc, after := c.follow(c.form("/p/"+id+"/embed", url.Values{"option": {"1"}}, "Sec-Fetch-Site", "same-origin", "Origin", c.base))
	if loc != "/p/"+id+"/embed" {
		t.Errorf("after voting in the frame: redirected to %s, want the embed page", loc)
	}
	mustContain(t, after, "Your vote is counted.")
	again := c.form("/p/"+id+"/embed", url.Values{"option": {"2"}}, "Sec-Fetch-Site", "same-origin")
	if again.Status != http.StatusConflict || frameAncestors(again) == "'none'" {
		t.Errorf("second vote: status %d, frame-ancestors %q; want 409 shown in the frame", again.Status, frameAncestors(again))
	}
	stranger := c.another()
	stranger.http.CheckRedirect = c.http.CheckRedirect
	if res := stranger.form("/p/"+id+"/embed", url.Values{"option": {"2"}}); res.Status != http.StatusForbidden ||
		!strings.Contains(string(res.Body), "did not keep this poll") {
		t.Errorf("vote without the cookie: status %d; want 403 with the new-tab advice:\n%s", res.Status, res.Body)
	}
	stranger.get("/p/" + id + "/embed")
	if res := stranger.form("/p/"+id+"/embed", url.Values{"option": {"2"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); res.Status != http.StatusForbidden {
		t.Errorf("vote posted from another site: status %d, want 403", res.Status)
	}
	if total, votes := c.results(id); total != 1 || votes[0] != 1 {
		t.Errorf("results %d %v, want one vote for option 1", total, votes)
	}
}

// TestEmbedCookie: the embed page's voter cookie is SameSite=None, Secure
// and Partitioned over HTTPS (directly or behind a trusted proxy); over
// plain HTTP, and on every other page, it stays SameSite=Lax.
func TestEmbedCookie(t *testing.T) {
	store := stores["sqlite"](t)
	tlsSrv := httptest.NewTLSServer(web.New(web.Config{Store: store}))
	t.Cleanup(tlsSrv.Close)
	proxied := httptest.NewServer(web.New(web.Config{Store: store, TrustProxy: true}))
	t.Cleanup(proxied.Close)
	c := newClient(t, tlsSrv.URL)
	c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	id, _ := c.createPoll(`{"question": "Lunch?", "options": ["A", "B"], "embed_origins": ["*"]}`)
	partitioned := regexp.MustCompile(`^pollstack_voter=[\w-]{22}; Path=/; Max-Age=\d+; HttpOnly; Secure; SameSite=None; Partitioned$`)
	lax := regexp.MustCompile(`^pollstack_voter=[\w-]{22}; Path=/; Max-Age=\d+; HttpOnly;( Secure;)? SameSite=Lax$`)
	for _, tt := range []struct {
		name string
		c    *apiUser
		path string
		hdr  []string
		want *regexp.Regexp
	}{
		{"embed over HTTPS", c.another(), "/p/" + id + "/embed", nil, partitioned},
		{"poll page over HTTPS", c.another(), "/p/" + id, nil, lax},
		{"embed behind a proxy on HTTPS", newClient(t, proxied.URL), "/p/" + id + "/embed", []string{"X-Forwarded-Proto", "https"}, partitioned},
		{"embed over plain HTTP", newClient(t, proxied.URL), "/p/" + id + "/embed", nil, lax},
	} {
		tt.c.http.Transport = c.http.Transport
		res := tt.c.get(tt.path, tt.hdr...)
		if got := res.Header.Get("Set-Cookie"); !tt.want.MatchString(got) {
			t.Errorf("%s: Set-Cookie %q, want %s", tt.name, got, tt.want)
		}
		if strings.HasSuffix(tt.path, "/embed") {
			mustContain(t, res, "Vote in a new tab")
		}
	}
}

// TestOEmbed reads a poll's link as an oEmbed consumer does: the poll page
// names the endpoint, which answers a rich embed with the frame.
func TestOEmbed(t *testing.T) {
	c, id, closed := embedServer(t, web.Config{})
	link := regexp.MustCompile(`<link rel="alternate" type="application/json\+oembed" href="([^"]+)">`).FindSubmatch(c.get("/p/" + id).Body)
	if link == nil {
		t.Fatal("poll page advertises no oEmbed endpoint")
	}
	endpoint := html.UnescapeString(string(link[1]))
	if !strings.HasPrefix(endpoint, c.base+"/oembed?") {
		t.Fatalf("oEmbed endpoint %s is not this site's", endpoint)
	}
	oembed := func(query string) (response, map[string]any) {
		res := c.get("/oembed?" + query)
		var m map[string]any
		json.Unmarshal(res.Body, &m)
		return res, m
	}
	_, rich := oembed(strings.TrimPrefix(endpoint, c.base+"/oembed?"))
	frame := `<iframe src="` + c.base + `/p/` + id + `/embed" title="Poll: Lunch?" width="480" height="452"`
	for k, want := range map[string]any{"type": "rich", "version": "1.0", "title": "Lunch?", "provider_name": "pollstack", "width": 480.0, "height": 452.0} {
		if rich[k] != want {
			t.Errorf("oEmbed %s = %v, want %v", k, rich[k], want)
		}
	}
	if h, _ := rich["html"].(string); !strings.HasPrefix(h, frame) || !strings.HasSuffix(h, "></iframe>") {
		t.Errorf("oEmbed html %q, want an iframe starting %q", h, frame)
	}
	pollURL := url.QueryEscape(c.base + "/p/" + id)
	_, small := oembed("url=" + pollURL + "&maxwidth=300&maxheight=200")
	if small["width"] != 300.0 || small["height"] != 200.0 || !strings.Contains(small["html"].(string), `width="300" height="200"`) {
		t.Errorf("maxwidth 300, maxheight 200: %v", small)
	}
	if _, link := oembed("url=" + url.QueryEscape(c.base+"/p/"+closed)); link["type"] != "link" || link["html"] != nil {
		t.Errorf("a poll that allows no embedding: %v, want a link without html", link)
	}
	for _, tt := range []struct {
		query       string
		status      int
		code, field string
	}{
		{"url=" + url.QueryEscape(c.base+"/p/AAAAAAAAAAAAAAAA"), 404, "poll_not_found", ""},
		{"url=" + pollURL + "&format=xml", 501, "oembed_format", "format"},
		{"", 400, "oembed_url_required", "url"},
		{"url=" + url.QueryEscape("https://evil.example/p/"+id), 400, "oembed_url_invalid", "url"},
		{"url=" + url.QueryEscape(c.base+"/p/"+id+"/admin"), 400, "oembed_url_invalid", "url"},
		{"url=" + url.QueryEscape("javascript:alert(1)"), 400, "oembed_url_invalid", "url"},
		{"url=" + pollURL + "&maxwidth=wide", 400, "oembed_maxwidth_invalid", "maxwidth"},
		{"url=" + pollURL + "&maxheight=0", 400, "oembed_maxheight_invalid", "maxheight"},
	} {
		res, _ := oembed(tt.query)
		if res.Status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.query, res.Status, tt.status, res.Body)
			continue
		}
		if code, field := res.errorCode(t); code != tt.code || field != tt.field {
			t.Errorf("%s: error %s on %q, want %s on %q", tt.query, code, field, tt.code, tt.field)
		}
	}
}

// A ranked poll's frame takes the ranks its selects give, in their order,
// as the poll page does; not the options in the order of the form.
func TestEmbedRankedVote(t *testing.T) {
	c, _, _ := embedServer(t, web.Config{})
	id, _ := c.createPoll(`{"question": "Lunch?", "options": ["Soup", "Salad", "Pie"], "kind": "ranked", "embed_origins": ` + embedOrigins + `}`)
	mustContain(t, c.get("/p/"+id+"/embed"), `<select id="rank-1" name="rank-1">`)
	bad := c.form("/p/"+id+"/embed", url.Values{"rank-1": {"1"}, "rank-2": {"1"}}, "Sec-Fetch-Site", "same-origin")
	if bad.Status != http.StatusBadRequest || frameAncestors(bad) == "'none'" {
		t.Errorf("two options ranked 1 in the frame: status %d, frame-ancestors %q; want 400 shown in the frame", bad.Status, frameAncestors(bad))
	}
	c.follow(c.form("/p/"+id+"/embed", url.Values{"rank-3": {"1"}, "rank-1": {"2"}}, "Sec-Fetch-Site", "same-origin"))
	mustContain(t, c.get("/p/"+id), "<ol><li dir=\"auto\">Pie</li><li dir=\"auto\">Soup</li></ol>")
}
