// Command capacity turns what `make bench` measured into the capacity model
// of docs/scaling.md: votes a second per task and per RDS instance class,
// database connections, one poll's hot-row limit (a small simulation of
// group commit on the poll's row lock, with several tasks and commit
// latencies this machine cannot measure), and what 10 and 100 times the
// benchmark's load would need: tasks, database, notifications, refresh
// reads, load balancer capacity units. Its defaults are figures a `make
// bench` run on a 2-core machine printed; give your own run's as flags.
//
//	go run ./cmd/capacity
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// inputs are the measured figures the model is built from, and the few
// settings of the product and platform it depends on.
type inputs struct {
	serverCPUPerVote time.Duration // hot poll: the server's CPU time per vote
	dbCPUPerVote     time.Duration // hot poll: PostgreSQL's CPU time per vote
	dbCPUPerRefresh  time.Duration // PostgreSQL's CPU time per refresh read of a watched poll
	eventCPU         time.Duration // the server's CPU time per event delivered to a viewer
	viewerMemory     float64       // bytes per open viewer
	idleMemory       float64       // bytes of a server with no viewers
	eventBytes       float64       // one results event on the wire (two options)
	batchFixed       time.Duration // one vote batch holds its poll's row lock this long on this machine...
	batchPerVote     time.Duration // ...plus this per vote in it
	rdsCommit        time.Duration // what a batch of one holds the row on RDS gp3, single-AZ (assumed)
	multiAZCommit    time.Duration // and on RDS Multi-AZ, which waits for the standby (assumed)
	cpuTarget        float64       // the autoscaling policy's CPU target
	refreshPerSecond float64       // most refresh reads of one poll a second on one task (1 / the view cache's gap)
}

func main() {
	var in inputs
	flag.DurationVar(&in.serverCPUPerVote, "server-cpu-per-vote", 140*time.Microsecond, "server CPU time per vote (make bench: hot poll, server CPU per 1,000 votes / 1,000)")
	flag.DurationVar(&in.dbCPUPerVote, "db-cpu-per-vote", 65*time.Microsecond, "PostgreSQL CPU time per vote (make bench: hot poll, database µs CPU per vote)")
	flag.DurationVar(&in.dbCPUPerRefresh, "db-cpu-per-refresh", 110*time.Microsecond, "PostgreSQL CPU time per refresh read (make bench: refresh read)")
	flag.DurationVar(&in.eventCPU, "event-cpu", 40*time.Microsecond, "server CPU time per event delivered to a viewer (make bench: fan-out row)")
	flag.Float64Var(&in.viewerMemory, "viewer-kb", 29, "KB of server memory per open viewer (make bench: memory row)")
	flag.Float64Var(&in.idleMemory, "idle-mb", 28, "MB of an idle server (make bench: peak RSS of the idle viewers' servers, halved)")
	flag.Float64Var(&in.eventBytes, "event-bytes", 200, "bytes of one results event of a two-option poll on the wire, chunk framing and TLS included")
	flag.DurationVar(&in.batchFixed, "batch-fixed", 10*time.Millisecond, "time a batch of one vote holds its poll's row on this machine (go test -tags integration -run '^$' -bench BatchStatement ./postgres)")
	flag.DurationVar(&in.batchPerVote, "batch-per-vote", 65*time.Microsecond, "and each vote more: PostgreSQL's CPU time per vote, for the lock is held while it works (make bench: hot poll)")
	flag.DurationVar(&in.rdsCommit, "rds-commit", 2*time.Millisecond, "what a batch of one vote holds its row on RDS gp3, single-AZ: statement and durable commit (not measurable here)")
	flag.DurationVar(&in.multiAZCommit, "multi-az-commit", 4*time.Millisecond, "the same on RDS Multi-AZ, whose commits wait for the standby (not measurable here)")
	flag.Float64Var(&in.cpuTarget, "cpu-target", 0.6, "the autoscaling policy's CPU target (infra/modules/compute cpu_target_percent)")
	flag.Float64Var(&in.refreshPerSecond, "refreshes", 10, "most refresh reads of one poll a second on one task (web: the view cache's 100 ms gap)")
	flag.Parse()
	in.viewerMemory *= 1 << 10
	in.idleMemory *= 1 << 20
	report(os.Stdout, in)
}

// Published figures: AWS's, not measured here.
const (
	// connectionsPerTask: the pgx pool's default of max(4, CPUs) on tasks
	// of up to 4 vCPUs, and the change feed's LISTEN connection.
	connectionsPerTask = 5
	// announcesPerSecond: a task's notification transactions a second at
	// most (postgres' announceGap, 20 ms).
	announcesPerSecond = 50
	// RDS sets max_connections to LEAST(DBInstanceClassMemory/9531392,
	// 5000); the class's usable memory is about 90 % of its nominal size
	// (db.t3.small's 2 GiB give 198).
	connectionBytes = 9531392
	usableMemory    = 0.9
	// An ALB capacity unit covers 25 new connections a second, 3,000
	// active connections a minute, 1 GB of traffic an hour to
	// containers, or 1,000 rule evaluations a second; it costs 0.008 USD
	// an hour (us-east-1).
	lcuNewConnections    = 25.0
	lcuActiveConnections = 3000.0
	lcuBytesPerHour      = 1e9
	lcuUSDPerHour        = 0.008
)

// fargate lists task sizes: vCPU, memory in MiB (the smallest the CPU allows).
var fargate = []struct {
	vcpu   float64
	memory float64
}{{0.25, 512}, {0.5, 1024}, {1, 2048}, {2, 4096}, {4, 8192}}

// rds lists instance classes: vCPUs, memory in GiB, and the CPU share they
// sustain (burstable T classes run at their baseline once their credits are
// spent; the others at all of it).
var rds = []struct {
	class    string
	vcpu     float64
	memory   float64
	baseline float64
}{
	{"db.t3.micro", 2, 1, 0.10}, {"db.t3.small", 2, 2, 0.20}, {"db.t3.medium", 2, 4, 0.20},
	{"db.m6g.large", 2, 8, 1}, {"db.m6g.xlarge", 4, 16, 1}, {"db.m6g.2xlarge", 8, 32, 1}, {"db.m6g.4xlarge", 16, 64, 1},
}

// dbUse is the share of a database's sustained CPU the model plans to use.
const dbUse = 0.7

func report(w io.Writer, in inputs) {
	fmt.Fprintf(w, "Inputs: server %v CPU per vote, PostgreSQL %v per vote and %v per refresh read, %v per event delivered; %.0f KB per viewer, idle server %.0f MB; a batch holds its row %v + %v per vote here, %v on RDS and %v on Multi-AZ (assumed); CPU target %.0f %%.\n\n",
		in.serverCPUPerVote, in.dbCPUPerVote, in.dbCPUPerRefresh, in.eventCPU, in.viewerMemory/1024, in.idleMemory/(1<<20), in.batchFixed, in.batchPerVote, in.rdsCommit, in.multiAZCommit, in.cpuTarget*100)
	tasks(w, in)
	databases(w, in)
	hotRows(w, in)
	scales(w, in)
}

func tasks(w io.Writer, in inputs) {
	fmt.Fprintln(w, "### One task")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| task | votes/s at the CPU target | or events/s to viewers | viewers in 75 % of memory | database connections |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, t := range fargate {
		cpu := t.vcpu * in.cpuTarget
		viewers := (t.memory*(1<<20)*0.75 - in.idleMemory) / in.viewerMemory
		fmt.Fprintf(w, "| %g vCPU, %.0f MiB | %s | %s | %s | %d |\n", t.vcpu, t.memory,
			round(cpu/in.serverCPUPerVote.Seconds()), round(cpu/in.eventCPU.Seconds()), round(viewers), connectionsPerTask)
	}
	fmt.Fprintln(w)
}

func maxConnections(memoryGiB float64) float64 {
	return math.Min(5000, math.Floor(memoryGiB*(1<<30)*usableMemory/connectionBytes))
}

func databases(w io.Writer, in inputs) {
	fmt.Fprintln(w, "### The database")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| class | sustained CPU | votes/s (70 % of it) | max_connections (about) | tasks it can hold through a deploy |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, c := range rds {
		cpu := c.vcpu * c.baseline * dbUse
		conns := maxConnections(c.memory)
		fmt.Fprintf(w, "| %s | %g × %.0f %% | %s | %.0f | %.0f |\n", c.class, c.vcpu, c.baseline*100,
			round(cpu/in.dbCPUPerVote.Seconds()), conns, math.Floor((conns-10)/(2*connectionsPerTask)))
	}
	fmt.Fprintln(w)
}

func (in inputs) row(tasks int, fixed time.Duration) hotRow {
	return hotRow{tasks: tasks, maxBatch: 512, fixed: fixed, perVote: in.batchPerVote}
}

func hotRows(w io.Writer, in inputs) {
	fmt.Fprintln(w, "### One poll's row (simulated)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| database | tasks | votes/s on one poll with p99 ≤ 50 ms | with p99 ≤ 1 s | votes per batch then | row locked then |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, db := range []struct {
		name  string
		fixed time.Duration
	}{
		{fmt.Sprintf("this machine (measured: %v a batch)", in.batchFixed), in.batchFixed},
		{fmt.Sprintf("RDS gp3 (assumed: %v)", in.rdsCommit), in.rdsCommit},
		{fmt.Sprintf("RDS Multi-AZ (assumed: %v)", in.multiAZCommit), in.multiAZCommit},
	} {
		for _, n := range []int{1, 3, 10, 30} {
			h := in.row(n, db.fixed)
			fast, slow := h.limit(50*time.Millisecond, 2*time.Second), h.limit(time.Second, 2*time.Second)
			fmt.Fprintf(w, "| %s | %d | %s | %s | %.0f | %.0f %% |\n", db.name, n, round(fast.offered), round(slow.offered), slow.meanBatch, slow.lockBusy*100)
		}
	}
	fmt.Fprintln(w)
}

// load is a level of use of the product.
type load struct {
	name          string
	votes         float64 // votes a second, all polls
	hotShare      float64 // share of them on the busiest poll
	polls         float64 // polls taking votes and watched
	viewers       float64 // open live-results viewers
	reconnectRate float64 // viewers that connect again each second (task replaced, network)
}

func scales(w io.Writer, in inputs) {
	base := load{name: "the benchmark", votes: 2000, hotShare: 0.5, polls: 100, viewers: 10000, reconnectRate: 10000.0 / 600}
	fmt.Fprintln(w, "### 10 and 100 times the benchmark's load")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | the benchmark | 10x | 100x |")
	fmt.Fprintln(w, "|---|---|---|---|")
	var rows [][]string
	for _, k := range []float64{1, 10, 100} {
		l := base
		l.votes, l.polls, l.viewers, l.reconnectRate = base.votes*k, base.polls*k, base.viewers*k, base.reconnectRate*k
		rows = append(rows, in.needs(l))
	}
	labels := []string{"votes/s (busiest poll)", "viewers over polls", "tasks of 1 vCPU, 2 GiB", "busiest poll's row",
		"change notifications/s (each task hears all)", "refresh reads/s (every task watches every poll)", "database CPU (votes + refreshes)",
		"database connections", "events/s to viewers", "ALB capacity units (active, new, bytes)", "ALB, USD an hour"}
	for i, label := range labels {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, rows[0][i], rows[1][i], rows[2][i])
	}
	fmt.Fprintln(w)
}

// needs works out what a load needs, one cell per row of the scales table.
func (in inputs) needs(l load) []string {
	// Events: each viewer gets its poll's counts at most refreshPerSecond
	// times a second, and at most once per batch.
	perPoll := l.votes / l.polls
	eventsPerViewer := math.Min(in.refreshPerSecond, perPoll)
	events := l.viewers * eventsPerViewer
	// Tasks of 1 vCPU and 2 GiB: CPU for votes and events, memory for viewers.
	cpu := l.votes*in.serverCPUPerVote.Seconds() + events*in.eventCPU.Seconds()
	byCPU := cpu / in.cpuTarget
	byMemory := l.viewers / ((2048*(1<<20)*0.75 - in.idleMemory) / in.viewerMemory)
	tasks := math.Max(2, math.Ceil(math.Max(byCPU, byMemory)))
	// The busiest poll against its row's limit with that many writers.
	hot := l.votes * l.hotShare
	limit := in.row(int(tasks), in.multiAZCommit).limit(time.Second, 2*time.Second).offered
	hotCell := fmt.Sprintf("%s votes/s of a %s limit (p99 ≤ 1 s, %.0f writers)", round(hot), round(limit), tasks)
	if hot > limit {
		hotCell += ": over, needs counters split over several rows"
	}
	// Notifications: a task announces its committed vote batches at most
	// announcesPerSecond times a second, one notification per 200 polls
	// changed meanwhile (postgres' announcer), and fewer when votes are few.
	notifications := tasks * math.Min(l.votes/tasks, announcesPerSecond*math.Ceil(l.polls/200))
	// Refreshes: every task with viewers of a poll reads it once per
	// notification, at most refreshPerSecond times a second.
	refreshes := tasks * l.polls * math.Min(in.refreshPerSecond, perPoll)
	dbCPU := l.votes*in.dbCPUPerVote.Seconds() + refreshes*in.dbCPUPerRefresh.Seconds()
	class, classConnections := "more than the largest class listed", 5000.0
	for _, c := range rds {
		if c.vcpu*c.baseline*dbUse >= dbCPU {
			class, classConnections = c.class, maxConnections(c.memory)
			break
		}
	}
	conns := tasks * connectionsPerTask * 2
	connCell := fmt.Sprintf("%.0f in a deploy", conns)
	if conns > 0.8*classConnections {
		connCell += ": RDS Proxy for the pools (the LISTEN connections go direct)"
	}
	active := l.viewers / lcuActiveConnections
	fresh := l.reconnectRate / lcuNewConnections
	bytes := events * in.eventBytes * 3600 / lcuBytesPerHour
	lcu := math.Max(active, math.Max(fresh, bytes))
	return []string{
		fmt.Sprintf("%s (%s)", round(l.votes), round(hot)),
		fmt.Sprintf("%s over %s", round(l.viewers), round(l.polls)),
		fmt.Sprintf("%.0f (CPU %.1f, memory %.1f)", tasks, byCPU, byMemory),
		hotCell,
		round(notifications),
		round(refreshes),
		fmt.Sprintf("%.1f vCPU: %s", dbCPU, class),
		connCell,
		round(events),
		fmt.Sprintf("%s (%s, %s, %s)", round(lcu), round(active), round(fresh), round(bytes)),
		fmt.Sprintf("%.2f", 0.0225+lcu*lcuUSDPerHour),
	}
}

// round prints a figure with two significant digits and thousands separated.
func round(v float64) string {
	if v < 10 {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
	}
	digits := math.Pow(10, math.Floor(math.Log10(v))-1)
	n := int64(math.Round(v/digits) * digits)
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
