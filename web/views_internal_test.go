package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/sqlite"
)

// countingStore counts the poll lookups that reach the store.
type countingStore struct {
	pollstack.Store
	polls atomic.Int64
}

func (c *countingStore) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	c.polls.Add(1)
	return c.Store.Poll(ctx, id)
}

func countingServer(t *testing.T) (*Server, *countingStore) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store := &countingStore{Store: s}
	return New(Config{Store: store}), store
}

// An ID that cannot be a poll's is a 404 before any lookup, cache entry or
// cookie, on every route that takes one.
func TestMadeUpIDsCostNothing(t *testing.T) {
	srv, store := countingServer(t)
	long := strings.Repeat("x", 8000)
	for _, path := range []string{"/api/v1/polls/" + long, "/api/v1/polls/" + long + "/results", "/p/" + long, "/p/" + long + "/events", "/p/nope", "/p/" + strings.Repeat("a", 17)} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusNotFound || w.Header().Get("Set-Cookie") != "" {
			t.Errorf("GET %.40s...: %d, cookie %q; want 404 without a cookie", path, w.Code, w.Header().Get("Set-Cookie"))
		}
	}
	if n := store.polls.Load(); n != 0 {
		t.Errorf("%d lookups reached the store, want 0", n)
	}
	if n := srv.views.size(); n != 0 {
		t.Errorf("%d views cached, want 0", n)
	}
}

// Unknown polls of the right form are looked up but never cached.
func TestViewsForgetUnknownPolls(t *testing.T) {
	srv, _ := countingServer(t)
	ctx := context.Background()
	for range 5000 {
		if _, err := srv.views.get(ctx, pollstack.RandomToken(12)); err != pollstack.ErrPollNotFound {
			t.Fatalf("unknown poll: %v", err)
		}
	}
	if n := srv.views.size(); n != 0 {
		t.Errorf("%d views cached after 5,000 unknown polls, want 0", n)
	}
}

// The cache never holds more than maxViews views, however many polls are read.
func TestViewsBounded(t *testing.T) {
	var loads atomic.Int64
	v := newViews(func(_ context.Context, id string, _ *view) (view, error) {
		loads.Add(1)
		return view{Poll: &pollstack.Poll{ID: id}}, nil
	}, time.Minute, time.Millisecond)
	most := 0
	for i := range 3 * maxViews {
		if _, err := v.get(context.Background(), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		most = max(most, v.size())
	}
	if most > maxViews {
		t.Errorf("the cache held %d views, more than its bound %d", most, maxViews)
	}
	// The most recent view is still cached.
	before := loads.Load()
	v.get(context.Background(), fmt.Sprint(3*maxViews-1))
	if loads.Load() != before {
		t.Error("the view just read was evicted")
	}
}
