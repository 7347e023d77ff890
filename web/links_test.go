package web_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/web"
)

var shareLink = regexp.MustCompile(`id="share-link" type="text" value="([^"]*)"`)
var anyAdminLink = regexp.MustCompile(`id="admin-link" type="text" value="([^"]*)"`)

// Share and admin links come from --public-url, never from the Host header;
// without it, a loopback host is used and any other leaves links relative.
// The admin link carries its token in the fragment only.
func TestLinksFromConfiguration(t *testing.T) {
	for _, tt := range []struct {
		name, publicURL, host, wantBase string
	}{
		{"public URL, forged host", "https://polls.example.org", "evil.example", "https://polls.example.org"},
		{"public URL, loopback host", "https://polls.example.org", "localhost:8080", "https://polls.example.org"},
		{"no public URL, forged host", "", "evil.example", ""},
		{"no public URL, forged host with a port", "", "evil.example:443", ""},
		{"no public URL, localhost", "", "localhost:8080", "http://localhost:8080"},
		{"no public URL, loopback address", "", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"no public URL, IPv6 loopback", "", "[::1]:8080", "http://[::1]:8080"},
		{"no public URL, a name that starts like loopback", "", "127.0.0.1.evil.example", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), PublicURL: tt.publicURL}))
			defer srv.Close()
			c := pageClient(t, srv.URL)
			res := c.form("/", pollForm("Tea?", "Tea", "Coffee"), "Host", tt.host)
			id := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/p/"), "/created")
			created := c.get("/p/"+id+"/created", "Host", tt.host)
			share := shareLink.FindStringSubmatch(string(created.Body))
			admin := anyAdminLink.FindStringSubmatch(string(created.Body))
			if share == nil || admin == nil {
				t.Fatalf("created page lacks its links:\n%s", created.Body)
			}
			if want := tt.wantBase + "/p/" + id; share[1] != want {
				t.Errorf("share link %q, want %q", share[1], want)
			}
			u, err := url.Parse(admin[1])
			if err != nil || tt.wantBase+u.Path != tt.wantBase+"/p/"+id+"/admin" || !strings.HasPrefix(admin[1], tt.wantBase+"/") {
				t.Errorf("admin link %q, want %s/p/%s/admin#...", admin[1], tt.wantBase, id)
			}
			if u.RawQuery != "" || len(u.Fragment) != 22 || strings.Contains(u.Path, u.Fragment) {
				t.Errorf("admin link %q: want the token in the fragment only", admin[1])
			}
			if hasQR := strings.Contains(string(created.Body), `<svg class="qr"`); hasQR != (tt.wantBase != "") {
				t.Errorf("QR code shown %v for share link %q", hasQR, share[1])
			}
			if strings.Contains(string(created.Body), "evil.example") {
				t.Error("the forged host appears on the page")
			}
		})
	}
}
