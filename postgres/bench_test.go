//go:build integration

package postgres_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/loadgen"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/storetest"
)

// BenchmarkHotPollVotes measures the store alone (no HTTP): 128 concurrent
// voters on one poll, group-committed. Reports votes/s. WRITERS=n sets the
// number of vote writers (default 4).
func BenchmarkHotPollVotes(b *testing.B) {
	s, _ := MustOpenWith(b, postgres.Options{Writers: benchWriters()})
	p := storetest.MustCreate(b, s, time.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	per := b.N/128 + 1
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: loadgen.NewVoter()}, OptionIDs: []int{1}}); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "votes/s")
}

func benchWriters() int {
	n, _ := strconv.Atoi(os.Getenv("WRITERS"))
	return n
}
