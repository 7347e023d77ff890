package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/web"
)

// managed reports whether a page is the admin page itself (its close and
// delete forms), rather than the form that asks for the token.
func managed(res response, id string) bool {
	body := string(res.Body)
	return res.Status == http.StatusOK && strings.Contains(body, `action="/p/`+id+`/delete"`) && !strings.Contains(body, "data-admin-login")
}

// creatorCookie is the browser's creator cookie; the test fails without one.
func (c *apiUser) creatorCookie() *http.Cookie {
	c.t.Helper()
	u, _ := url.Parse(c.base)
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == "pollstack_creator" {
			return k
		}
	}
	c.t.Fatal("the browser holds no creator cookie")
	return nil
}

// withCookie is a new browser holding only the given creator cookie value.
func (c *apiUser) withCookie(value string) *apiUser {
	other := pageClient(c.t, c.base)
	u, _ := url.Parse(c.base)
	other.http.Jar.SetCookies(u, []*http.Cookie{{Name: "pollstack_creator", Value: value, Path: "/"}})
	return other
}

// pollOpen reports, through the API, whether a poll is still open.
func (c *apiUser) pollOpen(id string) bool {
	c.t.Helper()
	res := c.get("/api/v1/polls/" + id)
	return res.Status == http.StatusOK && res.json(c.t)["closed"] == false
}

// The browser that created a poll manages it after any reload: the created
// page shows the admin link again, the admin page opens from a bookmark (no
// token in any URL), "Your polls" lists it with its admin link, and the
// admin forms need no token.
func TestPageCreatorCookieKeepsThePoll(t *testing.T) {
	_, c := pageServer(t)
	id, created := c.createForm(pollForm("Lunch?", "Soup", "Salad"))
	link := adminLink.FindStringSubmatch(string(created.Body))
	if link == nil {
		t.Fatal("no admin link on the created page")
	}
	c.creatorCookie()
	res := c.form("/", pollForm("Dinner?", "Pasta", "Rice"))
	raw := strings.Join(res.Header.Values("Set-Cookie"), "\n")
	for _, attr := range []string{"pollstack_creator=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(raw, attr) {
			t.Errorf("creator cookie lacks %s: %s", attr, raw)
		}
	}
	if strings.Contains(raw, link[2]) {
		t.Error("the creator cookie holds the admin token in clear")
	}

	if again := c.get("/p/" + id + "/created"); !strings.Contains(string(again.Body), link[1]) {
		t.Errorf("the reloaded created page lacks the admin link:\n%s", again.Body)
	}
	if admin := c.get("/p/" + id + "/admin"); !managed(admin, id) {
		t.Errorf("the bookmarked admin page: %d, want the admin page:\n%s", admin.Status, admin.Body)
	}
	mine := c.get("/my-polls")
	mustContain(t, mine, "Lunch?", "Dinner?", link[1], `href="/p/`+id+`/admin"`, `action="/p/`+id+`/close"`)
	if strings.Index(string(mine.Body), "Dinner?") > strings.Index(string(mine.Body), "Lunch?") {
		t.Error("Your polls does not list the newest first")
	}
	if got := c.get("/"); !strings.Contains(string(got.Body), `href="/my-polls"`) {
		t.Error("the home page does not link to Your polls")
	}

	// Close and delete with the cookie alone, from the Your polls page.
	c.follow(c.form("/p/"+id+"/close", url.Values{}))
	if c.pollOpen(id) {
		t.Fatal("closing with the creator cookie left the poll open")
	}
	ask := c.form("/p/"+id+"/delete", url.Values{})
	mustContain(t, ask, "<h1>Delete this poll?</h1>")
	c.follow(c.form("/p/"+id+"/delete", url.Values{"confirm": {"yes"}}))
	if res := c.get("/api/v1/polls/" + id); res.Status != http.StatusNotFound {
		t.Fatalf("delete with the creator cookie: the poll answers %d", res.Status)
	}
	if mine := c.get("/my-polls"); strings.Contains(string(mine.Body), "Lunch?") || !strings.Contains(string(mine.Body), "Dinner?") {
		t.Errorf("Your polls after deleting one:\n%s", mine.Body)
	}
}

// The admin link works from any other device, and that browser keeps the
// poll too: its admin page then opens from a bookmark.
func TestPageAdminLinkOnAnotherDevice(t *testing.T) {
	_, c := pageServer(t)
	id, created := c.createForm(pollForm("Lunch?", "Soup", "Salad"))
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	phone := pageClient(t, c.base)
	if asked := phone.get("/p/" + id + "/admin"); managed(asked, id) {
		t.Fatal("another device opened the admin page without the link")
	}
	if admin := phone.admin(id, token); !managed(admin, id) {
		t.Fatalf("the admin link on another device: %d", admin.Status)
	}
	if admin := phone.get("/p/" + id + "/admin"); !managed(admin, id) {
		t.Errorf("the admin page bookmarked on the other device: %d, want the admin page", admin.Status)
	}
	mustContain(t, phone.get("/my-polls"), "Lunch?")
}

// Attacks on the creator cookie, each against a real server and store:
// another browser, an altered cookie, a cookie sealed under another server
// key or made up, a cookie of poll A used on poll B, and a form posted from
// another site with the cookie. None may manage the poll.
func TestCreatorCookieAttacks(t *testing.T) {
	store := stores["sqlite"](t)
	srv := httptest.NewServer(web.New(web.Config{Store: store, ServerKey: []byte("the key of this deployment......")}))
	t.Cleanup(srv.Close)
	rogue := httptest.NewServer(web.New(web.Config{Store: store, ServerKey: []byte("a key the attacker controls.....")}))
	t.Cleanup(rogue.Close)

	owner := pageClient(t, srv.URL)
	idA, createdA := owner.createForm(pollForm("Poll A?", "Yes", "No"))
	tokenA := adminLink.FindStringSubmatch(string(createdA.Body))[2]
	cookieA := owner.creatorCookie().Value
	victim := pageClient(t, srv.URL)
	idB, _ := victim.createForm(pollForm("Poll B?", "Yes", "No"))

	// The attacker's own poll, on a server whose key they know: its cookie
	// is well formed, but sealed under the wrong key.
	attacker := pageClient(t, rogue.URL)
	attacker.createForm(pollForm("Mine?", "Yes", "No"))
	rogueCookie := attacker.creatorCookie().Value

	flipped := []byte(cookieA)
	flipped[len(flipped)/2] ^= 'A' ^ 'B'
	if flipped[len(flipped)/2] == cookieA[len(cookieA)/2] {
		t.Fatal("the altered cookie is the same")
	}
	attacks := map[string]struct {
		who    *apiUser
		pollID string
	}{
		"another browser":           {pageClient(t, srv.URL), idA},
		"altered cookie":            {owner.withCookie(string(flipped)), idA},
		"truncated cookie":          {owner.withCookie(cookieA[:len(cookieA)-4]), idA},
		"sealed under another key":  {owner.withCookie(rogueCookie), idA},
		"plain cookie, right token": {owner.withCookie(idA + ":" + tokenA), idA},
		"cookie of poll A on B":     {owner, idB},
	}
	for name, a := range attacks {
		t.Run(name, func(t *testing.T) {
			if res := a.who.get("/p/" + a.pollID + "/admin"); managed(res, a.pollID) {
				t.Error("the admin page opened")
			}
			if res := a.who.form("/p/"+a.pollID+"/results.csv", url.Values{}); res.Status == http.StatusOK {
				t.Error("the admin CSV was served")
			}
			if res := a.who.form("/p/"+a.pollID+"/delete", url.Values{}); res.Status == http.StatusOK {
				t.Error("the delete confirmation was shown")
			}
			res := a.who.form("/p/"+a.pollID+"/close", url.Values{})
			if res.Status != http.StatusUnauthorized || !owner.pollOpen(a.pollID) {
				t.Errorf("close: %d, open %v; want 401 and the poll open", res.Status, owner.pollOpen(a.pollID))
			}
			if strings.Contains(string(res.Body), "Bearer") || !strings.Contains(string(res.Body), "needs its admin link") {
				t.Errorf("the refusal is not in a person's words:\n%s", res.Body)
			}
			if mine := a.who.get("/my-polls"); strings.Contains(string(mine.Body), "Poll A?") && a.pollID == idA ||
				strings.Contains(string(mine.Body), "Poll B?") {
				t.Errorf("Your polls lists a poll that is not this browser's:\n%s", mine.Body)
			}
		})
	}
	// A form posted from another site, with the real cookie (a browser
	// would not send a SameSite=Lax cookie with it; crossOrigin refuses it
	// regardless).
	res := owner.form("/p/"+idA+"/close", url.Values{}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if res.Status != http.StatusForbidden || !owner.pollOpen(idA) {
		t.Errorf("a cross-site close with the cookie: %d, open %v; want 403 and the poll open", res.Status, owner.pollOpen(idA))
	}
	// The owner's own cookie still works after all that.
	if res := owner.get("/p/" + idA + "/admin"); !managed(res, idA) {
		t.Errorf("the owner's admin page: %d", res.Status)
	}
}

// One browser remembers a bounded number of polls: past it, the oldest is
// forgotten (its admin link still manages it) and the cookie stays within
// what a browser keeps.
func TestCreatorCookieBounded(t *testing.T) {
	const max = 50 // maxOwnedPolls, as the Your polls page says
	_, c := pageServer(t)
	var ids, tokens []string
	for i := range max + 2 {
		id, created := c.createForm(pollForm(fmt.Sprintf("Poll %d?", i), "Yes", "No"))
		ids, tokens = append(ids, id), append(tokens, adminLink.FindStringSubmatch(string(created.Body))[2])
	}
	cookie := c.creatorCookie()
	if n := len(cookie.Name) + 1 + len(cookie.Value); n > 4000 {
		t.Errorf("the creator cookie is %d bytes, more than a browser keeps", n)
	}
	mine := c.get("/my-polls")
	if n := strings.Count(string(mine.Body), `class="my-poll"`); n != max {
		t.Errorf("Your polls lists %d polls, want %d", n, max)
	}
	mustContain(t, mine, fmt.Sprintf("remembers up to %d", max), fmt.Sprintf("Poll %d?", max+1))
	for i, id := range ids[:2] {
		if res := c.get("/p/" + id + "/admin"); managed(res, id) {
			t.Errorf("poll %d of %d still opens from the cookie", i, len(ids))
		}
		if res := pageClient(t, c.base).admin(id, tokens[i]); !managed(res, id) {
			t.Errorf("poll %d: its admin link no longer works: %d", i, res.Status)
		}
	}
	if res := c.get("/p/" + ids[2] + "/admin"); !managed(res, ids[2]) {
		t.Error("the oldest poll still remembered does not open")
	}
}

// Every server with the same key opens the cookie (tasks behind one load
// balancer, or one server after a restart), with the same store.
func TestCreatorCookieAcrossServers(t *testing.T) {
	store := stores["sqlite"](t)
	key := []byte("one key for every task of the site")
	first := httptest.NewServer(web.New(web.Config{Store: store, ServerKey: key}))
	t.Cleanup(first.Close)
	c := pageClient(t, first.URL)
	id, _ := c.createForm(pollForm("Lunch?", "Soup", "Salad"))
	second := httptest.NewServer(web.New(web.Config{Store: store, ServerKey: key}))
	t.Cleanup(second.Close)
	if res := c.withCookie(c.creatorCookie().Value).at(second.URL).get("/p/" + id + "/admin"); !managed(res, id) {
		t.Errorf("another server with the same key: %d, want the admin page", res.Status)
	}
}

// at is the client sending to another server, with the same cookies.
func (c *apiUser) at(base string) *apiUser {
	u, _ := url.Parse(c.base)
	other := pageClient(c.t, base)
	v, _ := url.Parse(base)
	other.http.Jar.SetCookies(v, c.http.Jar.Cookies(u))
	return other
}
