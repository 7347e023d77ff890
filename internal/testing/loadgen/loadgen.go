// Package loadgen drives the vote API over HTTP with many distinct voters
// (one voter cookie each) and records every outcome, so that the caller can
// compare what was acknowledged with what the database stored. The
// benchmarks and the fault tests share it.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config describes one run. It stops when ctx ends, after Duration, or
// after Votes votes, whichever comes first (a run always ends by itself).
type Config struct {
	BaseURL  string   // http://host:port
	Polls    []string // votes go round-robin over these polls
	Workers  int      // concurrent voters in flight
	Rate     float64  // votes per second over all workers; 0: as fast as the server answers
	Duration time.Duration
	Votes    int
	// SpreadAddresses sends each vote from an address of its own, in
	// X-Forwarded-For (for a server that trusts a proxy): every vote is a
	// new client to the per-address limits, the worst case for their table.
	SpreadAddresses bool
	// Ranked votes rank the options of polls made by CreateRankedPoll: each
	// vote one of their rankings (rankingBody), by its number.
	Ranked bool
}

// Ballot is one acknowledged vote.
type Ballot struct{ Poll, Voter string }

// Result is what a run saw.
type Result struct {
	Sent     int
	Acked    []Ballot       // 201: stored and committed, by the server's promise
	AckedAt  []time.Time    // when each acknowledged request was sent
	Statuses map[string]int // every outcome: "201", "409 already_voted", "503", "transport error", ...
	Latency  []time.Duration
	Elapsed  time.Duration
	Failures []Failure // every request that did not end in 201
}

// Failure is one request that did not end in 201.
type Failure struct {
	At     time.Time
	Took   time.Duration
	Status string
}

// Failed counts the requests that did not end in 201.
func (r *Result) Failed() int { return r.Sent - len(r.Acked) }

// Rate is acknowledged votes per second.
func (r *Result) Rate() float64 { return float64(len(r.Acked)) / r.Elapsed.Seconds() }

// Percentile returns the latency at p (0..100) of all requests.
func (r *Result) Percentile(p float64) time.Duration { return Percentile(r.Latency, p) }

// Percentile returns the value at p (0..100) of the durations.
func Percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), d...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[int(p/100*float64(len(sorted)-1))]
}

// Summary is one line with the figures.
func (r *Result) Summary() string {
	var statuses []string
	for s, n := range r.Statuses {
		statuses = append(statuses, fmt.Sprintf("%s=%d", s, n))
	}
	sort.Strings(statuses)
	return fmt.Sprintf("sent %d, acknowledged %d, failed %d (%s) in %.1fs: %.0f votes/s, p50 %v p99 %v max %v",
		r.Sent, len(r.Acked), r.Failed(), strings.Join(statuses, " "), r.Elapsed.Seconds(), r.Rate(),
		r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Percentile(100).Round(time.Microsecond))
}

// Run sends votes until the run ends and returns what happened.
func Run(ctx context.Context, cfg Config) *Result {
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	tickets := make(chan int)
	go issue(ctx, cfg, tickets)

	res := &Result{Statuses: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := Dial(cfg.BaseURL, 10*time.Second)
			if err != nil {
				panic(err) // a malformed base URL is the caller's bug
			}
			defer conn.Close()
			for n := range tickets {
				poll, voter := cfg.Polls[n%len(cfg.Polls)], NewVoter()
				t0 := time.Now()
				var header []string
				if cfg.SpreadAddresses {
					header = []string{"X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)}
				}
				body := `{"option_ids":[1]}`
				if cfg.Ranked {
					body = rankingBody(n)
				}
				status := voteBallot(conn, poll, voter, body, header...)
				took := time.Since(t0)
				mu.Lock()
				res.Sent++
				res.Statuses[status]++
				res.Latency = append(res.Latency, took)
				if status == "201" {
					res.Acked = append(res.Acked, Ballot{poll, voter})
					res.AckedAt = append(res.AckedAt, t0)
				} else {
					res.Failures = append(res.Failures, Failure{At: t0, Took: took, Status: status})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// issue hands out vote numbers at the configured rate until the run ends.
// Each number has its time on a schedule of one every 1/rate; numbers that
// fall due within a millisecond go out together, since a timer cannot wake
// every hundred microseconds (a Ticker drops those ticks, and with them most
// of a rate of several thousand a second). When the workers are more than
// maxLag behind (the server stalled), the schedule starts again from now, as
// a Ticker would: a run never bursts to catch up.
func issue(ctx context.Context, cfg Config, tickets chan<- int) {
	defer close(tickets)
	const maxLag = 10 * time.Millisecond
	var period time.Duration
	if cfg.Rate > 0 {
		period = time.Duration(float64(time.Second) / cfg.Rate)
	}
	wait := time.NewTimer(0)
	defer wait.Stop()
	next := time.Now()
	for n := 0; cfg.Votes == 0 || n < cfg.Votes; n++ {
		if period > 0 {
			switch ahead := time.Until(next); {
			case ahead >= time.Millisecond:
				wait.Reset(ahead)
				select {
				case <-wait.C:
				case <-ctx.Done():
					return
				}
			case ahead < -maxLag:
				next = time.Now()
			}
			next = next.Add(period)
		}
		select {
		case tickets <- n:
		case <-ctx.Done():
			return
		}
	}
}

// vote sends one ballot for option 1 and returns "201", "409 already_voted",
// "503", ... or "transport error".
func vote(c *Conn, poll, voter string, header ...string) string {
	return voteBallot(c, poll, voter, `{"option_ids":[1]}`, header...)
}

// voteBallot is vote with the ballot's JSON body.
func voteBallot(c *Conn, poll, voter, ballot string, header ...string) string {
	status, body, err := c.Do("POST", "/api/v1/polls/"+poll+"/votes", "pollstack_voter="+voter, "application/json", ballot, header...)
	if err != nil {
		return "transport error"
	}
	if status == http.StatusConflict {
		if _, code, ok := strings.Cut(string(body), `"code":"`); ok {
			code, _, _ = strings.Cut(code, `"`)
			return "409 " + code
		}
	}
	return fmt.Sprint(status)
}

// NewVoter returns a fresh voter cookie value (128 random bits).
func NewVoter() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Compare checks stored ballots against acknowledged ones: missing are
// acknowledged but not stored (a lost vote); unacknowledged are stored
// without a 201 (a request that failed after its commit: allowed, but
// reported). The database's primary key already rules out doubles; stored
// is a list so that a double would show here too.
func Compare(acked []Ballot, stored []Ballot) (missing, unacknowledged, doubled int) {
	seen := make(map[Ballot]int, len(stored))
	for _, b := range stored {
		seen[b]++
		if seen[b] == 2 {
			doubled++
		}
	}
	want := make(map[Ballot]bool, len(acked))
	for _, b := range acked {
		want[b] = true
		if seen[b] == 0 {
			missing++
		}
	}
	for b := range seen {
		if !want[b] {
			unacknowledged++
		}
	}
	return missing, unacknowledged, doubled
}
