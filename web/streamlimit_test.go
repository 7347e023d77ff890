package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pollstack/pollstack/web"
)

// openEvents opens a live-results stream from an address (behind the
// proxy) and returns its status, its Retry-After, and how to close it.
func openEvents(t *testing.T, c *apiUser, id, from string) (status int, retry string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/p/"+id+"/events", nil)
	req.Header.Set("X-Forwarded-For", from)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	stop = func() { cancel(); res.Body.Close() }
	t.Cleanup(stop)
	return res.StatusCode, res.Header.Get("Retry-After"), stop
}

// The server holds at most Streams live-results streams, and one address
// at most --stream-limit-per-address: past them 429, or 503 when the server is full,
// both with Retry-After; a stream that ends frees its place.
func TestStreamLimits(t *testing.T) {
	s := web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true, Streams: 3, StreamsPerAddress: 2})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close) // after the streams' own cleanups, which close them
	c := newClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
	want := func(name string, status int, retry string, wantStatus int) {
		t.Helper()
		if status != wantStatus || (wantStatus != 200 && retry != "30") {
			t.Errorf("%s: %d, Retry-After %q; want %d (with Retry-After 30 if refused)", name, status, retry, wantStatus)
		}
	}
	status, retry, stopA1 := openEvents(t, c, id, "198.51.100.1")
	want("A's first", status, retry, 200)
	status, retry, _ = openEvents(t, c, id, "203.0.113.7, 198.51.100.1") // a forged entry changes nothing
	want("A's second", status, retry, 200)
	status, retry, _ = openEvents(t, c, id, "198.51.100.1")
	want("A's third", status, retry, http.StatusTooManyRequests)
	status, retry, _ = openEvents(t, c, id, "198.51.100.2")
	want("B's first", status, retry, 200)
	status, retry, _ = openEvents(t, c, id, "198.51.100.3")
	want("C's first, the server full", status, retry, http.StatusServiceUnavailable)
	if _, subs := s.StreamCount(); subs != 3 {
		t.Errorf("%d streams open, want 3", subs)
	}
	stopA1()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, retry, _ = openEvents(t, c, id, "198.51.100.1")
		if status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the server notices the closed stream
	}
	want("A's after one ended", status, retry, 200)
}
