// Command bench measures pollstack under load and prints a table: votes on
// one hot poll and on many polls, results reads, live-results viewers,
// start-up time, binary size and the server's peak memory, page views with
// the database transactions they cost, on both stores,
// PostgreSQL's own ceiling for the same schema measured with pgbench in the
// same run, and live results across two server processes (idle cost, memory
// per viewer, update delay, database transactions per second). After every
// vote run it compares the acknowledged votes with the stored ballots. Run
// it with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

type options struct {
	duration time.Duration
	workers  int
	readers  int
	subs     int
	stores   string
	out      string
	profile  string
	baseline string // a git revision whose server runs beside this tree's
	rounds   int
	peer     bool
	hot      bool    // only the hot poll against the baseline and pgbench's ceilings
	sameRate float64 // votes a second offered to both servers in the same-rate comparison

	views       bool // only the page views and what they cost the database
	live        bool // only the live-results scenarios
	idle        time.Duration
	idlePolls   int
	viewers     int
	viewerPolls int
}

// binaries are the servers under test: this tree's, and the baseline's
// when one is given.
type binaries struct{ current, baseline string }

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each load run")
	flag.IntVar(&o.workers, "workers", 128, "concurrent voters in flight")
	flag.IntVar(&o.readers, "readers", 64, "concurrent results readers")
	flag.IntVar(&o.subs, "subscribers", 1000, "live-results subscribers")
	flag.StringVar(&o.stores, "stores", "postgres,sqlite", "stores to measure")
	flag.StringVar(&o.out, "out", "out/bench.md", "also write the table here")
	flag.StringVar(&o.profile, "cpuprofile", "", "write the servers' CPU profiles of the first hot-poll round, at full speed and at the same rate, to this directory")
	flag.BoolVar(&o.hot, "hot", false, "only the hot poll on PostgreSQL (this tree, the -baseline) and pgbench's ceilings: the quick measure of CPU per vote")
	flag.StringVar(&o.baseline, "baseline", "", "git revision whose server runs the hot poll and the idle viewers beside this tree's, in the same run (make bench BASELINE=REV)")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating hot-poll rounds of each server; the best of each counts")
	flag.Float64Var(&o.sameRate, "same-rate", 0, "votes a second offered to this tree's and the -baseline's server alike, to compare their CPU per vote at the same work (default: 70 % of the slower one's full speed)")
	flag.BoolVar(&o.peer, "peer", true, "also measure the peer (a Django vote view under gunicorn, Debian's python3-django and gunicorn) on the same database")
	flag.BoolVar(&o.views, "views", false, "only the page views (poll page and votes/mine) and the database transactions they cost, on each of -stores")
	flag.BoolVar(&o.live, "live", false, "only the live-results scenarios on PostgreSQL with two server processes")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "how long to count the database's transactions while nobody votes")
	flag.IntVar(&o.idlePolls, "idle-polls", 200, "polls with one idle viewer each, over two processes")
	flag.IntVar(&o.viewers, "viewers", 10000, "live-results viewers over -viewer-polls polls, over two processes")
	flag.IntVar(&o.viewerPolls, "viewer-polls", 100, "polls the -viewers watch")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.rounds < 1 {
		return fmt.Errorf("-rounds %d: want 1 or more", o.rounds)
	}
	bins := binaries{current: filepath.Join(dir, "pollstack")}
	if err := buildServer(repo.Root(), bins.current); err != nil {
		return err
	}
	if o.baseline != "" {
		if bins.baseline, err = buildBaseline(o.baseline, dir); err != nil {
			return err
		}
	}
	pg, stop, err := pgtest.Start("synchronous_commit = on", "fsync = on", "max_connections = 300")
	if err != nil {
		return err
	}
	defer stop()

	t := &table{}
	t.note("machine: %s", machine())
	t.note("binary: %.1f MB; each load run %v with %d concurrent voters over loopback, load generator in the same machine; servers log as in production (info, --log-sample default)", fileMB(bins.current), o.duration, o.workers)
	t.note("rate limits per client address: off (%s), as the load comes from one address, except where a scenario says \"limits on\"", strings.Join(noClientLimits, " "))
	if err := scenariosFor(ctx, t, o, bins, pg, dir); err != nil {
		return err
	}
	out := t.String()
	fmt.Print(out)
	if o.out != "" {
		os.MkdirAll(filepath.Dir(o.out), 0o755)
		return os.WriteFile(o.out, []byte(out), 0o644)
	}
	return nil
}

// scenariosFor runs what the flags ask for: -live and -hot each narrow the
// run to one part of it.
func scenariosFor(ctx context.Context, t *table, o options, bins binaries, pg *pgtest.Server, dir string) error {
	switch {
	case o.live:
		return benchLive(ctx, t, o, bins, pg)
	case o.views:
		return benchViewsOnly(ctx, t, o, bins, pg, dir)
	case o.hot:
		return benchPostgres(ctx, t, o, bins, pg)
	}
	rankedResults(t)
	if strings.Contains(o.stores, "postgres") {
		if err := benchPostgres(ctx, t, o, bins, pg); err != nil {
			return err
		}
		if err := benchLive(ctx, t, o, bins, pg); err != nil {
			return err
		}
	}
	if strings.Contains(o.stores, "sqlite") {
		return benchSQLite(ctx, t, o, bins, dir)
	}
	return nil
}

func fileMB(path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(st.Size()) / (1 << 20)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s", cpu, numCPU(), time.Now().UTC().Format("2006-01-02"))
}
