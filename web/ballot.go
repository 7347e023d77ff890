package web

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

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
// view cache, without a database transaction; so is a browser poll's page
// for a browser seen for the first time (its new voter cookie keys no
// ballot). The marker is the simpler of
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
	var buf [160]byte // every vote makes one: no allocation for the message
	msg := append(buf[:0], "pollstack ballot marker\x00"...)
	for _, part := range [...]string{pollID, voter, key} {
		msg = append(append(msg, part...), 0)
	}
	msg = append(msg, options...)
	sum := s.keyedSum(msg)
	return sum[:markerTag]
}

// markBallot gives the request's browser the marker of the ballot it just
// cast (or changed) under key.
func (s *Server) markBallot(w http.ResponseWriter, r *http.Request, pollID, key string, options []int) {
	var buf [96]byte // options, then the tag: the cookie's value, built in place
	b := buf[:0]
	for i, o := range options {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(o), 10)
	}
	opts := len(b)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, s.markerSum(pollID, voterID(r.Context()), key, string(b[:opts])))
	value := string(b)
	for _, path := range ballotPaths(pollID) {
		http.SetCookie(w, s.browserCookie(r, ballotCookie, value, path))
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
	if p.DuplicateCheck == pollstack.CheckBrowser && exchangeOf(r.Context()).newVoter {
		return ballotState{}, nil // a browser seen for the first time has voted nowhere
	}
	lookup := p.ID + "\x00" + key
	gen, known := s.views.generation(p.ID) // before the store is asked: see ballotLookups
	if voted, ok := s.lookups.get(lookup, gen, known, s.now()); ok {
		return ballotState{Voted: voted}, nil
	}
	b, err := s.storedBallot(r.Context(), p, key)
	switch {
	case errors.Is(err, pollstack.ErrNotVoted):
		if known {
			s.lookups.add(lookup, false, gen, s.now())
		}
		return ballotState{}, nil
	case err != nil:
		return ballotState{}, err
	case b.Mine == nil: // another browser's ballot, which stays
		s.lookups.add(lookup, true, gen, s.now())
	case w != nil:
		s.markBallot(w, r, p.ID, key, b.Mine)
	}
	return b, nil
}

// storedBallot asks the store for the ballot under key, ErrNotVoted if
// there is none. A browser poll's key is the voter cookie, so its ballot
// is this browser's and comes with its options.
func (s *Server) storedBallot(ctx context.Context, p *pollstack.Poll, key string) (ballotState, error) {
	if p.DuplicateCheck == pollstack.CheckBrowser {
		mine, err := s.store.BallotOf(ctx, p.ID, key)
		return ballotState{Voted: err == nil, Mine: mine}, err
	}
	voted, err := s.store.HasVoted(ctx, p.ID, key)
	if err == nil && !voted {
		err = pollstack.ErrNotVoted
	}
	return ballotState{Voted: voted}, err
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

// ballotLookups remembers, for a while, what the store said of a key of a
// poll whose ballot the request's browser did not cast: no ballot, or
// another browser's. A returning visitor who has not voted, or a neighbour
// of an address that has, then reloads the page and asks votes/mine without
// a transaction either.
//
// Another browser's ballot stays (a ballot is never removed but with its
// poll), so that answer holds until it expires. "No ballot" holds while the
// poll's view entry keeps the gen it had before the store was asked: a vote
// on this server or on any other (the change feed) changes the gen, and so
// does a feed that reconnects. Entries expire after lookupTTL, and there are
// at most maxLookups of them (about 150 bytes each, 2.5 MB in all): past
// that a quarter is dropped at random.
type ballotLookups struct {
	mu        sync.Mutex
	entries   map[string]ballotLookup
	lastSweep time.Time
}

type ballotLookup struct {
	voted bool
	gen   uint64
	at    time.Time
}

const (
	maxLookups = 16384
	lookupTTL  = time.Minute
)

func newBallotLookups() *ballotLookups {
	return &ballotLookups{entries: make(map[string]ballotLookup)}
}

// get returns what the store said of key lately, if it still holds at the
// poll's gen (known: the view cache has one).
func (l *ballotLookups) get(key string, gen uint64, known bool, now time.Time) (voted, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, found := l.entries[key]
	if !found || now.Sub(e.at) >= lookupTTL || !e.voted && (!known || e.gen != gen) {
		return false, false
	}
	return e.voted, true
}

// add records what the store said of key at the poll's gen.
func (l *ballotLookups) add(key string, voted bool, gen uint64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= lookupTTL {
		l.lastSweep = now
		for k, e := range l.entries {
			if now.Sub(e.at) >= lookupTTL {
				delete(l.entries, k)
			}
		}
	}
	if len(l.entries) >= maxLookups {
		for k := range l.entries { // map order: a random choice
			if len(l.entries) < maxLookups*3/4 {
				break
			}
			delete(l.entries, k)
		}
	}
	l.entries[key] = ballotLookup{voted: voted, gen: gen, at: now}
}

// size is the number of entries, for tests.
func (l *ballotLookups) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
