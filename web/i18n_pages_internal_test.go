package web

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

// Every page in every language: a walk over the routes (every GET page of
// every kind of poll, and the form posts that answer with a page) renders
// each template in each language, with <html lang dir> of the language, no
// message missing from the catalogues and no English sentence left.

type walker struct {
	t     *testing.T
	s     *Server
	base  string
	lang  string
	pages map[string][]string // page name (its template) → bodies
}

var bodyClass = regexp.MustCompile(`<body class="page-([a-z-]+)"`)

// client is a browser without JavaScript that asks for w.lang.
func (w *walker) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// do sends a request and keeps an HTML answer by its page.
func (w *walker) do(c *http.Client, method, path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", w.lang)
	res, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(b)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		m := bodyClass.FindStringSubmatch(page)
		if m == nil {
			w.t.Errorf("%s %s: an HTML page without its page class", method, path)
		} else {
			w.pages[m[1]] = append(w.pages[m[1]], page)
		}
	}
	return res, page
}

var adminLink = regexp.MustCompile(`id="admin-link" type="text" value="[^"#]*#([^"]+)"`)

// create sends the create form and returns the poll's ID and admin token.
func (w *walker) create(c *http.Client, path string, form url.Values) (id, token string) {
	w.t.Helper()
	res, page := w.do(c, "POST", path, form)
	m := regexp.MustCompile(`/p/([A-Za-z0-9_-]+)/created$`).FindStringSubmatch(res.Request.URL.Path)
	t := adminLink.FindStringSubmatch(page)
	if m == nil || t == nil {
		w.t.Fatalf("create at %s in %s: landed on %s (%d)", path, w.lang, res.Request.URL, res.StatusCode)
	}
	return m[1], html.UnescapeString(t[1])
}

// walk visits every page in w.lang.
func (w *walker) walk() {
	creator, visitor := w.client(), w.client()
	w.do(creator, "GET", "/", nil)
	w.do(creator, "GET", "/my-polls", nil)
	w.do(creator, "POST", "/", url.Values{"question": {""}, "option": {"Tea", "tea"}, "closes_at": {"soon"}})
	w.do(creator, "POST", "/meeting", url.Values{"question": {"Q"}, "tz": {"Mars/Olympus"}, "date": {"2099-03-01"}})

	polls := map[string][2]string{} // kind → id, token
	base := func(question string, options ...string) url.Values {
		return url.Values{"question": {question}, "option": options, "tz": {"0"}}
	}
	single := base("Tea or coffee?", "Tea", "Coffee")
	single.Set("allow_changes", "yes")
	single.Set("embed_origins", "https://example.com")
	single.Set("closes_at", "2099-01-02T15:04")
	multiple := base("Which fruit?", "Apple", "Pear", "Plum")
	multiple.Set("choice", "multiple")
	multiple.Set("min_choices", "2")
	multiple.Set("max_choices", "3")
	multiple.Set("results", "after_vote")
	multiple.Set("allow_other", "creator")
	ranked := base("Which city?", "Oslo", "Rome", "Lima")
	ranked.Set("choice", "ranked")
	code := base("Which day?", "Monday", "Friday")
	code.Set("duplicate_check", "code")
	code.Set("voter_codes", "2")
	code.Set("results", "after_close")
	for kind, form := range map[string]url.Values{"single": single, "multiple": multiple, "ranked": ranked, "code": code} {
		id, token := w.create(creator, "/", form)
		polls[kind] = [2]string{id, token}
	}
	id, token := w.create(creator, "/meeting", url.Values{"question": {"When?"}, "tz": {"UTC"},
		"date": {"2099-03-01", "2099-03-02"}, "start": {"", "09:00"}, "end": {"", "10:00"}})
	polls["meeting"] = [2]string{id, token}

	// Ballots: the creator votes, and three other browsers.
	w.do(creator, "POST", "/p/"+polls["single"][0]+"/vote", url.Values{"option": {"1"}})
	for i, ranks := range [][]string{{"1", "2", ""}, {"2", "1", "3"}, {"", "2", "1"}} {
		voter := w.client()
		w.do(voter, "POST", "/p/"+polls["ranked"][0]+"/vote", url.Values{"rank-1": {ranks[0]}, "rank-2": {ranks[1]}, "rank-3": {ranks[2]}})
		w.do(voter, "POST", "/p/"+polls["single"][0]+"/vote", url.Values{"option": {[]string{"1", "2", "2"}[i]}})
	}
	w.do(visitor, "POST", "/p/"+polls["meeting"][0]+"/vote", url.Values{"name": {"Ann"}, "slot-1": {"yes"}, "slot-2": {"if_need_be"}})
	w.do(w.client(), "POST", "/p/"+polls["multiple"][0]+"/vote", url.Values{})                                   // a broken ballot
	w.do(w.client(), "POST", "/p/"+polls["multiple"][0]+"/vote", url.Values{"option": {"1"}, "other": {"Kiwi"}}) // an answer to approve

	// Every page the routes serve, for every poll, to its creator and to others.
	for _, rt := range w.s.routes() {
		if rt.method != "GET" || strings.HasPrefix(rt.pattern, "/api/") || !strings.Contains(rt.pattern, "{id}") ||
			strings.HasSuffix(rt.pattern, "/events") || strings.Contains(rt.pattern, ".") {
			continue
		}
		for _, p := range polls {
			for _, c := range []*http.Client{creator, visitor} {
				w.do(c, "GET", strings.Replace(rt.pattern, "{id}", p[0], 1), nil)
			}
		}
	}
	w.do(visitor, "GET", "/p/no-such-poll", nil)
	for _, p := range polls {
		w.do(visitor, "POST", "/p/"+p[0]+"/admin", url.Values{"token": {p[1]}})
		w.do(visitor, "POST", "/p/"+p[0]+"/delete", url.Values{"token": {p[1]}})
	}
	w.do(visitor, "POST", "/p/"+polls["code"][0]+"/codes", url.Values{"token": {polls["code"][1]}, "voter_codes": {"1"}})
	w.do(visitor, "POST", "/p/"+polls["meeting"][0]+"/decide", url.Values{"token": {polls["meeting"][1]}, "option_id": {"2"}})
	w.do(visitor, "POST", "/p/"+polls["single"][0]+"/close", url.Values{"token": {polls["single"][1]}})
	for _, path := range []string{"", "/results", "/admin", "/embed", "/present"} {
		w.do(creator, "GET", "/p/"+polls["single"][0]+path, nil)
	}
	w.do(creator, "GET", "/p/"+polls["meeting"][0], nil)
	w.do(creator, "GET", "/my-polls", nil)
}

var (
	htmlTag  = regexp.MustCompile(`(?s)<html lang="([^"]*)" dir="([^"]*)">`)
	tagOrGap = regexp.MustCompile(`\{\{[^}]*\}\}|\{[a-z]+\}`)
	letters  = regexp.MustCompile(`\pL`)
)

// englishSentences are the parts of English messages (between their
// values) of three words or more that the language words otherwise.
func englishSentences(l *locale) []string {
	en := allLocales().list[0]
	var out []string
	for _, id := range allLocales().ids {
		theirs := strings.Join(slices.Collect(mapValues(forms(l.messages[id]))), "\n")
		for _, text := range forms(en.messages[id]) {
			for _, part := range tagOrGap.Split(text, -1) {
				part = strings.TrimSpace(strings.Trim(part, ".,:;()"))
				if strings.Count(part, " ") >= 2 && len(letters.FindAllString(part, -1)) >= 10 && !strings.Contains(theirs, part) {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func TestEveryPageInEveryLanguage(t *testing.T) {
	s := New(Config{Store: sqliteStore(t)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var missing []string
	for _, l := range s.locales.list {
		l.missing = func(id string) { missing = append(missing, l.Code+": "+id) }
	}
	t.Cleanup(func() {
		for _, l := range s.locales.list {
			l.missing = nil
		}
	})
	for _, l := range s.locales.list {
		t.Run(l.Code, func(t *testing.T) {
			w := &walker{t: t, s: s, base: srv.URL, lang: l.Code, pages: map[string][]string{}}
			w.walk()
			leftovers := englishSentences(l)
			for name := range s.pages[l.Code] {
				if len(w.pages[name]) == 0 {
					t.Errorf("the walk never rendered the page %q: reach it from the routes", name)
				}
			}
			for name, bodies := range w.pages {
				for _, body := range bodies {
					m := htmlTag.FindStringSubmatch(body)
					if m == nil || m[1] != l.Code || m[2] != l.Dir {
						t.Errorf("%s: <html> is %v, want lang=%q dir=%q", name, m, l.Code, l.Dir)
					}
					shown := html.UnescapeString(body)
					for _, sentence := range leftovers {
						if strings.Contains(shown, sentence) {
							t.Errorf("%s page in %s still says %q in English", name, l.Code, sentence)
						}
					}
				}
			}
		})
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("messages the catalogues lack: %v", slices.Compact(missing))
	}
}

// TestLanguageChoice plays the order of the choice: ?lang=, then the
// menu's cookie, then Accept-Language, then English; the API's messages
// follow ?lang= and Accept-Language, their codes never change.
func TestLanguageChoice(t *testing.T) {
	s := New(Config{Store: sqliteStore(t)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	get := func(path, accept string, cookie *http.Cookie) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	langOf := func(body string) string {
		if m := htmlTag.FindStringSubmatch(body); m != nil {
			return m[1] + " " + m[2]
		}
		return "none"
	}

	// The menu: a form post that sets the cookie and comes back.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(srv.URL+"/language", url.Values{"lang": {"ar"}, "next": {"/my-polls?x=1"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var chosen *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == langCookie {
			chosen = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/my-polls?x=1" || chosen == nil ||
		chosen.Value != "ar" || chosen.SameSite != http.SameSiteLaxMode || chosen.Secure {
		t.Fatalf("menu: %d to %q, cookie %+v; want 303 to /my-polls?x=1, %s=ar, SameSite=Lax, not Secure on http",
			res.StatusCode, res.Header.Get("Location"), chosen, langCookie)
	}

	for _, tc := range []struct {
		name, path, accept string
		cookie             *http.Cookie
		want               string
	}{
		{"nothing asked: English", "/", "", nil, "en ltr"},
		{"Accept-Language", "/", "fr-CH, fr;q=0.9, en;q=0.5", nil, "fr ltr"},
		{"Accept-Language, unknown first", "/", "ja, de;q=0.8", nil, "de ltr"},
		{"cookie beats Accept-Language", "/", "fr", chosen, "ar rtl"},
		{"?lang= beats the cookie", "/?lang=es", "fr", chosen, "es ltr"},
		{"?lang= with a region", "/?lang=de-AT", "", nil, "de ltr"},
		{"an unknown ?lang= is ignored", "/?lang=xx", "", chosen, "ar rtl"},
		{"a language we lack: English", "/", "ja", nil, "en ltr"},
	} {
		if _, body := get(tc.path, tc.accept, tc.cookie); langOf(body) != tc.want {
			t.Errorf("%s: page in %q, want %q", tc.name, langOf(body), tc.want)
		}
	}

	// The API: the message in the language, the code and field as ever.
	apiError := func(path, accept string, cookie *http.Cookie) errorDetail {
		res, body := get(path, accept, cookie)
		var e errorBody
		if err := json.Unmarshal([]byte(body), &e); err != nil || res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		return e.Error
	}
	en := apiError("/api/v1/polls/nope", "", nil)
	for _, tc := range []struct {
		path, accept string
		cookie       *http.Cookie
		want         string
	}{
		{"/api/v1/polls/nope", "de", nil, "de"},
		{"/api/v1/polls/nope?lang=ar", "de", nil, "ar"},
		{"/api/v1/polls/nope", "", chosen, "en"}, // the menu's cookie is for pages
	} {
		got := apiError(tc.path, tc.accept, tc.cookie)
		want := s.locales.byCode[tc.want].localizeError(pollstack.ErrPollNotFound).Message
		if got.Code != en.Code || got.Field != en.Field || got.Message != want {
			t.Errorf("%s (Accept-Language %q): %+v, want code %q and message %q", tc.path, tc.accept, got, en.Code, want)
		}
		if tc.want != "en" && got.Message == en.Message {
			t.Errorf("%s: the message is still English: %q", tc.path, got.Message)
		}
	}
}

// The menu of a page that answers a form post comes back to a page, not
// to the post's address.
func TestLanguageMenuComesBackToAPage(t *testing.T) {
	s := New(Config{Store: sqliteStore(t)})
	for _, tc := range []struct{ method, target, want string }{
		{"GET", "/p/abc/results?lang=de&x=1", "/p/abc/results?x=1"},
		{"GET", "/?lang=ar", "/"},
		{"POST", "/p/abc/vote", "/p/abc"},
		{"POST", "/p/abc/delete", "/p/abc"},
		{"POST", "/p/abc/admin", "/p/abc/admin"},
		{"POST", "/", "/"},
		{"POST", "/meeting", "/meeting"},
	} {
		if got := s.here(httptest.NewRequest(tc.method, tc.target, nil)); got != tc.want {
			t.Errorf("%s %s: the menu comes back to %q, want %q", tc.method, tc.target, got, tc.want)
		}
	}
}

// TestLanguageMenuStaysOnSite plays an open redirect through the menu's
// next field: it must only ever lead to a path of this site.
func TestLanguageMenuStaysOnSite(t *testing.T) {
	s := New(Config{Store: sqliteStore(t)})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
		"http:evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", " //evil.example", "/\t/evil.example"} {
		res, err := noRedirect.PostForm(srv.URL+"/language", url.Values{"lang": {"de"}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		u, err := url.Parse(loc)
		if res.StatusCode != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" ||
			!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") || strings.ContainsAny(loc, "\r\n\t\\") {
			t.Errorf("next=%q: %d to %q, which may leave the site", next, res.StatusCode, loc)
		}
	}
}
