package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/syncbuf"
	"github.com/pollstack/pollstack/web"
)

// The request log keeps every failed request, every slow one and a sample
// of the rest; every response names its request ID, which is the one in
// the log line.
func TestRequestLogKeepsErrorsSlowAndSample(t *testing.T) {
	for _, tt := range []struct {
		name         string
		slow         time.Duration
		sample       float64
		closeStore   bool
		wantLogged   bool
		wantStatuses string
	}{
		{name: "ordinary requests, no sample", wantLogged: false},
		{name: "every request sampled", sample: 1, wantLogged: true},
		{name: "every request slow", slow: time.Nanosecond, wantLogged: true},
		{name: "failed requests always", closeStore: true, wantLogged: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			store := stores["sqlite"](t)
			srv := httptest.NewServer(web.New(web.Config{Store: store, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), SlowRequest: tt.slow, LogSample: tt.sample}))
			defer srv.Close()
			c := newClient(t, srv.URL)
			created := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"]}`)
			if created.Status != 201 {
				t.Fatalf("create: %d %s", created.Status, created.Body)
			}
			if tt.closeStore {
				store.Close()
			}
			res := c.postJSON("/api/v1/polls/"+created.json(t)["id"].(string)+"/votes", `{"option_ids": [1]}`)
			id := res.Header.Get("X-Request-Id")
			if id == "" {
				t.Fatal("no X-Request-Id in the response")
			}
			if tt.closeStore && res.Status < 500 {
				t.Fatalf("vote on a closed store: %d, want 5xx", res.Status)
			}
			logged := false
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" && rec["request_id"] == id {
					logged = true
					for _, field := range []string{"method", "route", "status", "duration_ms"} {
						if _, ok := rec[field]; !ok {
							t.Errorf("request line lacks %s: %s", field, line)
						}
					}
				}
			}
			if logged != tt.wantLogged {
				t.Errorf("vote (status %d) logged = %v, want %v; log:\n%s", res.Status, logged, tt.wantLogged, logs.String())
			}
		})
	}
}

// A request ID from upstream is kept when it is plain, replaced when it
// could forge a log line; generated IDs differ from one request to the next.
func TestRequestIDs(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t)}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	if got := c.do("GET", "/healthz", "", "", "X-Request-Id", "1-abc.Parent_2").Header.Get("X-Request-Id"); got != "1-abc.Parent_2" {
		t.Errorf("a plain upstream ID became %q", got)
	}
	forged := `x","msg":"forged`
	if got := c.do("GET", "/healthz", "", "", "X-Request-Id", forged).Header.Get("X-Request-Id"); got == forged || got == "" {
		t.Errorf("a forged upstream ID was kept: %q", got)
	}
	a, b := c.do("GET", "/healthz", "", "").Header.Get("X-Request-Id"), c.do("GET", "/healthz", "", "").Header.Get("X-Request-Id")
	if a == "" || a == b {
		t.Errorf("generated IDs %q and %q: want two different ones", a, b)
	}
}
