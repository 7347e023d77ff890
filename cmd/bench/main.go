// Command bench measures pollstack under load and prints a table: votes on
// one hot poll and on many polls, results reads, live-results subscribers,
// start-up time, binary size and the server's peak memory, on both stores,
// and PostgreSQL's own ceiling for the same schema measured with pgbench in
// the same run. After every vote run it compares the acknowledged votes
// with the stored ballots. Run it with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pollstack/pollstack/internal/pgtest"
)

type options struct {
	duration time.Duration
	workers  int
	readers  int
	subs     int
	stores   string
	out      string
	profile  string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each load run")
	flag.IntVar(&o.workers, "workers", 128, "concurrent voters in flight")
	flag.IntVar(&o.readers, "readers", 64, "concurrent results readers")
	flag.IntVar(&o.subs, "subscribers", 1000, "live-results subscribers")
	flag.StringVar(&o.stores, "stores", "postgres,sqlite", "stores to measure")
	flag.StringVar(&o.out, "out", "out/bench.md", "also write the table here")
	flag.StringVar(&o.profile, "cpuprofile", "", "write the server's CPU profile of each hot-poll run to this directory")
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
	bin, err := buildServer(dir)
	if err != nil {
		return err
	}
	pg, stop, err := pgtest.Start("synchronous_commit = on", "fsync = on", "max_connections = 300")
	if err != nil {
		return err
	}
	defer stop()

	t := &table{}
	t.note("machine: %s", machine())
	t.note("binary: %.1f MB; each load run %v with %d concurrent voters over loopback, load generator in the same machine", fileMB(bin), o.duration, o.workers)
	t.note("rate limits per client address: off (%s), as the load comes from one address, except where a scenario says \"limits on\"", strings.Join(noClientLimits, " "))
	if strings.Contains(o.stores, "postgres") {
		if err := benchPostgres(ctx, t, o, bin, pg); err != nil {
			return err
		}
	}
	if strings.Contains(o.stores, "sqlite") {
		if err := benchSQLite(ctx, t, o, bin, dir); err != nil {
			return err
		}
	}
	out := t.String()
	fmt.Print(out)
	if o.out != "" {
		os.MkdirAll(filepath.Dir(o.out), 0o755)
		return os.WriteFile(o.out, []byte(out), 0o644)
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
