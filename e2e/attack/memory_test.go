//go:build integration

package attack

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack: GET /api/v1/polls/<8,000 random characters> (and the results page
// of such a poll) from 8 threads, 20,000 times. On the code before the fix,
// each unknown ID kept a cache entry with its request line for a minute or
// two: the server grew by about 106 MB. Now such an ID is a 404 before any
// lookup, and the server grows by less than 16 MB.
func TestLongUnknownIDsDoNotGrowTheServer(t *testing.T) {
	s := servertest.Start(t)
	const requests, workers, idLen = 20_000, 8, 8_000
	paths := func(i int) string {
		if i%2 == 0 {
			return "/api/v1/polls/" + randomID(idLen)
		}
		return "/p/" + randomID(idLen) + "/results"
	}
	attack := func(n int) *tally {
		statuses := &tally{}
		conns := make(chan *loadgen.Conn, workers)
		for range workers {
			c, err := loadgen.Dial(s.URL(), 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			conns <- c
		}
		concurrently(n, workers, func(i int) {
			c := <-conns
			defer func() { conns <- c }()
			status, _, err := c.Do("GET", paths(i), "", "", "")
			if err != nil {
				statuses.add(answer{status: 0})
				return
			}
			statuses.add(answer{status: status})
		})
		close(conns)
		for c := range conns {
			c.Close()
		}
		return statuses
	}
	attack(2_000) // warm up: buffers, goroutines, the heap's first growth
	runtime.GC()
	before := s.RSS(t)
	statuses := attack(requests)
	after := s.RSS(t)
	growth := float64(after-before) / (1 << 20)
	figures.Print(t, "%d requests with %d-character unknown IDs from %d connections: %v; RSS %.1f MB before, %.1f MB after: grew %.1f MB",
		requests, idLen, workers, statuses.n, float64(before)/(1<<20), float64(after)/(1<<20), growth)
	if n := statuses.get("404"); n != requests {
		t.Errorf("%d of %d requests answered 404", n, requests)
	}
	if growth >= 16 {
		t.Errorf("the server grew by %.1f MB, want less than 16 MB", growth)
	}
	if res := send(t, "GET", s.URL()+"/readyz", "", ""); res.status != http.StatusOK {
		t.Errorf("after the attack, readyz answers %s", res)
	}
}

// randomID is n random characters of the poll-ID alphabet.
func randomID(n int) string {
	b := make([]byte, n*3/4+1)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
