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
	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/storetest"
)

// BenchmarkHotPollVotes measures the store alone (no HTTP): 128 concurrent
// voters on one poll, group-committed. Reports votes/s. WRITERS=n sets the
// number of vote writers (default 4).
func BenchmarkHotPollVotes(b *testing.B) { benchVotes(b, 1) }

// BenchmarkManyPollsVotes is the same over 1,000 polls: every writer is
// busy, and their commits must not wait for each other.
func BenchmarkManyPollsVotes(b *testing.B) { benchVotes(b, 1000) }

func benchVotes(b *testing.B, polls int) {
	s, _ := MustOpenWith(b, postgres.Options{Writers: benchWriters()})
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = storetest.MustCreate(b, s, time.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}}).ID
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	per := b.N/128 + 1
	for v := range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				ballot := pollstack.Ballot{PollID: ids[(v*per+i)%polls], Voter: pollstack.Voter{Browser: loadgen.NewVoter()}, OptionIDs: []int{1}}
				if err := s.Vote(context.Background(), ballot); err != nil {
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
