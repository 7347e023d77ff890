//go:build integration

package attack

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

var (
	shareLink = regexp.MustCompile(`id="share-link" type="text" value="([^"]*)"`)
	adminLink = regexp.MustCompile(`id="admin-link" type="text" value="([^"]*)"`)
)

// createWithForm creates a poll through the form, as a browser does (with
// a Host header of the attacker's choosing), and returns the created page.
func createWithForm(t *testing.T, base, host string) (id string, page answer) {
	t.Helper()
	form := url.Values{"question": {"Where to?"}, "option": {"Here", "There"}}.Encode()
	a := send(t, "POST", base+"/", "application/x-www-form-urlencoded", form, "Host", host)
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther || !strings.HasSuffix(loc, "/created") {
		t.Fatalf("create: %s", a)
	}
	cookie := a.header.Get("Set-Cookie") // the admin token, for the created page
	page = send(t, "GET", base+loc, "", "", "Host", host, "Cookie", strings.Split(cookie, ";")[0])
	return strings.TrimSuffix(strings.TrimPrefix(loc, "/p/"), "/created"), page
}

// Attack: a Host header of the attacker's choosing. On the code before the
// fix the share and admin links were built from it, so a page could send
// people (and the admin token) to the attacker's site. Now links come from
// --public-url; without it a non-loopback host leaves them relative.
func TestLinksIgnoreTheHostHeader(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		wantBase string
	}{
		{"with --public-url", []string{"--public-url", "https://polls.example.org"}, "https://polls.example.org"},
		{"without it", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := servertest.Start(t, tt.args...)
			id, page := createWithForm(t, s.URL(), "evil.example")
			share, admin := shareLink.FindSubmatch(page.body), adminLink.FindSubmatch(page.body)
			if share == nil || admin == nil {
				t.Fatalf("the created page lacks its links: %s", page)
			}
			figures.Print(t, "Host: evil.example; share link %s, admin link %s", share[1], strings.SplitN(string(admin[1]), "#", 2)[0]+"#...")
			if contains(page.body, "evil.example") {
				t.Error("the attacker's host is on the page")
			}
			if string(share[1]) != tt.wantBase+"/p/"+id || !strings.HasPrefix(string(admin[1]), tt.wantBase+"/p/"+id+"/admin") {
				t.Errorf("share link %s, admin link %s; want them on %q", share[1], admin[1], tt.wantBase)
			}
		})
	}
}

// Attack: reading the admin token from logs. On the code before the fix
// the admin link was /p/{id}/admin?token=..., which every access log, ALB
// log and WAF log in the way records. Now the token is in the fragment only
// (browsers never send it), the admin page takes it from a form post, and
// neither the request line nor the server's log ever holds it.
func TestAdminTokenIsNeverInAURL(t *testing.T) {
	s := servertest.Start(t, "--log-level", "debug")
	front := servertest.Proxy(t, time.Second, s.URL())
	id, page := createWithForm(t, front, "127.0.0.1")
	admin := adminLink.FindSubmatch(page.body)
	if admin == nil {
		t.Fatalf("the created page lacks the admin link: %s", page)
	}
	u, err := url.Parse(string(admin[1]))
	if err != nil {
		t.Fatal(err)
	}
	token := u.Fragment
	figures.Print(t, "admin link: path %s, query %q, token in the fragment only: %v", u.Path, u.RawQuery, len(token) == 22 && u.RawQuery == "")
	if len(token) != 22 || u.RawQuery != "" || strings.Contains(u.Path, token) {
		t.Fatalf("admin link %s: want the 22-character token in the fragment only", admin[1])
	}
	// What a browser does with the link: GET the path (never the fragment),
	// then post the token from the page's form.
	asked := send(t, "GET", front+u.Path, "", "")
	if asked.status != http.StatusOK || !contains(asked.body, "data-admin-login") {
		t.Fatalf("the admin page does not ask for the token: %s", asked)
	}
	opened := send(t, "POST", front+u.Path, "application/x-www-form-urlencoded", url.Values{"token": {token}}.Encode())
	if opened.status != http.StatusOK || !contains(opened.body, `action="/p/`+id+`/close"`) {
		t.Fatalf("posting the token does not open the admin page: %d", opened.status)
	}
	if strings.Contains(s.Log.String(), token) {
		t.Error("the server's log contains the admin token")
	}
	// An old link's token in the query is never read.
	if old := send(t, "GET", front+u.Path+"?token="+token, "", ""); contains(old.body, "/close") {
		t.Error("a token in the query opens the admin page")
	}
}
