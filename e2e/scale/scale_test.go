//go:build integration

// Package scale proves that pollstack scales out as ECS autoscaling runs it:
// several server processes on one PostgreSQL behind the ALB-like proxy give
// exact totals, and every live-results stream on every process sees every
// vote, through a process killed mid-run and a database restart.
package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// pg is the package's own PostgreSQL, which the tests restart.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	servertest.MainPostgres(m, func(s *pgtest.Server) error { pg = s; return nil })
}

// Three servers behind the proxy; voters spread over them through it;
// viewers of every poll on every server. Mid-run one server is killed
// (SIGKILL: a Spot task reclaimed without warning) and, later, the database
// restarts (a crash and a failover's reconnection). At the end: no
// acknowledged vote lost or doubled, every poll's total exact through the
// API, every viewer (those of the killed server reconnected through the
// proxy) shows its poll's final total, and the viewers on the surviving
// servers kept their streams through the restart.
func TestSeveralInstances(t *testing.T) {
	dbURL := pg.URL(pg.CreateDatabase(t), pg.User, "")
	procs := make([]*servertest.Process, 3)
	urls := make([]string, len(procs))
	for i := range procs {
		procs[i] = servertest.Start(t, append([]string{"--database-url", dbURL, "--drain-period", "0s"}, servertest.NoClientLimits...)...)
		urls[i] = procs[i].URL()
	}
	front := servertest.Proxy(t, 200*time.Millisecond, urls...)
	const polls, viewersPerPoll = 4, 5
	ids := make([]string, polls)
	for i := range ids {
		ids[i] = servertest.CreatePoll(t, front)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var back time.Time // when the database came back
	var backMu sync.Mutex
	resumed := newFirstAfter()
	viewers := make([][]*loadgen.Viewer, len(procs)) // per process
	for p := range procs {
		for _, id := range ids {
			for range viewersPerPoll {
				var v *loadgen.Viewer
				v = loadgen.View(ctx, procs[p].URL(), front, id, func(u loadgen.Update) {
					backMu.Lock()
					defer backMu.Unlock()
					if !back.IsZero() {
						resumed.record(v, u.At, back)
					}
				})
				if v.Connects() != 1 || v.Last().Total != 0 {
					t.Fatalf("viewer of %s on server %d: %d connections, total %d", id, p, v.Connects(), v.Last().Total)
				}
				viewers[p] = append(viewers[p], v)
			}
		}
	}

	run := func(d time.Duration) *loadgen.Result {
		return loadgen.Run(ctx, loadgen.Config{BaseURL: front, Polls: ids, Workers: 12, Rate: 300, Duration: d})
	}
	load := make(chan *loadgen.Result)
	go func() { load <- run(8 * time.Second) }()
	time.Sleep(3 * time.Second)
	if err := procs[0].Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	backMu.Lock()
	back = time.Now()
	backMu.Unlock()
	// Votes right after the database returns commit while the servers'
	// LISTEN connections may still be waiting to reconnect: their viewers
	// learn of them only from the refresh that follows the reconnection.
	after := run(1500 * time.Millisecond)
	res := <-load
	ended := time.Now()

	// Totals: exact in the database and through the API.
	final := storedTotals(t, dbURL, append(res.Acked, after.Acked...), ids)
	for _, id := range ids {
		if got := apiTotal(t, front, id); got != final[id] {
			t.Errorf("poll %s: the API says %d votes, the database %d", id, got, final[id])
		}
	}

	// Every viewer shows its poll's final total.
	var late []string
	for p, vs := range viewers {
		for _, v := range vs {
			if !waitTotal(v, final[v.Poll], 15*time.Second) {
				late = append(late, fmt.Sprintf("server %d, poll %s: shows %d of %d after %d connections", p, v.Poll, v.Last().Total, final[v.Poll], v.Connects()))
			}
		}
	}
	caughtUp := time.Since(ended)
	if len(late) > 0 {
		t.Errorf("%d viewers never showed the final total:\n%s", len(late), strings.Join(late, "\n"))
	}

	// The killed server's viewers reconnected to the others; the
	// survivors' viewers kept their streams through the database restart
	// and showed new votes after it.
	reconnected, kept := 0, 0
	for p, vs := range viewers {
		for _, v := range vs {
			switch {
			case p == 0 && v.Connects() > 1:
				reconnected++
			case p > 0 && v.Connects() == 1:
				kept++
			case p > 0:
				t.Errorf("a viewer on surviving server %d connected %d times", p, v.Connects())
			}
		}
	}
	if reconnected != len(viewers[0]) {
		t.Errorf("%d of the killed server's %d viewers reconnected", reconnected, len(viewers[0]))
	}
	survivors := append(append([]*loadgen.Viewer(nil), viewers[1]...), viewers[2]...)
	slowest, missing := resumed.slowest(survivors)
	if missing > 0 {
		t.Errorf("%d viewers on surviving servers got no update after the database came back", missing)
	}
	figures.Print(t, "3 servers behind the proxy, %d viewers; one server killed 3 s in, the database restarted 3 s later (down 2 s); votes: %s; then 1.5 s of votes right after the restart: %s",
		len(procs)*polls*viewersPerPoll, res.Summary(), after.Summary())
	figures.Print(t, "final totals %v, exact through the API; the %d viewers of the killed server reconnected through the proxy, the %d on the others kept their streams; every viewer showed the final totals %s after the votes ended; after the database returned, every surviving viewer had new counts within %s",
		final, reconnected, kept, caughtUp.Round(time.Millisecond), slowest.Round(time.Millisecond))
}

// Cross-process delay: viewers on one server, votes on another, one vote
// at a time per poll, with other polls taking votes meanwhile. Prints the
// delay from each vote's 201 to each viewer's event; the benchmark
// (cmd/bench) measures the same at 10,000 viewers.
func TestCrossProcessDelay(t *testing.T) {
	dbURL := pg.URL(pg.CreateDatabase(t), pg.User, "")
	args := append([]string{"--database-url", dbURL, "--drain-period", "0s", "--log-level", "warn"}, servertest.NoClientLimits...)
	a, b := servertest.Start(t, args...), servertest.Start(t, args...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probes := map[string][]*loadgen.Viewer{}
	for range 5 {
		id := servertest.CreatePoll(t, a.URL())
		for range 20 {
			probes[id] = append(probes[id], loadgen.View(ctx, b.URL(), b.URL(), id, nil))
		}
	}
	busy := []string{servertest.CreatePoll(t, a.URL()), servertest.CreatePoll(t, a.URL())}
	background := make(chan *loadgen.Result)
	go func() {
		background <- loadgen.Run(ctx, loadgen.Config{BaseURL: a.URL(), Polls: busy, Workers: 8, Rate: 200, Duration: 12 * time.Second})
	}()
	d, err := loadgen.MeasureDelays(ctx, a.URL(), probes, 40, 0, 150*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	bg := <-background
	fromAck := loadgen.FromAck(d, nil)
	figures.Print(t, "votes on one server, 100 viewers on another, %d samples, background %s: from the vote's 201 to the event p50 %v p99 %v max %v",
		len(fromAck), bg.Summary(), ms(loadgen.Percentile(fromAck, 50)), ms(loadgen.Percentile(fromAck, 99)), ms(loadgen.Percentile(fromAck, 100)))
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

// firstAfter keeps, per viewer, its first update after the database came back.
type firstAfter struct {
	mu    sync.Mutex
	delay map[*loadgen.Viewer]time.Duration
}

func newFirstAfter() *firstAfter { return &firstAfter{delay: map[*loadgen.Viewer]time.Duration{}} }

func (f *firstAfter) record(v *loadgen.Viewer, at, back time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.delay[v]; !ok {
		f.delay[v] = at.Sub(back)
	}
}

// slowest is the longest delay among the viewers, and how many had none.
func (f *firstAfter) slowest(vs []*loadgen.Viewer) (slowest time.Duration, missing int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range vs {
		d, ok := f.delay[v]
		if !ok {
			missing++
		}
		slowest = max(slowest, d)
	}
	return slowest, missing
}

func waitTotal(v *loadgen.Viewer, total int, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if v.Last().Total == total {
			return true
		}
	}
	return false
}

func apiTotal(t *testing.T, base, id string) int {
	t.Helper()
	res, err := http.Get(base + "/api/v1/polls/" + id + "/results")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct{ Total int }
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("results of %s: %d %v", id, res.StatusCode, err)
	}
	return r.Total
}

// storedTotals checks the stored ballots against the acknowledged votes
// (none lost, none doubled, counters equal to ballots) and returns each
// poll's total.
func storedTotals(t *testing.T, dbURL string, acked []loadgen.Ballot, ids []string) map[string]int {
	t.Helper()
	stored, err := loadgen.PostgresBallots(context.Background(), dbURL, ids)
	if err != nil {
		t.Error(err)
	}
	missing, unacked, doubled := loadgen.Compare(acked, stored)
	figures.Print(t, "votes acknowledged %d, stored %d (acknowledged but missing %d, doubled %d, stored without acknowledgement %d)", len(acked), len(stored), missing, doubled, unacked)
	if missing != 0 || doubled != 0 {
		t.Errorf("%d acknowledged votes lost, %d counted twice", missing, doubled)
	}
	totals := map[string]int{}
	for _, b := range stored {
		totals[b.Poll]++
	}
	return totals
}
