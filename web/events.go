package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// Live results are Server-Sent Events. Each poll with viewers on this
// process has one hub: a goroutine that reads the poll's counts through the
// view cache when the store's change feed says the poll changed (votes on
// any process, closing, deleting), when it closes by time, and otherwise
// only for a slow safety refresh; it hands the same encoded event to every
// subscriber when it differs from the last. An idle poll therefore costs no
// reads but the safety refresh. Notifications that arrive while a read is
// pending fold into one, and the view cache starts loads of one poll at
// least minGap apart, so a poll taking thousands of votes a second costs at
// most 1/minGap reads a second on each process.
//
// A subscriber is a one-slot mailbox that always holds the newest event, so
// a slow browser costs one pointer, never a queue; its handler's goroutine
// is the only goroutine it has. Events carry the sequence number of the view
// they were made from, so that a handler never sends counts older than those
// it has already sent (the hub's read may have started before the viewer's). Viewers who may not see the counts yet
// (results shown after voting or after closing) subscribe too, for the
// poll's state only: "closed" or "gone". The hub stops when its last
// subscriber leaves.

const (
	streamSafety    = time.Minute      // the slow refresh, in case a change went unheard (on average; see read)
	streamReadRetry = 2 * time.Second  // after a failed read (the store is away), try again this soon
	streamHeartbeat = 15 * time.Second // a comment line keeps proxies from closing an idle stream
	streamWrite     = 10 * time.Second // a write that takes longer drops the subscriber
)

// How soon a browser reconnects, in ms: after its stream dropped (the
// server died, the network), and after a server said bye at shutdown (to
// another server). Each stream gets a random delay within the range, so that
// the thousands of viewers of a task that stops do not all come back to the
// load balancer in the same instant.
var (
	streamRetry = [2]int{1000, 5000}
	streamBye   = [2]int{500, 3000}
)

func retryMillis(r [2]int) int { return r[0] + rand.IntN(r[1]-r[0]+1) }

var (
	heartbeat   = event{data: []byte(": ping\n\n")}
	closedEvent = []byte("event: closed\ndata: {}\n\n")
	goneEvent   = []byte("event: gone\ndata: {}\n\n")
)

// event is an encoded SSE event and the seq of the view it was made from
// (0 for a heartbeat, which is never out of date).
type event struct {
	data []byte
	seq  uint64
}

type hubs struct {
	s         *Server
	safety    time.Duration
	heartbeat time.Duration
	unwatch   func() // stops the store's change feed for this server

	mu       sync.Mutex
	polls    map[string]*hub
	streams  int           // subscribers over all hubs
	shutdown chan struct{} // closed by CloseStreams
	closed   bool
}

type hub struct {
	id      string
	changed chan struct{} // capacity 1: notifications wait here, folded into one read
	stop    chan struct{}
	// Guarded by hubs.mu:
	subs    map[*subscriber]struct{}
	results event // the latest results event: what a late viewer gets first
	state   event // nil data while open, then closedEvent, then goneEvent
	version int   // the poll version the hub last read (or its first viewer did)
}

type subscriber struct {
	mailbox chan event // capacity 1: the newest event
	hidden  bool       // may not see the counts: gets the state only
}

func newHubs(s *Server) *hubs {
	return &hubs{s: s, safety: streamSafety, heartbeat: streamHeartbeat, polls: map[string]*hub{}, shutdown: make(chan struct{})}
}

// subscribe joins the poll's hub, starting it if it is the first viewer,
// who read the poll at version. ok is false after CloseStreams.
func (hs *hubs) subscribe(id string, hidden bool, version int) (sub *subscriber, ok bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.closed {
		return nil, false
	}
	h := hs.polls[id]
	if h == nil {
		h = &hub{id: id, subs: map[*subscriber]struct{}{}, changed: make(chan struct{}, 1), stop: make(chan struct{}), version: version}
		hs.polls[id] = h
		go hs.run(h)
	}
	sub = &subscriber{mailbox: make(chan event, 1), hidden: hidden}
	// A hub that is already running may know of a change that this viewer's
	// first read missed; the handler skips what it has already sent.
	if e, ok := h.eventFor(sub, true, true); ok {
		sub.mailbox <- e
	}
	if h.version > version { // an edit since this viewer's read, which the hub has heard of
		select {
		case <-sub.mailbox:
		default:
		}
		sub.mailbox <- editedEvent(h.version)
	}
	h.subs[sub] = struct{}{}
	hs.streams++
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
	if _, ok := h.subs[sub]; ok {
		delete(h.subs, sub)
		hs.streams--
	}
	if len(h.subs) == 0 {
		close(h.stop)
		delete(hs.polls, id)
	}
}

// changed is the store's change feed: it marks the polls' cached views
// stale and wakes their hubs. nil means any poll may have changed.
func (hs *hubs) changed(ids []string) {
	if ids == nil {
		hs.s.views.invalidateAll()
	} else {
		hs.s.views.invalidate(ids...)
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if ids == nil {
		for _, h := range hs.polls {
			h.wake()
		}
		return
	}
	for _, id := range ids {
		if h := hs.polls[id]; h != nil {
			h.wake()
		}
	}
}

// wake asks the hub to read once more; it never blocks.
func (h *hub) wake() {
	select {
	case h.changed <- struct{}{}:
	default: // a read is already pending: this change folds into it
	}
}

// StreamCount returns the number of polls with live-results viewers on
// this server and the number of open live-results streams.
func (s *Server) StreamCount() (polls, streams int) {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	return len(s.streams.polls), s.streams.streams
}

// run reads the poll when told to (at once when it starts) and broadcasts
// what changed; when nothing was sent for a heartbeat period, it sends a
// comment line instead.
func (hs *hubs) run(h *hub) {
	beat := time.NewTicker(hs.heartbeat)
	defer beat.Stop()
	refresh := time.NewTimer(0)
	defer refresh.Stop()
	sent := time.Now()
	first := true
	for {
		select {
		case <-h.stop:
			return
		case <-hs.shutdown:
			return
		case <-beat.C:
			if time.Since(sent) >= hs.heartbeat {
				sent = time.Now()
				hs.broadcastHeartbeat(h)
			}
			continue
		case <-h.changed:
		case <-refresh.C:
		}
		next, broadcast := hs.read(h, first)
		first = false
		if broadcast {
			sent = time.Now()
		}
		refresh.Reset(next)
	}
}

// read loads the poll's view, hands what changed to the subscribers, and
// says when to read again if nothing wakes the hub sooner: the safety
// refresh, uniformly within ±50 % of its period, so that hubs started
// together (a deploy, a reconnection) do not read together; and the first
// one within one period, so that many hubs cost their average rate from the
// start rather than a burst after half a period.
func (hs *hubs) read(h *hub, first bool) (next time.Duration, broadcast bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	v, err := hs.s.views.get(ctx, h.id)
	cancel()
	next = hs.safety/2 + rand.N(hs.safety)
	if first {
		next = rand.N(hs.safety)
	}
	results, state := event{seq: v.seq}, event{seq: v.seq}
	switch {
	case errors.Is(err, pollstack.ErrPollNotFound):
		state.data = goneEvent
	case err != nil:
		return streamReadRetry, false // the store is briefly away: viewers keep the last counts
	default:
		hs.mu.Lock()
		edited := v.Poll.Version > h.version
		h.version = max(h.version, v.Poll.Version)
		hs.mu.Unlock()
		if edited {
			defer hs.broadcastEdited(h, v.Poll.Version)
		}
		results.data = hs.s.resultsEvent(v)
		now := hs.s.now()
		if v.Poll.Closed(now) {
			state.data = closedEvent
		} else if v.Poll.ClosesAt != nil {
			next = min(next, v.Poll.ClosesAt.Sub(now)+time.Millisecond)
		}
	}
	return next, hs.publish(h, results, state)
}

// publish records the hub's latest events and puts those that changed in
// the subscribers' mailboxes, replacing any they have not sent yet.
func (hs *hubs) publish(h *hub, results, state event) (broadcast bool) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	resultsChanged := results.data != nil && !bytes.Equal(results.data, h.results.data)
	stateChanged := !bytes.Equal(state.data, h.state.data)
	if results.data != nil {
		h.results = results
	}
	h.state = state
	for sub := range h.subs {
		if e, ok := h.eventFor(sub, resultsChanged, stateChanged); ok {
			select {
			case <-sub.mailbox:
			default:
			}
			sub.mailbox <- e
			broadcast = true
		}
	}
	return broadcast
}

// eventFor is what a subscriber should get, given what changed: the counts
// for those who may see them, the state for the others, "gone" for all.
// hubs.mu is held.
func (h *hub) eventFor(sub *subscriber, resultsChanged, stateChanged bool) (event, bool) {
	switch {
	case stateChanged && h.state.data != nil && (sub.hidden || bytes.Equal(h.state.data, goneEvent)):
		return h.state, true
	case resultsChanged && !sub.hidden && h.results.data != nil:
		return h.results, true
	}
	return event{}, false
}

// broadcastEdited tells every subscriber, those who may not see the counts
// too, that the creator edited the poll: the page reloads or says so. It
// takes the place of an event not sent yet, which the reload makes moot.
func (hs *hubs) broadcastEdited(h *hub, version int) {
	edited := editedEvent(version)
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for sub := range h.subs {
		select {
		case <-sub.mailbox:
		default:
		}
		sub.mailbox <- edited
	}
}

func editedEvent(version int) event {
	return event{data: fmt.Appendf(nil, "event: edited\ndata: {\"version\":%d}\n\n", version)}
}

// broadcastHeartbeat adds a heartbeat to every empty mailbox: it never
// takes the place of an event.
func (hs *hubs) broadcastHeartbeat(h *hub) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.mailbox <- heartbeat:
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

// events streams a poll's results: a "results" event at once and whenever
// the counts change (closing shows in its "closed" field), and "gone" when
// the poll is deleted. A viewer who may not see the results yet gets one
// "hidden" event, then only "closed" (after which the results are visible:
// the stream ends and the browser may ask again) or "gone".
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := s.visibleResults(r, id)
	if errors.Is(err, pollstack.ErrResultsHidden) && r.URL.Query().Has("reveal") && s.ownsPoll(r, id) {
		v, err = s.views.get(r.Context(), id) // present mode, revealed by the owner
	}
	hidden := errors.Is(err, pollstack.ErrResultsHidden)
	if err != nil && !hidden {
		s.writeError(w, r, err)
		return
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
	var version int // of the poll this viewer's first read saw
	if hidden {
		if seen, err := s.views.get(r.Context(), id); err == nil {
			version = seen.Poll.Version
		}
	} else {
		version = v.Poll.Version
	}
	// The page says which version it shows (?v=): an edit between its
	// load and this stream is told at once.
	if shown, err := strconv.Atoi(r.URL.Query().Get("v")); err == nil && shown > 0 && shown < version {
		version = shown
	}
	sub, ok := s.streams.subscribe(id, hidden, version)
	if !ok { // shutting down: come back soon, to another server
		write(fmt.Appendf(nil, "retry: %d\n\n", retryMillis(streamBye)))
		return
	}
	defer s.streams.unsubscribe(id, sub)
	s.cfg.Metrics.StreamOpened()
	defer s.cfg.Metrics.StreamClosed()
	var sent event // the last event sent, never a heartbeat
	first := fmt.Appendf(nil, "retry: %d\n", retryMillis(streamRetry))
	if hidden {
		msg, _ := json.Marshal(map[string]string{"message": s.locale(r).localizeError(pollstack.ErrResultsHidden).Message})
		first = fmt.Appendf(first, "event: hidden\ndata: %s\n\n", msg)
	} else {
		sent = event{data: s.resultsEvent(v), seq: v.seq}
		first = append(first, sent.data...)
	}
	if !write(first) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streams.shutdown:
			write(fmt.Appendf(nil, "retry: %d\nevent: bye\ndata: {}\n\n", retryMillis(streamBye)))
			return
		case e := <-sub.mailbox:
			if e.seq != 0 && (e.seq < sent.seq || bytes.Equal(e.data, sent.data)) {
				continue // older than what this viewer has, or the same
			}
			if !write(e.data) {
				return
			}
			if e.seq != 0 {
				sent = e
			}
			if bytes.Equal(e.data, goneEvent) || bytes.Equal(e.data, closedEvent) {
				return
			}
		}
	}
}

// CloseStreams ends the live-results streams at shutdown, telling browsers
// to reconnect soon (to another server); http.Server.Shutdown can then
// finish, as no stream is left open. It also stops watching the store.
func (s *Server) CloseStreams() {
	s.streams.mu.Lock()
	if !s.streams.closed {
		s.streams.closed = true
		close(s.streams.shutdown)
	}
	s.streams.mu.Unlock()
	s.streams.unwatch()
}
