package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// rateLimiter is a token bucket per client (an IPv4 address or an IPv6 /56)
// in a bounded table, kept as the generic cell rate algorithm: one time per
// client, the moment its bucket would be full again. A client may send
// burst requests at once, then one per interval.
//
// The table holds at most maxLimited clients, in two generations: when the
// current one is half full it becomes the previous one and the old previous
// one is dropped, with it every client not seen since. A client that is
// dropped starts again with a full bucket, so a flood from more addresses
// than the table holds weakens the limit rather than the server: that is
// the WAF's part (docs/reliability.md, "Hostile clients").
type rateLimiter struct {
	name     string // what is limited, in messages: "new polls", "votes"
	interval time.Duration
	burst    int
	start    time.Time // the zero of the stored times: the first request's time

	mu        sync.Mutex
	cur, prev map[[16]byte]int64 // client -> when its bucket is full again, ns since start
}

// maxLimited bounds the clients a limiter remembers: about 3 MB.
const maxLimited = 1 << 16

// newRateLimiter allows burst requests at once and perSecond after that;
// nil (no limit) when perSecond is 0.
func newRateLimiter(name string, perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{name: name, interval: time.Duration(float64(time.Second) / perSecond), burst: max(burst, 1),
		cur: map[[16]byte]int64{}, prev: map[[16]byte]int64{}}
}

// allow takes a token from the client's bucket at time now, or says how
// long until one is there.
func (l *rateLimiter) allow(client netip.Prefix, now time.Time) (ok bool, retry time.Duration) {
	return l.allowN(client.Addr().As16(), now, 1)
}

// allowKey is allow for any 16-byte key: an address, or a voter (roomlimit.go).
func (l *rateLimiter) allowKey(key [16]byte, now time.Time) (ok bool, retry time.Duration) {
	return l.allowN(key, now, 1)
}

// allowN takes n tokens at once (n at most the burst), or says how long
// until there are n: a request that costs in proportion to what it stores.
func (l *rateLimiter) allowN(key [16]byte, now time.Time, n int) (ok bool, retry time.Duration) {
	tolerance := int64(l.burst-1) * int64(l.interval)
	l.mu.Lock()
	defer l.mu.Unlock()
	// Times are kept relative to the first request, on the caller's clock
	// (the server's, which tests may stop).
	if l.start.IsZero() {
		l.start = now
	}
	t := int64(now.Sub(l.start))
	full, ok := l.cur[key]
	if !ok {
		// A client of the previous generation moves to the current one,
		// refused or not: a client that keeps coming is never forgotten.
		// One not remembered at all has a full bucket (0).
		full = l.prev[key]
		if len(l.cur) >= maxLimited/2 {
			l.prev, l.cur = l.cur, make(map[[16]byte]int64, maxLimited/2)
		}
		l.cur[key] = full
	}
	full = max(full, t)
	if wait := full + int64(n-1)*int64(l.interval) - tolerance - t; wait > 0 {
		return false, time.Duration(wait)
	}
	l.cur[key] = full + int64(n)*int64(l.interval)
	return true, 0
}

// size is the number of clients remembered, for tests.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cur) + len(l.prev)
}

// limitError is a request refused by a limit: 429 (or 503 when the server
// as a whole is full), with Retry-After.
type limitError struct {
	err   *pollstack.Error
	retry time.Duration
}

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

const kindRateLimited pollstack.Kind = "rate_limited"

// limit takes a token for the request's client from l (nil: no limit).
func (s *Server) limit(r *http.Request, l *rateLimiter) error {
	return s.limitN(r, l, 1)
}

// limitN takes n tokens for the request's client from l (nil: no limit);
// n must be at most l's burst, which a bucket never holds more than.
func (s *Server) limitN(r *http.Request, l *rateLimiter, n int) error {
	if l == nil {
		return nil
	}
	ok, retry := l.allowN(clientPrefix(s.clientAddr(r)).Addr().As16(), s.now(), n)
	if ok {
		return nil
	}
	return s.refuse(r, l.name, rateLimited("rate_limited.address", "Too many %s from your address. Try again in %s.", limitTerms[l.name], retry), retry)
}

// refuse is the one place where a limit turns a request away (the rate
// limits and the live-results caps): a count of refusals by limit belongs
// here. e says what the client reads; retry goes out as Retry-After.
func (s *Server) refuse(r *http.Request, limit string, e *pollstack.Error, retry time.Duration) error {
	s.log.Debug("refused by a limit", "request_id", requestID(r.Context()), "limit", limit, "retry_after_s", retryAfter(retry))
	return &limitError{err: e, retry: retry}
}

// retryAfter is a wait in whole seconds, rounded up: at least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limitTerms name what each rate limit counts, in its messages.
var limitTerms = map[string]pollstack.Term{
	"new polls":            {Key: "new_polls", Text: "new polls"},
	"votes":                {Key: "votes", Text: "votes"},
	"voter codes":          {Key: "voter_codes", Text: "voter codes"},
	"voter code downloads": {Key: "voter_code_downloads", Text: "voter code downloads"},
}

// rateLimited is the refusal of a rate limit: format says what is limited
// (what, if it has a %s) and when to try again (the last %s); key is its
// translation, with "_minutes" for a wait of minutes.
func rateLimited(key, format string, what any, retry time.Duration) *pollstack.Error {
	args := []any{seconds(retry)}
	if what != nil {
		args = []any{what, seconds(retry)}
	}
	wait := retryAfter(retry)
	if wait >= 120 {
		key, wait = key+"_minutes", (wait+59)/60
	}
	e := &pollstack.Error{Kind: kindRateLimited, Code: "rate_limited", Key: key, Message: fmt.Sprintf(format, args...)}
	e.Args = append(args[:len(args)-1:len(args)-1], wait)
	return e
}

func seconds(d time.Duration) string {
	switch n := retryAfter(d); {
	case n >= 120:
		return strconv.Itoa((n+59)/60) + " minutes"
	case n != 1:
		return strconv.Itoa(n) + " seconds"
	}
	return "a second"
}

// setRetryAfter sets Retry-After for an error that has a wait of its own.
func setRetryAfter(w http.ResponseWriter, err error) bool {
	var le *limitError
	if errors.As(err, &le) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(le.retry)))
		return true
	}
	return false
}
