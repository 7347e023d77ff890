package web

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pollstack/pollstack"
)

// Ballot secrecy, and reads that cost the database nothing.
//
// A ballot is stored under its poll's key: the voter cookie, a keyed hash of
// the address, or a code. An address or a code is shared (a household, the
// creator who printed the codes), so the key proves only that a ballot
// exists. What it chose is shown to the browser that cast it alone, by a
// marker the server gives that browser when the ballot is stored: a cookie
// holding the ballot's options and an HMAC, under the server key, of the
// poll, the voter cookie, the ballot's key and those options. Another
// browser has neither the marker nor the voter cookie it is bound to; a
// marker made for one address or code does not pass for another.
//
// The same marker makes a voter's own reads free: a poll page or votes/mine
// from a browser that holds its marker is answered from the cookie and the
// view cache, without a database transaction. The marker is the simpler of
// the two designs the issue named: a per-voter cache would need a bound, an
// eviction policy and invalidation across servers (a vote on one task, a
// read on another), where the signed cookie is true on every server that
// shares the key and costs no memory at all. A request without a marker
// asks the store, as before; a browser poll's answer then comes with a
// fresh marker, so the next read is free.
//
// The cookie is scoped to the poll's own paths (the pages and the API's),
// so a browser sends it only to the poll it is about: a voter of many polls
// carries no growing Cookie header.

const ballotCookie = "pollstack_ballot"

// markerTag is the length of the marker's HMAC, in bytes: 128 bits.
const markerTag = 16

// ballotPaths are the paths a poll's marker is sent to.
func ballotPaths(pollID string) []string {
	return []string{"/p/" + pollID, "/api/v1/polls/" + pollID}
}

// markerSum is the HMAC of a ballot for its marker.
func (s *Server) markerSum(pollID, voter, key, options string) []byte {
	msg := make([]byte, 0, 128)
	msg = append(msg, "pollstack ballot marker\x00"...)
	for _, part := range []string{pollID, voter, key} {
		msg = append(append(msg, part...), 0)
	}
	msg = append(msg, options...)
	sum := s.keyedSum(msg)
	return sum[:markerTag]
}

// markBallot gives the request's browser the marker of the ballot it just
// cast (or changed) under key.
func (s *Server) markBallot(w http.ResponseWriter, r *http.Request, pollID, key string, options []int) {
	list := make([]string, len(options))
	for i, o := range options {
		list[i] = strconv.Itoa(o)
	}
	opts := strings.Join(list, "-")
	value := opts + "." + base64.RawURLEncoding.EncodeToString(s.markerSum(pollID, voterID(r.Context()), key, opts))
	for _, path := range ballotPaths(pollID) {
		http.SetCookie(w, &http.Cookie{Name: ballotCookie, Value: value, Path: path, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r)})
	}
}

// markedBallot returns the options of the ballot under key that the
// request's marker proves this browser cast, or false.
func (s *Server) markedBallot(r *http.Request, pollID, key string) ([]int, bool) {
	c, err := r.Cookie(ballotCookie)
	if err != nil || len(c.Value) > 128 {
		return nil, false
	}
	opts, tag, ok := strings.Cut(c.Value, ".")
	got, err := base64.RawURLEncoding.DecodeString(tag)
	if !ok || err != nil || !hmac.Equal(got, s.markerSum(pollID, voterID(r.Context()), key, opts)) {
		return nil, false
	}
	var options []int
	for part := range strings.SplitSeq(opts, "-") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		options = append(options, n)
	}
	return options, true
}

// ballotState is what a request may know of the ballot under its key in a
// poll: whether there is one, and its options only when this browser cast it.
type ballotState struct {
	Voted bool
	Mine  []int // nil unless this browser cast the ballot
}

// ballotOf finds the request's ballot in the poll by the poll's duplicate
// check (code is the voter code the request carries, if any): from the
// marker when the browser holds one, else from the store. ErrInvalidCode
// for a code poll without a valid code; a kiosk poll keeps no one's ballot.
// A browser poll's ballot read from the store comes with a fresh marker,
// given on w (nil: none).
func (s *Server) ballotOf(w http.ResponseWriter, r *http.Request, p *pollstack.Poll, code string) (ballotState, error) {
	key := p.VoterKey(s.voter(r, p.ID, code))
	switch {
	case key == "" && p.DuplicateCheck == pollstack.CheckCode:
		return ballotState{}, pollstack.ErrInvalidCode
	case key == "":
		return ballotState{}, nil
	}
	if mine, ok := s.markedBallot(r, p.ID, key); ok {
		return ballotState{Voted: true, Mine: mine}, nil
	}
	if p.DuplicateCheck != pollstack.CheckBrowser {
		voted, err := s.store.HasVoted(r.Context(), p.ID, key)
		return ballotState{Voted: voted}, err
	}
	// A browser poll's key is the voter cookie: its ballot is this browser's.
	mine, err := s.store.BallotOf(r.Context(), p.ID, key)
	switch {
	case errors.Is(err, pollstack.ErrNotVoted):
		return ballotState{}, nil
	case err != nil:
		return ballotState{}, err
	}
	if w != nil {
		s.markBallot(w, r, p.ID, key, mine)
	}
	return ballotState{Voted: true, Mine: mine}, nil
}

// ownBallot is the request's own ballot, for votes/mine and changes:
// ErrNotVoted when there is none, the poll's NotYoursError when the ballot
// under the request's key was cast by another browser.
func (s *Server) ownBallot(w http.ResponseWriter, r *http.Request, p *pollstack.Poll, code string) ([]int, error) {
	b, err := s.ballotOf(w, r, p, code)
	switch {
	case err != nil:
		return nil, err
	case !b.Voted:
		return nil, pollstack.ErrNotVoted
	case b.Mine == nil:
		return nil, p.NotYoursError()
	}
	return b.Mine, nil
}
