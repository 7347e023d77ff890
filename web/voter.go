package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// The voter cookie identifies a browser or API client as one voter: 128
// random bits, HttpOnly, SameSite=Lax, Secure behind TLS, for a year.
const voterCookie = "pollstack_voter"

// validVoterID accepts what RandomToken(16) makes: 22 characters of
// unpadded base64url.
func validVoterID(id string) bool {
	if len(id) != 22 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// voterID returns the voter of the request.
func voterID(ctx context.Context) string { return exchangeOf(ctx).voter }

// identify gives every request a voter ID, setting the cookie on the first
// response to a client that lacks a valid one.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := exchangeOf(r.Context())
		if x.voter = voterCookieValue(r); !validVoterID(x.voter) {
			x.voter, x.newVoter = pollstack.RandomToken(16), true
			http.SetCookie(w, s.newVoterCookie(r, x.voter))
		}
		next.ServeHTTP(w, r)
	})
}

// newVoterCookie is the voter cookie for a new voter.
func (s *Server) newVoterCookie(r *http.Request, id string) *http.Cookie {
	return s.browserCookie(r, voterCookie, id, "/")
}

// browserCookie is a cookie that tells this browser apart (the voter
// cookie, a ballot's marker): HttpOnly for a year, SameSite=Lax, except on
// the embed page over HTTPS, where it must reach us from inside another
// site's frame: SameSite=None and Partitioned, so that the browser keeps it
// apart for each site the poll is embedded in (see framedCookie).
func (s *Server) browserCookie(r *http.Request, name, value, path string) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r),
	}
	if c.Secure && isEmbedRoute(r) {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	return c
}

// voterCookieValue finds the voter cookie in the request's Cookie headers
// (the first one, as r.Cookie does) without parsing every cookie into its
// own allocation.
func voterCookieValue(r *http.Request) string {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			if name, value, ok := strings.Cut(strings.TrimSpace(part), "="); ok && name == voterCookie {
				return value
			}
		}
	}
	return ""
}
