package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/postgres"
)

// benchLive measures live results on PostgreSQL with two server processes,
// as two tasks behind the load balancer: what idle viewers of many polls
// cost the database, and ten thousand viewers over a hundred polls: memory
// per viewer, the delay from a vote's 201 to the viewers' events on the same
// and on the other process, and database transactions per second while
// nobody votes and under load.
func benchLive(ctx context.Context, t *table, o options, bins binaries, pg *pgtest.Server) error {
	if bins.baseline != "" {
		if err := benchIdleViewers(ctx, t, o, bins.baseline, " (baseline "+o.baseline+")", nil, pg); err != nil {
			return err
		}
	}
	if err := benchIdleViewers(ctx, t, o, bins.current, "", noClientLimits, pg); err != nil {
		return err
	}
	return benchManyViewers(ctx, t, o, bins.current, pg)
}

// benchIdleViewers: one viewer on each of o.idlePolls polls, alternately on
// two processes, and nobody voting. flags are the servers' own (a baseline
// may predate some).
func benchIdleViewers(ctx context.Context, t *table, o options, bin, label string, flags []string, pg *pgtest.Server) error {
	ctx, servers, count, _, stop, err := twoServers(ctx, pg, bin, flags)
	if err != nil {
		return err
	}
	defer stop()
	where := map[string][]string{}
	for i := range o.idlePolls {
		s := servers[i%2]
		id, err := loadgen.CreatePoll(s.url)
		if err != nil {
			return err
		}
		where[id] = []string{s.url}
	}
	if _, err := openViewers(ctx, where, 1); err != nil {
		return err
	}
	time.Sleep(statsLag)
	tx, busy, err := idleCost(ctx, count, servers, o.idle)
	if err != nil {
		return err
	}
	t.add(row{store: "postgres", scenario: fmt.Sprintf("%d idle viewers of %d polls, 2 processes: database%s", o.idlePolls, o.idlePolls, label),
		rate: fmt.Sprintf("%.1f transactions/s", tx), rss: fmt.Sprintf("%.1f MB", servers[0].peakRSS()+servers[1].peakRSS()),
		check: fmt.Sprintf("nobody voting, over %v; target under 20; %s", o.idle, busy)})
	return nil
}

// benchManyViewers: o.viewers viewers over o.viewerPolls polls, half of
// each poll's on each of two processes.
func benchManyViewers(ctx context.Context, t *table, o options, bin string, pg *pgtest.Server) error {
	ctx, servers, count, dbURL, stop, err := twoServers(ctx, pg, bin, noClientLimits)
	if err != nil {
		return err
	}
	defer stop()
	a, b := servers[0], servers[1]
	where := map[string][]string{}
	polls := make([]string, o.viewerPolls)
	for i := range polls {
		if polls[i], err = loadgen.CreatePoll(a.url); err != nil {
			return err
		}
		where[polls[i]] = []string{a.url, b.url}
	}
	before := a.rss() + b.rss()
	per := o.viewers / o.viewerPolls / 2
	start := time.Now()
	viewers, err := openViewers(ctx, where, per)
	if err != nil {
		return err
	}
	opened := time.Since(start)
	n := per * 2 * o.viewerPolls
	time.Sleep(statsLag)
	perViewer := float64(a.rss()+b.rss()-before) / float64(n)
	name := fmt.Sprintf("%d viewers of %d polls, 2 processes", n, o.viewerPolls)
	t.add(row{store: "postgres", scenario: name + ": memory", rate: fmt.Sprintf("%.1f KB per viewer", perViewer/1024), rss: fmt.Sprintf("%.1f MB", a.peakRSS()+b.peakRSS()),
		check: fmt.Sprintf("resident memory of both processes over the idle servers, divided by the viewers; opened in %v", opened.Round(100*time.Millisecond))})

	tx, busy, err := idleCost(ctx, count, servers, o.idle)
	if err != nil {
		return err
	}
	t.add(row{store: "postgres", scenario: name + ": database, idle", rate: fmt.Sprintf("%.1f transactions/s", tx),
		check: fmt.Sprintf("nobody voting, over %v; %s", o.idle, busy)})

	if err := refreshCost(ctx, t, name, pg, dbURL, polls[0]); err != nil {
		return err
	}

	fanout := startCPU(servers, pg.CPU)
	delays, err := loadgen.MeasureDelays(ctx, a.url, viewers, 5, 10*time.Millisecond, time.Second)
	if err != nil {
		return err
	}
	cast := 5 * len(viewers)
	_, db := fanout.perVote(2 * cast)
	t.add(row{store: "postgres", scenario: name + ": fan-out", rate: fmt.Sprintf("%.1f µs server CPU per event", (fanout.serverCPU()-fanout.server0)*1e6/float64(len(delays))),
		check: fmt.Sprintf("over the delay rounds below: both servers' CPU time divided by the %d events delivered; %s refresh at most (%d votes, each read again by both servers; their batches included)",
			len(delays), strings.Replace(db, "per vote", "per", 1), cast)})
	onB := map[*loadgen.Viewer]bool{}
	for _, vs := range viewers {
		for _, v := range vs[per:] {
			onB[v] = true
		}
	}
	for _, side := range []struct {
		name string
		keep func(*loadgen.Viewer) bool
	}{
		{"same process", func(v *loadgen.Viewer) bool { return !onB[v] }},
		{"other process", func(v *loadgen.Viewer) bool { return onB[v] }},
	} {
		d := loadgen.FromAck(delays, side.keep)
		t.add(row{store: "postgres", scenario: name + ": update delay, " + side.name,
			p50: ms(loadgen.Percentile(d, 50)), p99: ms(loadgen.Percentile(d, 99)), max: ms(loadgen.Percentile(d, 100)),
			check: fmt.Sprintf("from each vote's 201 to each viewer's event: 5 rounds of one vote on each poll, 10 ms apart, %d samples", len(d))})
	}

	// Under load: voters on both processes over the same polls.
	var wg sync.WaitGroup
	results := make([]*loadgen.Result, 2)
	txs := make(chan float64, 1)
	go func() { txs <- count.rateDuring(ctx, o.duration) }()
	cpu := startCPU(servers, pg.CPU)
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = loadgen.Run(ctx, loadgen.Config{BaseURL: s.url, Polls: polls, Workers: o.workers / 2, Duration: o.duration})
		}()
	}
	wg.Wait()
	votes := &loadgen.Result{Statuses: map[string]int{}, Elapsed: o.duration}
	for _, r := range results {
		votes.Sent += r.Sent
		votes.Acked = append(votes.Acked, r.Acked...)
		votes.Latency = append(votes.Latency, r.Latency...)
	}
	serverCPU, dbNote := cpu.perVote(len(votes.Acked))
	loaded := <-txs
	caughtUp, err := allShowFinal(a.url, viewers)
	if err != nil {
		return err
	}
	t.add(row{store: "postgres", scenario: name + ": votes on those polls", rate: fmt.Sprintf("%.0f votes/s", votes.Rate()),
		p50: ms(votes.Percentile(50)), p99: ms(votes.Percentile(99)), max: ms(votes.Percentile(100)), errors: fmt.Sprint(votes.Failed()),
		rss: fmt.Sprintf("%.1f MB", a.peakRSS()+b.peakRSS()), cpu: serverCPU,
		check: fmt.Sprintf("both servers together; database %.0f transactions/s under load, %s; every viewer showed its poll's final total %v after the votes ended", loaded, dbNote, caughtUp.Round(time.Millisecond))})
	return nil
}

// idleCost counts the database's transactions and the servers' CPU time
// over d.
func idleCost(ctx context.Context, count counter, servers []*server, d time.Duration) (tx float64, note string, err error) {
	cpu := startCPU(servers, nil)
	tx, err = count.rate(ctx, d)
	return tx, fmt.Sprintf("servers %.2f %% of a core", 100*(cpu.serverCPU()-cpu.server0)/d.Seconds()), err
}

// refreshCost measures what one refresh read of a watched poll costs
// PostgreSQL: the store's Results, which is all a hub reads after a change,
// many times over, against the database's CPU time.
func refreshCost(ctx context.Context, t *table, name string, pg *pgtest.Server, dbURL, poll string) error {
	store, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	const reads = 5000
	before, err := pg.CPU()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 4 { // the pool's size
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range reads / 4 {
				if _, err := store.Results(ctx, poll); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	after, err := pg.CPU()
	if err != nil {
		return err
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("refresh reads: %d of %d failed", n, reads)
	}
	t.add(row{store: "postgres", scenario: name + ": refresh read", rate: fmt.Sprintf("%.0f µs database CPU", float64((after-before).Microseconds())/reads),
		check: fmt.Sprintf("PostgreSQL's CPU time over %d reads of a poll's results (all a hub reads after a change), from 4 connections, divided by them", reads)})
	return nil
}

// apiTotal is a poll's total as the API gives it.
func apiTotal(base, poll string) (int, error) {
	res, err := http.Get(base + "/api/v1/polls/" + poll + "/results")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var r struct{ Total int }
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("results of %s: status %d: %v", poll, res.StatusCode, err)
	}
	return r.Total, nil
}

// allShowFinal waits until every viewer shows its poll's total as the API
// gives it once the votes ended, and says how long that took.
func allShowFinal(base string, viewers map[string][]*loadgen.Viewer) (time.Duration, error) {
	start := time.Now()
	for poll, vs := range viewers {
		total, err := apiTotal(base, poll)
		if err != nil {
			return 0, err
		}
		for _, v := range vs {
			for v.Last().Total != total {
				if time.Since(start) > 30*time.Second {
					return 0, fmt.Errorf("a viewer of %s shows %d, the poll has %d", poll, v.Last().Total, total)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	return time.Since(start), nil
}

// openViewers opens per viewers of each poll on each of its servers, many
// at once, and returns them by poll, server by server.
func openViewers(ctx context.Context, where map[string][]string, per int) (map[string][]*loadgen.Viewer, error) {
	out := map[string][]*loadgen.Viewer{}
	var wg sync.WaitGroup
	slots := make(chan struct{}, 200)
	for poll, urls := range where {
		// Each goroutine fills its own element; the map is written here only.
		vs := make([]*loadgen.Viewer, per*len(urls))
		out[poll] = vs
		for i, url := range urls {
			for j := range per {
				wg.Add(1)
				slots <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					vs[i*per+j] = loadgen.View(ctx, url, url, poll, nil)
				}()
			}
		}
	}
	wg.Wait()
	for poll, vs := range out {
		for _, v := range vs {
			if v.Connects() != 1 {
				return nil, fmt.Errorf("a viewer of %s could not connect", poll)
			}
		}
	}
	return out, nil
}

// twoServers starts two servers with flags on a new database and returns
// them with the database's transaction counter and URL, a context for their
// viewers, and the function that ends both.
func twoServers(ctx context.Context, pg *pgtest.Server, bin string, flags []string) (context.Context, []*server, counter, string, func(), error) {
	name := fmt.Sprintf("bench_live_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return nil, nil, nil, "", nil, err
	}
	url := pg.URL(name, pg.User, "")
	ctx, cancel := context.WithCancel(ctx)
	var servers []*server
	stop := func() {
		cancel()
		for _, s := range servers {
			s.stop()
		}
	}
	for range 2 {
		s, err := startServer(bin, append([]string{"--database-url", url}, flags...)...)
		if err != nil {
			stop()
			return nil, nil, nil, "", nil, err
		}
		servers = append(servers, s)
	}
	return ctx, servers, transactionCounter(pg, name), url, stop, nil
}

// cpuMeter measures the CPU time servers and the database use during a run.
type cpuMeter struct {
	servers []*server
	db      func() (time.Duration, error)
	server0 float64 // seconds
	db0     time.Duration
}

// startCPU starts measuring; db may be nil (SQLite is in the server).
func startCPU(servers []*server, db func() (time.Duration, error)) *cpuMeter {
	m := &cpuMeter{servers: servers, db: db}
	m.server0 = m.serverCPU()
	if db != nil {
		m.db0, _ = db()
	}
	return m
}

func (m *cpuMeter) serverCPU() (seconds float64) {
	for _, s := range m.servers {
		seconds += s.cpuSeconds()
	}
	return seconds
}

// perVote gives the servers' CPU time per 1,000 votes since the start (the
// table's column) and a note with the database's CPU time per vote.
func (m *cpuMeter) perVote(votes int) (server, db string) {
	if votes == 0 {
		return "", "no votes"
	}
	server = fmt.Sprintf("%.3f s", (m.serverCPU()-m.server0)/float64(votes)*1000)
	if m.db != nil {
		if used, err := m.db(); err == nil {
			db = fmt.Sprintf("database %.0f µs CPU per vote", float64((used-m.db0).Microseconds())/float64(votes))
		}
	}
	return server, db
}

// statsLag is how long to wait after a burst of queries before counting
// transactions while idle: PostgreSQL's statistics count an idle backend's
// transactions within 10 s.
const statsLag = 11 * time.Second

// counter reads how many transactions a database has committed or rolled
// back, from PostgreSQL's statistics. Each backend adds its own at most once
// a second while busy and within ten seconds once idle, so a rate is only
// as good as its window is long and steady.
type counter func(ctx context.Context) (int64, error)

func transactionCounter(pg *pgtest.Server, db string) counter {
	return func(ctx context.Context) (int64, error) {
		conn, err := pgx.Connect(ctx, pg.URL("postgres", pg.User, "")) // not counted: another database
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var n int64
		err = conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1`, db).Scan(&n)
		return n, err
	}
}

// rate counts over d, from now.
func (c counter) rate(ctx context.Context, d time.Duration) (float64, error) {
	n0, err := c(ctx)
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	n1, err := c(ctx)
	return float64(n1-n0) / d.Seconds(), err
}

// rateDuring counts over the middle half of a run of length d that starts
// now, where the load is steady; 0 when not measured.
func (c counter) rateDuring(ctx context.Context, d time.Duration) float64 {
	if c == nil {
		return 0
	}
	time.Sleep(d / 4)
	r, err := c.rate(ctx, d/2)
	if err != nil {
		return 0
	}
	return r
}
