package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/loadgen"
	"github.com/pollstack/pollstack/sqlite"
	"github.com/pollstack/pollstack/web"
)

// BenchmarkResultsRead measures the server's own cost of one results read
// (cache hit), without the network: go test -bench Results -cpuprofile.
func BenchmarkResultsRead(b *testing.B) {
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	s := web.New(web.Config{Store: store})
	p, _, _ := pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}}.Validate(pollstackNow())
	if err := store.CreatePoll(context.Background(), p, nil); err != nil {
		b.Fatal(err)
	}
	cookie := &http.Cookie{Name: "pollstack_voter", Value: loadgen.NewVoter()}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/polls/"+p.ID+"/results", nil)
			req.AddCookie(cookie)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"total"`) {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

func pollstackNow() time.Time { return time.Now() }
