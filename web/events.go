package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// Live results are Server-Sent Events. Each poll with viewers has one hub:
// one goroutine that reads the poll's counts through the view cache every
// tick and, only when they changed, hands the same encoded event to every
// subscriber. A subscriber is a one-slot mailbox that always holds the
// newest event, so a slow browser costs one pointer, never a queue; its
// handler's goroutine is the only goroutine it has. The hub stops when its
// last subscriber leaves.

const (
	streamTick      = 250 * time.Millisecond // how often a hub reads its poll's counts
	streamHeartbeat = 15 * time.Second       // a comment line keeps proxies from closing an idle stream
	streamRetry     = 2000                   // ms: how soon a browser reconnects after a drop
	streamHidden    = 30000                  // ms: how soon a browser asks again when results are hidden
	streamBye       = 500                    // ms: reconnect soon (to another server) after shutdown
	streamWrite     = 10 * time.Second       // a write that takes longer drops the subscriber
)

var heartbeat = []byte(": ping\n\n")

type hubs struct {
	s         *Server
	tick      time.Duration
	heartbeat time.Duration
	mu        sync.Mutex
	polls     map[string]*hub
	shutdown  chan struct{} // closed by CloseStreams
	closed    bool
}

type hub struct {
	id   string
	subs map[*subscriber]struct{}
	stop chan struct{}
}

type subscriber struct {
	mailbox chan []byte // capacity 1: the newest event
}

func newHubs(s *Server, tick time.Duration) *hubs {
	return &hubs{s: s, tick: tick, heartbeat: streamHeartbeat, polls: map[string]*hub{}, shutdown: make(chan struct{})}
}

// subscribe joins the poll's hub, starting it if it is the first viewer.
// ok is false after CloseStreams.
func (hs *hubs) subscribe(id string) (sub *subscriber, ok bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.closed {
		return nil, false
	}
	h := hs.polls[id]
	if h == nil {
		h = &hub{id: id, subs: map[*subscriber]struct{}{}, stop: make(chan struct{})}
		hs.polls[id] = h
		go hs.run(h)
	}
	sub = &subscriber{mailbox: make(chan []byte, 1)}
	h.subs[sub] = struct{}{}
	return sub, true
}

// unsubscribe leaves the hub; the last one out stops it.
func (hs *hubs) unsubscribe(id string, sub *subscriber) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h := hs.polls[id]
	if h == nil {
		return
	}
	delete(h.subs, sub)
	if len(h.subs) == 0 {
		close(h.stop)
		delete(hs.polls, id)
	}
}

// count is the number of running hubs and subscribers, for tests.
func (hs *hubs) count() (polls, subs int) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for _, h := range hs.polls {
		subs += len(h.subs)
	}
	return len(hs.polls), subs
}

// run reads the poll's counts every tick and broadcasts changes; when
// nothing was sent for a heartbeat period, it sends a comment line instead.
func (hs *hubs) run(h *hub) {
	ticker := time.NewTicker(hs.tick)
	defer ticker.Stop()
	var last []byte
	sent := time.Now()
	for {
		select {
		case <-h.stop:
			return
		case <-hs.shutdown:
			return
		case <-ticker.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		v, err := hs.s.views.get(ctx, h.id)
		cancel()
		var event []byte
		switch {
		case errors.Is(err, pollstack.ErrPollNotFound):
			event = goneEvent
		case err == nil:
			event = hs.s.resultsEvent(v)
		}
		// event is nil when the store is briefly away: the viewers keep
		// the last counts, and the next tick tries again.
		switch {
		case event != nil && !bytes.Equal(event, last):
			last, sent = event, time.Now()
			hs.broadcast(h, event, true)
		case time.Since(sent) >= hs.heartbeat:
			sent = time.Now()
			hs.broadcast(h, heartbeat, false)
		}
	}
}

// broadcast puts event in every subscriber's mailbox; replace says whether
// it takes the place of an event not yet sent (a heartbeat never does).
func (hs *hubs) broadcast(h *hub, event []byte, replace bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for sub := range h.subs {
		if replace {
			select {
			case <-sub.mailbox:
			default:
			}
		}
		select {
		case sub.mailbox <- event:
		default:
		}
	}
}

// resultsEvent encodes a poll's counts as an SSE "results" event, in the
// API's results JSON.
func (s *Server) resultsEvent(v view) []byte {
	body, err := json.Marshal(s.resultsJSON(v))
	if err != nil {
		panic(err) // plain structs always encode
	}
	return fmt.Appendf(nil, "event: results\ndata: %s\n\n", body)
}

var goneEvent = []byte("event: gone\ndata: {}\n\n")

// events streams a poll's results. Results that the viewer may not see yet
// send one "hidden" event and end, asking the browser to come back later.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := s.visibleResults(r, id)
	var e *pollstack.Error
	if err != nil {
		if e, _ = publicError(err); e != pollstack.ErrResultsHidden {
			s.writeError(w, r, err)
			return
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(streamWrite))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if e != nil {
		msg, _ := json.Marshal(map[string]string{"message": e.Message})
		write(fmt.Appendf(nil, "retry: %d\nevent: hidden\ndata: %s\n\n", streamHidden, msg))
		return
	}
	sub, ok := s.streams.subscribe(id)
	if !ok { // shutting down: come back soon, to another server
		write(fmt.Appendf(nil, "retry: %d\n\n", streamBye))
		return
	}
	defer s.streams.unsubscribe(id, sub)
	sent := s.resultsEvent(v)
	if !write(append(fmt.Appendf(nil, "retry: %d\n", streamRetry), sent...)) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streams.shutdown:
			write(fmt.Appendf(nil, "retry: %d\nevent: bye\ndata: {}\n\n", streamBye))
			return
		case event := <-sub.mailbox:
			if bytes.Equal(event, sent) {
				continue // the hub's first read: this viewer has it already
			}
			if !write(event) {
				return
			}
			if &event[0] != &heartbeat[0] {
				sent = event
			}
			if bytes.Equal(event, goneEvent) {
				return
			}
		}
	}
}

// CloseStreams ends the live-results streams at shutdown, telling browsers
// to reconnect soon (to another server); http.Server.Shutdown can then
// finish, as no stream is left open.
func (s *Server) CloseStreams() {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	if !s.streams.closed {
		s.streams.closed = true
		close(s.streams.shutdown)
	}
}
