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
	"github.com/pollstack/pollstack/internal/metrics"
	"github.com/pollstack/pollstack/internal/testing/loadgen"
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
	p, _, _ := pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}}.NewPoll(pollstackNow())
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

// BenchmarkVote measures the server's own cost of one vote through the
// whole handler chain, against a store that takes it at once: go test
// -bench Vote -benchmem -cpuprofile.
func BenchmarkVote(b *testing.B) {
	benchVotes(b, web.New(web.Config{Store: instantStore{}}))
}

// benchVotes votes through s's handler chain once per iteration, each vote
// from the same voter cookie.
func benchVotes(b *testing.B, s http.Handler) {
	cookie := &http.Cookie{Name: "pollstack_voter", Value: loadgen.NewVoter()}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/polls/benchbenchbench0/votes", strings.NewReader(`{"option_ids":[1]}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("vote: %d %s", w.Code, w.Body)
		}
	}
}

// instantStore takes every vote at once. The poll they go to is read once
// (the view cache keeps it), for the ballot's marker; nothing else is called.
type instantStore struct{ pollstack.Store }

func (instantStore) Vote(context.Context, pollstack.Ballot) error { return nil }

func (instantStore) Poll(_ context.Context, id string) (*pollstack.Poll, error) {
	return &pollstack.Poll{ID: id, Options: []pollstack.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}}, MinChoices: 1, MaxChoices: 1,
		Visibility: pollstack.ResultsAlways, DuplicateCheck: pollstack.CheckBrowser}, nil
}

func (instantStore) Results(context.Context, string) (pollstack.Results, error) {
	return pollstack.Results{Counts: map[int]int{}}, nil
}

// Watch: no poll ever changes.
func (instantStore) Watch(func([]string)) func() { return func() {} }

// BenchmarkVoteMetrics is BenchmarkVote with metrics recorded: the
// difference is what recording costs a vote.
func BenchmarkVoteMetrics(b *testing.B) {
	m := metrics.New()
	benchVotes(b, web.New(web.Config{Store: m.Store(instantStore{}), Metrics: m}))
}

// BenchmarkPollPage measures the server's own cost of one poll page, in
// each language of the catalogues (Accept-Language): go test -bench PollPage.
func BenchmarkPollPage(b *testing.B) {
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	s := web.New(web.Config{Store: store})
	p, _, _ := pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}}.NewPoll(pollstackNow())
	if err := store.CreatePoll(context.Background(), p, nil); err != nil {
		b.Fatal(err)
	}
	for _, lang := range []string{"en", "de", "ar"} {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/p/"+p.ID, nil)
				req.Header.Set("Accept-Language", lang)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != 200 || !strings.Contains(w.Body.String(), `<html lang="`) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
