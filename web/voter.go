package web

import (
	"context"
	"net/http"
	"regexp"

	"github.com/pollstack/pollstack"
)

// The voter cookie identifies a browser or API client as one voter: 128
// random bits, HttpOnly, SameSite=Lax, Secure behind TLS, for a year.
const voterCookie = "pollstack_voter"

const voterKey ctxKey = iota + 100

var validVoterID = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// voterID returns the voter of the request.
func voterID(ctx context.Context) string {
	id, _ := ctx.Value(voterKey).(string)
	return id
}

// identify gives every request a voter ID, setting the cookie on the first
// response to a client that lacks a valid one.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if c, err := r.Cookie(voterCookie); err == nil && validVoterID.MatchString(c.Value) {
			id = c.Value
		} else {
			id = pollstack.RandomToken(16)
			http.SetCookie(w, &http.Cookie{
				Name: voterCookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r),
			})
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), voterKey, id)))
	})
}
