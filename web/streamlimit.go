package web

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// streamLimiter bounds the live-results streams this server holds open:
// at most max in all and perClient for one client address (an IPv6 /56),
// so that no client, and no crowd of them, can hold more connections and
// memory than the task has. It wraps the events handler and knows nothing
// of how streams are fed. Its table has an entry per client with a stream
// open, so it is bounded by max too.
type streamLimiter struct {
	max, perClient int // 0: no limit

	mu       sync.Mutex
	open     int
	byClient map[netip.Prefix]int
}

// streamRetry is how long a refused viewer is asked to wait; the results
// page reloads the counts meanwhile.
const streamRetryAfter = 30 * time.Second

// Errors of a refused stream: this client holds too many, or this server.
var (
	errStreamsPerAddress = &pollstack.Error{Kind: kindRateLimited, Code: "too_many_streams",
		Message: "Too many live-results pages are open from your address. The page will reload the results every so often instead."}
	errStreamsFull = &pollstack.Error{Kind: pollstack.KindUnavailable, Code: "streams_full",
		Message: "This server is showing live results to as many people as it can. The page will reload the results every so often instead."}
)

func newStreamLimiter(max, perClient int) *streamLimiter {
	return &streamLimiter{max: max, perClient: perClient, byClient: map[netip.Prefix]int{}}
}

// acquire takes a stream for client, or says which limit refuses it.
func (l *streamLimiter) acquire(client netip.Prefix) (release func(), refused *pollstack.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.max > 0 && l.open >= l.max:
		return nil, errStreamsFull
	case l.perClient > 0 && l.byClient[client] >= l.perClient:
		return nil, errStreamsPerAddress
	}
	l.open++
	l.byClient[client]++
	var once sync.Once
	return func() { once.Do(func() { l.release(client) }) }, nil
}

func (l *streamLimiter) release(client netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byClient[client]--; l.byClient[client] <= 0 {
		delete(l.byClient, client)
	}
}

// count is the streams open and the clients holding them, for tests.
func (l *streamLimiter) count() (open, clients int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, len(l.byClient)
}

// limitStreams holds a live-results stream within the limits for as long
// as next serves it.
func (s *Server) limitStreams(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release, refused := s.streamCaps.acquire(clientPrefix(s.clientAddr(r)))
		if refused != nil {
			s.writeError(w, r, s.refuse(r, "streams", refused, streamRetryAfter))
			return
		}
		defer release()
		next(w, r)
	}
}
