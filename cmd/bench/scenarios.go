package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"

	_ "modernc.org/sqlite"
)

// storedFunc reads the stored ballots of some polls, for the check after a run.
type storedFunc func(polls []string) ([]loadgen.Ballot, error)

func benchPostgres(ctx context.Context, t *table, o options, bins binaries, pg *pgtest.Server) error {
	db, err := pgbenchDatabase(ctx, pg)
	if err != nil {
		return err
	}
	pgd := o.duration / 2 // three client counts each
	one, oneClients, oneLat, err := pgbenchBest(ctx, pg, db, pgbenchOneVote, 1, pgd)
	if err != nil {
		return err
	}
	t.add(row{store: "postgres", scenario: "pgbench: 1 vote per transaction (ceiling)", rate: fmt.Sprintf("%.0f votes/s", one),
		check: fmt.Sprintf("best of 1/4/16 clients: %d; avg %v per transaction", oneClients, oneLat.Round(10*time.Microsecond))})
	batched, batchClients, batchLat, err := pgbenchBest(ctx, pg, db, pgbenchBatched, pgbenchBatch, pgd)
	if err != nil {
		return err
	}
	t.add(row{store: "postgres", scenario: fmt.Sprintf("pgbench: %d votes per transaction (ceiling)", pgbenchBatch), rate: fmt.Sprintf("%.0f votes/s", batched),
		check: fmt.Sprintf("best of 1/4/16 clients: %d; avg %v per transaction", batchClients, batchLat.Round(10*time.Microsecond))})
	if !o.hot {
		if err := notifyCost(ctx, t, pg, db, pgd); err != nil {
			return err
		}
	}

	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return err
	}
	url := pg.URL(name, pg.User, "")
	stored := func(polls []string) ([]loadgen.Ballot, error) { return loadgen.PostgresBallots(ctx, url, polls) }
	meter := &dbMeter{transactions: transactionCounter(pg, name), cpu: pg.CPU}
	args := []string{"--database-url", url}
	here := target{args: append(args, noClientLimits...), stored: stored, meter: meter}
	// The baseline gets a database of its own: this tree's server migrates
	// the schema forward, which an older server may not read.
	var base target
	if bins.baseline != "" {
		baseName := name + "_baseline"
		if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+baseName); err != nil {
			return err
		}
		baseURL := pg.URL(baseName, pg.User, "")
		baseArgs := []string{"--database-url", baseURL}
		if takesFlag(bins.baseline, "vote-rate-limit") { // a baseline with the limits gets them off too
			baseArgs = append(baseArgs, noClientLimits...)
		}
		base = target{args: baseArgs, meter: &dbMeter{transactions: transactionCounter(pg, baseName), cpu: pg.CPU},
			stored: func(polls []string) ([]loadgen.Ballot, error) { return loadgen.PostgresBallots(ctx, baseURL, polls) }}
	}
	current, err := hotPoll(ctx, t, o, bins, here, base, batched)
	args = here.args
	if err != nil {
		return err
	}
	if err := rankedHotPoll(ctx, t, o, bins, "postgres", here, current); err != nil {
		return err
	}
	if err := recordingCost(t, current); err != nil {
		return err
	}
	if o.hot {
		return nil
	}
	if o.peer {
		if err := benchPeer(ctx, t, o, pg, current); err != nil {
			return err
		}
	}
	return scenarios(ctx, t, o, "postgres", bins.current, args, stored, meter)
}

// side is one server of the hot-poll comparison: its best run, and the CPU
// per 1,000 votes of every round, in order.
type side struct {
	name, bin string
	target
	best   measured
	rounds []float64
}

// hotPoll measures the one-hot-poll vote run on this tree's server (with
// the limits per client address off), on the same server with the limits on
// (each vote from a new address, so that each costs the limiter a new
// client) and, when asked, on the baseline's (with args alone: it may
// predate those flags). Rounds alternate between them so that whatever else
// the machine does weighs on all alike. It returns this tree's best round
// with the limits off.
func hotPoll(ctx context.Context, t *table, o options, bins binaries, here, base target, batched float64) (measured, error) {
	on := here
	on.args, on.spread = append(append([]string(nil), here.args...), clientLimitsOn...), true
	limitsOn := &side{name: "votes, one hot poll, limits on", bin: bins.current, target: on}
	current := &side{name: "votes, one hot poll", bin: bins.current, target: here}
	sides := []*side{limitsOn, current}
	var baseline *side
	if bins.baseline != "" {
		baseline = &side{name: "votes, one hot poll, baseline " + o.baseline, bin: bins.baseline, target: base}
		sides = append([]*side{baseline}, sides...)
	}
	if err := alternate(ctx, o, bins, sides); err != nil {
		return measured{}, err
	}
	for _, sd := range sides {
		r := sd.best.row("postgres", sd.name)
		r.check += fmt.Sprintf("; %s pgbench %d/tx", ratio(sd.best.res.Rate(), batched), pgbenchBatch)
		t.add(r)
	}
	cur := current.best
	t.note("hot poll with the limits per client address on (--trust-proxy, each vote from an address of its own, the default 20 votes a second each): server CPU per 1,000 votes %.3f s against %.3f s with them off (%+.0f %%); %.0f against %.0f votes/s",
		limitsOn.best.cpuPer1000(), cur.cpuPer1000(), change(limitsOn.best.cpuPer1000(), cur.cpuPer1000()), limitsOn.best.res.Rate(), cur.res.Rate())
	if baseline != nil {
		b := baseline.best
		t.note("hot poll, this tree against %s (best of %d alternating rounds each): %s; %.0f against %.0f votes/s; log %.0f against %.0f bytes per 1,000 votes",
			o.baseline, o.rounds, cpuAgainst(current, baseline), cur.res.Rate(), b.res.Rate(), cur.logPer1000(), b.logPer1000())
		if err := atSameRate(ctx, t, o, bins, baseline, current); err != nil {
			return measured{}, err
		}
	}
	t.note("hot poll: %.2f of the batched pgbench ceiling (%.0f votes/s)", cur.res.Rate()/batched, batched)
	return cur, nil
}

// alternate runs every side o.rounds times, one after the other, and keeps
// each side's run with the least CPU per vote: a noisy neighbour only ever
// adds CPU time.
func alternate(ctx context.Context, o options, bins binaries, sides []*side) error {
	for round := range o.rounds {
		for _, sd := range sides {
			profile := ""
			if o.profile != "" && !sd.spread && round == 0 && takesFlag(sd.bin, "debug-addr") {
				profile = profileName(o.profile, sd.bin != bins.current, sd.rate != 0)
			}
			m, err := measureVotes(ctx, o, sd.bin, sd.target, 1, profile)
			if err != nil {
				return fmt.Errorf("%s: %w", sd.name, err)
			}
			sd.rounds = append(sd.rounds, m.cpuPer1000())
			if sd.best.res == nil || m.cpuPer1000() < sd.best.cpuPer1000() {
				sd.best = m
			}
		}
	}
	return nil
}

// profileName is where the first round's CPU profile of a hot-poll side
// goes: hot-poll[-same-rate][-baseline].pprof.
func profileName(dir string, baseline, sameRate bool) string {
	name := "hot-poll"
	if sameRate {
		name += "-same-rate"
	}
	if baseline {
		name += "-baseline"
	}
	return filepath.Join(dir, name+".pprof")
}

// atSameRate runs the baseline and this tree again at one offered rate that
// both reach (-same-rate; by default 70 % of the slower one's full speed).
// At full speed CPU per vote also depends on the rate each server reaches:
// a busier server shares its wake-ups and system calls among more votes,
// and the database's speed, which varies a lot on a shared machine, sets
// the rate. At the same rate both do the same work.
func atSameRate(ctx context.Context, t *table, o options, bins binaries, baseline, current *side) error {
	rate := o.sameRate
	if rate <= 0 {
		rate = math.Round(0.7*min(baseline.best.res.Rate(), current.best.res.Rate())/500) * 500
	}
	atRate := func(sd *side, name string) *side {
		tg := sd.target
		tg.rate = rate
		return &side{name: name, bin: sd.bin, target: tg}
	}
	base := atRate(baseline, fmt.Sprintf("votes, one hot poll at %.0f votes/s, baseline %s", rate, o.baseline))
	cur := atRate(current, fmt.Sprintf("votes, one hot poll at %.0f votes/s", rate))
	if err := alternate(ctx, o, bins, []*side{base, cur}); err != nil {
		return err
	}
	t.add(base.best.row("postgres", base.name))
	t.add(cur.best.row("postgres", cur.name))
	t.note("hot poll at the same offered rate (%.0f votes/s), this tree against %s (best of %d alternating rounds each): %s",
		rate, o.baseline, o.rounds, cpuAgainst(cur, base))
	return nil
}

// cpuAgainst compares two sides' CPU per 1,000 votes, best against best and
// round by round.
func cpuAgainst(cur, base *side) string {
	return fmt.Sprintf("server CPU per 1,000 votes %.3f s against %.3f s (%+.0f %%; %s)", cur.best.cpuPer1000(), base.best.cpuPer1000(),
		change(cur.best.cpuPer1000(), base.best.cpuPer1000()), roundByRound(cur, base))
}

// change is how far now is from before, in per cent.
func change(now, before float64) float64 { return (now/before - 1) * 100 }

// roundByRound compares the two sides' CPU per vote within each round, runs
// that were minutes apart at most, and gives the median of those changes
// beside them. The best of each side may come from different rounds; on a
// machine whose neighbours come and go the paired median says more about
// the typical change, and the spread says how far one run can be trusted.
// The baseline runs first in every round: pairing cancels the drift between
// rounds, not an effect of that order.
func roundByRound(cur, base *side) string {
	changes := make([]float64, min(len(cur.rounds), len(base.rounds)))
	parts := make([]string, len(changes))
	for i := range changes {
		changes[i] = change(cur.rounds[i], base.rounds[i])
		parts[i] = fmt.Sprintf("%+.0f", changes[i])
	}
	return fmt.Sprintf("round by round %s %%, median %+.0f %%", strings.Join(parts, ", "), median(changes))
}

// median is the middle value of xs (the mean of the two middle ones when
// there are evenly many); xs is sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	mid := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[mid-1] + xs[mid]) / 2
	}
	return xs[mid]
}

func benchSQLite(ctx context.Context, t *table, o options, bins binaries, dir string) error {
	path := dir + "/bench.db"
	stored := func(polls []string) ([]loadgen.Ballot, error) { return sqliteBallots(path, polls) }
	args := append([]string{"--database-url", "sqlite:" + path}, noClientLimits...)
	m, err := measureVotes(ctx, o, bins.current, target{args: args, stored: stored}, 1, "")
	if err != nil {
		return err
	}
	t.add(m.row("sqlite", "votes, one hot poll"))
	if err := rankedHotPoll(ctx, t, o, bins, "sqlite", target{args: args, stored: stored}, m); err != nil {
		return err
	}
	return scenarios(ctx, t, o, "sqlite", bins.current, args, stored, nil)
}

// target is where one side of the hot-poll comparison votes: its server's
// arguments (the database URL), how to read its stored ballots, and the
// meter of its database.
type target struct {
	args   []string
	stored storedFunc
	meter  *dbMeter
	spread bool    // each vote from an address of its own (loadgen.Config.SpreadAddresses)
	ranked bool    // the polls are ranked (loadgen.CreateRankedPoll, loadgen.Config.Ranked)
	rate   float64 // votes a second offered; 0: as fast as the server answers
}

// measured is one vote run on a fresh server.
type measured struct {
	res      *loadgen.Result
	cpu      float64 // server CPU seconds during the run
	logBytes int64   // bytes of log the server wrote during the run
	rss      float64
	check    string
	db       string // what the database did, when measured
}

// dbMeter measures what PostgreSQL does during a vote run: its
// transactions (a vote batch is one; votes per transaction is the batch
// size) and its CPU time, the inputs of the capacity model (docs/scaling.md).
type dbMeter struct {
	transactions counter
	cpu          func() (time.Duration, error)
}

func (m measured) cpuPer1000() float64 { return m.cpu / float64(len(m.res.Acked)) * 1000 }
func (m measured) logPer1000() float64 { return float64(m.logBytes) / float64(len(m.res.Acked)) * 1000 }

func (m measured) row(store, scenario string) row {
	return row{store: store, scenario: scenario, rate: fmt.Sprintf("%.0f votes/s", m.res.Rate()),
		p50: ms(m.res.Percentile(50)), p99: ms(m.res.Percentile(99)), max: ms(m.res.Percentile(100)),
		errors: fmt.Sprint(m.res.Failed()), rss: fmt.Sprintf("%.1f MB", m.rss),
		cpu: fmt.Sprintf("%.3f s", m.cpuPer1000()), log: fmt.Sprintf("%.0f B", m.logPer1000()), check: m.check + m.db}
}

// measureVotes starts a fresh server (so that its peak RSS is the run's
// own), votes on n new polls, and checks every acknowledged vote against
// the store.
func measureVotes(ctx context.Context, o options, bin string, tg target, n int, profile string) (measured, error) {
	args, stored, db := tg.args, tg.stored, tg.meter
	var debugAddr string
	if profile != "" {
		port, _ := pgtest.FreePort()
		debugAddr = fmt.Sprintf("127.0.0.1:%d", port)
		args = append(append([]string(nil), args...), "--debug-addr", debugAddr)
	}
	s, err := startServer(bin, args...)
	if err != nil {
		return measured{}, err
	}
	polls := make([]string, n)
	create := loadgen.CreatePoll
	if tg.ranked {
		create = loadgen.CreateRankedPoll
	}
	for i := range polls {
		if polls[i], err = create(s.url); err != nil {
			s.stop()
			return measured{}, err
		}
	}
	profiled := make(chan error, 1)
	if debugAddr != "" {
		go func() {
			profiled <- saveProfile(debugAddr, o.duration/2, profile)
		}()
	}
	cpu0, log0 := s.cpuSeconds(), s.logBytes.Load()
	var txs chan float64
	var dbCPU0 time.Duration
	if db != nil {
		txs = make(chan float64, 1)
		go func() { txs <- db.transactions.rateDuring(ctx, o.duration) }()
		dbCPU0, _ = db.cpu()
	}
	res := loadgen.Run(ctx, loadgen.Config{BaseURL: s.url, Polls: polls, Workers: o.workers, Duration: o.duration, SpreadAddresses: tg.spread, Rate: tg.rate, Ranked: tg.ranked})
	m := measured{res: res, cpu: s.cpuSeconds() - cpu0, logBytes: s.logBytes.Load() - log0, rss: s.peakRSS()}
	if db != nil && len(res.Acked) > 0 {
		dbCPU, _ := db.cpu()
		if tx := <-txs; tx > 0 {
			m.db = fmt.Sprintf("; database %.0f transactions/s, %.1f votes per transaction, %.0f µs CPU per vote",
				tx, res.Rate()/tx, float64((dbCPU-dbCPU0).Microseconds())/float64(len(res.Acked)))
		}
	}
	if debugAddr != "" {
		if err := <-profiled; err != nil {
			fmt.Println("  profile:", err)
		}
	}
	s.stop()
	if len(res.Acked) == 0 {
		return m, fmt.Errorf("no vote acknowledged: %s", res.Summary())
	}
	ballots, err := stored(polls)
	if err != nil {
		return m, err
	}
	missing, unacked, doubled := loadgen.Compare(res.Acked, ballots)
	m.check = fmt.Sprintf("lost %d, doubled %d", missing, doubled)
	if unacked > 0 {
		m.check += fmt.Sprintf(", unacknowledged %d", unacked)
	}
	if missing > 0 || doubled > 0 {
		return m, fmt.Errorf("%d acknowledged votes lost, %d doubled", missing, doubled)
	}
	return m, nil
}

// scenarios runs the other scenarios on one store, each on a fresh server.
func scenarios(ctx context.Context, t *table, o options, store, bin string, args []string, stored storedFunc, db *dbMeter) error {
	m, err := measureVotes(ctx, o, bin, target{args: args, stored: stored, meter: db}, 1000, "")
	if err != nil {
		return fmt.Errorf("%s votes, 1,000 polls: %w", store, err)
	}
	t.add(m.row(store, "votes, 1,000 polls"))

	s, err := startServer(bin, args...)
	if err != nil {
		return err
	}
	defer s.stop()
	t.add(row{store: store, scenario: "start to ready", rate: ms(s.ready)})
	poll, err := loadgen.CreatePoll(s.url)
	if err != nil {
		return err
	}
	reads, lat, errs := readResults(ctx, s.url, poll, o.readers, o.duration)
	t.add(row{store: store, scenario: "results reads", rate: fmt.Sprintf("%.0f reads/s", reads), p50: ms(loadgen.Percentile(lat, 50)), p99: ms(loadgen.Percentile(lat, 99)),
		max: ms(loadgen.Percentile(lat, 100)), errors: fmt.Sprint(errs), rss: fmt.Sprintf("%.1f MB", s.peakRSS())})
	if err := benchPageViews(t, o, store, bin, args); err != nil {
		return fmt.Errorf("%s page views: %w", store, err)
	}
	scenario := fmt.Sprintf("%d live-results viewers of one poll, update delay", o.subs)
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	viewers, err := openViewers(vctx, map[string][]string{poll: {s.url}}, o.subs)
	var delays []loadgen.Delay
	if err == nil {
		delays, err = loadgen.MeasureDelays(vctx, s.url, viewers, 3, 0, 500*time.Millisecond)
	}
	if err != nil {
		t.add(row{store: store, scenario: scenario, rate: "not measured: " + err.Error()})
		return nil
	}
	d := loadgen.FromAck(delays, nil)
	t.add(row{store: store, scenario: scenario, p50: ms(loadgen.Percentile(d, 50)), p99: ms(loadgen.Percentile(d, 99)),
		max: ms(loadgen.Percentile(d, 100)), errors: "0", rss: fmt.Sprintf("%.1f MB", s.peakRSS()), check: "from each vote's 201 to each viewer's event, 3 votes"})
	return nil
}

// saveProfile fetches a CPU profile of the server from its debug listener.
func saveProfile(addr string, d time.Duration, path string) error {
	time.Sleep(d / 4)
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

// readResults reads one poll's results from many readers for d.
func readResults(ctx context.Context, base, poll string, readers int, d time.Duration) (perSecond float64, lat []time.Duration, errors int) {
	cookies := make([]string, readers)
	for i := range cookies {
		cookies[i] = "pollstack_voter=" + loadgen.NewVoter()
	}
	start := time.Now()
	lat, errors = readFor(base, cookies, d, func(int, string) (string, int) { return "/api/v1/polls/" + poll + "/results", http.StatusOK })
	return float64(len(lat)) / time.Since(start).Seconds(), lat, errors
}

// readFor has one reader per cookie send GETs on a connection of its own
// for d: next names the path of its i-th request and the status it should
// get. It returns every request's latency, and how many failed.
func readFor(base string, cookies []string, d time.Duration, next func(i int, cookie string) (path string, want int)) (lat []time.Duration, errors int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for _, cookie := range cookies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _ := loadgen.Dial(base, 10*time.Second)
			defer conn.Close()
			var mine []time.Duration
			bad := 0
			for i := 0; time.Now().Before(deadline); i++ {
				path, want := next(i, cookie)
				t0 := time.Now()
				status, _, err := conn.Do("GET", path, cookie, "", "")
				if err != nil || status != want {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errors = append(lat, mine...), errors+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, errors
}

func sqliteBallots(path string, polls []string) ([]loadgen.Ballot, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	want := make(map[string]bool, len(polls))
	for _, p := range polls {
		want[p] = true
	}
	rows, err := db.Query(`SELECT poll_id, voter_id FROM ballots`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []loadgen.Ballot
	for rows.Next() {
		var b loadgen.Ballot
		if err := rows.Scan(&b.Poll, &b.Voter); err != nil {
			return nil, err
		}
		if want[b.Poll] {
			out = append(out, b)
		}
	}
	return out, rows.Err()
}
