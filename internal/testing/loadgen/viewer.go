package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Update is one "results" event a viewer received.
type Update struct {
	Total  int
	Closed bool
	At     time.Time
}

// Viewer is one open live-results page: it reads a poll's event stream the
// way a browser's EventSource and app.js do, connecting again whenever the
// stream ends or fails (after the retry the server asked for, 2 s unless
// told), until its context ends or the poll is gone. A viewer costs one
// goroutine and small buffers, so that a benchmark can hold ten thousand.
type Viewer struct {
	Poll    string
	first   string // where the first connection goes: http://host:port
	again   string // where every later one goes (the load balancer)
	updated func(Update)

	connects atomic.Int64
	gone     atomic.Bool
	mu       sync.Mutex
	recent   []Update // the latest updates, oldest first, at most keepUpdates
	done     chan struct{}
}

// keepUpdates bounds a viewer's memory of updates.
const keepUpdates = 32

// View opens a viewer of poll on first, reconnecting to again, and returns
// once the first connection answered (or failed). updated, if not nil, is
// called on the viewer's goroutine for every results event.
func View(ctx context.Context, first, again, poll string, updated func(Update)) *Viewer {
	v := &Viewer{Poll: poll, first: first, again: again, updated: updated, done: make(chan struct{})}
	connected := make(chan struct{})
	go v.run(ctx, connected)
	<-connected
	return v
}

// Last is the latest results event received.
func (v *Viewer) Last() Update {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.recent) == 0 {
		return Update{}
	}
	return v.recent[len(v.recent)-1]
}

// FirstAt is when the viewer first received a total of at least total,
// among the updates it still remembers.
func (v *Viewer) FirstAt(total int) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, u := range v.recent {
		if u.Total >= total {
			return u.At, true
		}
	}
	return time.Time{}, false
}

// Connects counts the connections made (1 while the first one lasts).
func (v *Viewer) Connects() int { return int(v.connects.Load()) }

// Gone reports whether the stream said the poll was deleted.
func (v *Viewer) Gone() bool { return v.gone.Load() }

// Done is closed once the viewer stopped.
func (v *Viewer) Done() <-chan struct{} { return v.done }

func (v *Viewer) run(ctx context.Context, connected chan struct{}) {
	defer close(v.done)
	base := v.first
	for ctx.Err() == nil && !v.gone.Load() {
		retry, err := v.stream(ctx, base, connected)
		connected = nil
		if ctx.Err() != nil || v.gone.Load() {
			return
		}
		_ = err // any end is followed by a reconnection, as a browser does
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		base = v.again
	}
}

// stream reads one connection until it ends; it returns the retry delay
// the server asked for.
func (v *Viewer) stream(ctx context.Context, base string, connected chan struct{}) (retry time.Duration, err error) {
	retry = 2 * time.Second
	signal := func() {
		if connected != nil {
			close(connected)
			connected = nil
		}
	}
	defer signal()
	u, err := url.Parse(base)
	if err != nil {
		return retry, err
	}
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return retry, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	v.connects.Add(1)
	fmt.Fprintf(conn, "GET /p/%s/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", v.Poll, u.Host)
	res, err := http.ReadResponse(bufio.NewReaderSize(conn, 512), nil)
	if err != nil {
		return retry, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return retry, fmt.Errorf("events: status %d", res.StatusCode)
	}
	signal()
	body := bufio.NewReaderSize(res.Body, 1024)
	var event string
	for {
		line, err := body.ReadBytes('\n')
		if err != nil {
			return retry, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			event = ""
		case bytes.HasPrefix(line, []byte("retry: ")):
			if ms, err := strconv.Atoi(string(line[len("retry: "):])); err == nil {
				retry = time.Duration(ms) * time.Millisecond
			}
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(line[len("event: "):])
			if event == "gone" {
				v.gone.Store(true)
				return retry, nil
			}
		case bytes.HasPrefix(line, []byte("data: ")) && event == "results":
			var r struct {
				Total  int  `json:"total"`
				Closed bool `json:"closed"`
			}
			if err := json.Unmarshal(line[len("data: "):], &r); err != nil {
				return retry, fmt.Errorf("results event: %w", err)
			}
			up := Update{Total: r.Total, Closed: r.Closed, At: time.Now()}
			v.mu.Lock()
			if len(v.recent) == keepUpdates {
				v.recent = append(v.recent[:0], v.recent[1:]...)
			}
			v.recent = append(v.recent, up)
			v.mu.Unlock()
			if v.updated != nil {
				v.updated(up)
			}
		}
	}
}
