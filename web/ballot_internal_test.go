package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/sqlite"
)

// The lookups remembered are bounded, however many keys come, and each
// holds only as long as it may: "no ballot" until the poll's gen changes,
// anything for lookupTTL at most.
func TestBallotLookupsAreBounded(t *testing.T) {
	l := newBallotLookups()
	now := time.Now()
	most := 0
	for i := range 3 * maxLookups {
		l.add(fmt.Sprint("poll\x00key-", i), i%2 == 0, 1, now)
		most = max(most, l.size())
	}
	if most > maxLookups {
		t.Errorf("%d lookups held, more than the bound %d", most, maxLookups)
	}

	l = newBallotLookups()
	l.add("none", false, 7, now)
	l.add("voted", true, 7, now)
	for _, tt := range []struct {
		key   string
		gen   uint64
		known bool
		at    time.Time
		ok    bool
	}{
		{"none", 7, true, now, true},
		{"none", 8, true, now, false},  // the poll changed since
		{"none", 7, false, now, false}, // its view was dropped: unknown
		{"voted", 8, true, now, true},  // a ballot stays
		{"voted", 7, true, now.Add(lookupTTL), false},
		{"none", 7, true, now.Add(lookupTTL), false},
	} {
		if _, ok := l.get(tt.key, tt.gen, tt.known, tt.at); ok != tt.ok {
			t.Errorf("get(%q, gen %d, known %v, +%v) = %v, want %v", tt.key, tt.gen, tt.known, tt.at.Sub(now), ok, tt.ok)
		}
	}
	l.add("later", false, 1, now.Add(2*lookupTTL)) // sweeps the expired
	if n := l.size(); n != 1 {
		t.Errorf("%d lookups after the sweep, want 1", n)
	}
}

// A visitor's "no ballot" that one server remembers ends when a ballot
// comes under the same key on another server: two servers share one store
// (its change feed), a browser views an "ip" poll on one, a neighbour votes
// on the other, and the first server then says that the address has voted.
func TestRememberedNoBallotEndsWithAVoteElsewhere(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "l.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key := []byte("a key both servers share, 32 bytes or more")
	var bases []string
	for range 2 {
		srv := httptest.NewServer(New(Config{Store: store, ServerKey: key}))
		t.Cleanup(srv.Close)
		bases = append(bases, srv.URL)
	}
	res, err := http.Post(bases[0]+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "ip"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	id := string(body[strings.Index(string(body), `"id":"`)+6:][:16])

	jar, _ := cookiejar.New(nil)
	visitor := &http.Client{Jar: jar}
	page := func() string {
		res, err := visitor.Get(bases[0] + "/p/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	for range 2 { // the second view is answered from the lookup
		if got := page(); strings.Contains(got, "This address has voted") {
			t.Fatal("the address has voted before anyone did")
		}
	}
	res, err = http.Post(bases[1]+"/api/v1/polls/"+id+"/votes", "application/json", strings.NewReader(`{"option_ids": [1]}`))
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("the neighbour's vote: %v %v", res.StatusCode, err)
	}
	res.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(page(), "This address has voted") {
		if time.Now().After(deadline) {
			t.Fatal("5 s after a neighbour voted on another server, the page still offers the vote")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
