//go:build integration

// Package faults runs the failures a Fargate Spot deployment meets, with real
// processes: the pollstack binary, a throwaway PostgreSQL, and a small
// health-checking proxy standing in for the ALB.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/figures"
	"github.com/pollstack/pollstack/internal/loadgen"
	"github.com/pollstack/pollstack/internal/pgtest"
	"github.com/pollstack/pollstack/internal/repo"
	"github.com/pollstack/pollstack/internal/syncbuf"
)

var (
	binary string         // the pollstack binary under test
	pg     *pgtest.Server // one PostgreSQL for the package; each test has its own database
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faults-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "pollstack")
	build := exec.Command("go", "build", "-o", binary, "./cmd/pollstack")
	build.Dir = repo.Root()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build pollstack: %v\n%s", err, out)
		os.Exit(1)
	}
	s, stop, err := pgtest.Start()
	if err == nil {
		err = s.EnablePasswords()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault tests need PostgreSQL:", err)
		os.Exit(1)
	}
	pg = s
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running pollstack process.
type server struct {
	cmd    *exec.Cmd
	addr   string
	log    *syncbuf.Buffer
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// startServer starts pollstack serve on a free port and waits until it is ready.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: fmt.Sprintf("127.0.0.1:%d", port), log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"serve", "--addr", s.addr}, args...)...)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("server %s log:\n%s", s.addr, s.log.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(s.url() + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("server exited at start: %v\n%s", s.err, s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 20 s:\n%s", s.log.String())
		}
	}
}

func (s *server) url() string { return "http://" + s.addr }

// wait waits for the process to exit and returns how long that took.
func (s *server) wait(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-s.exited:
		return time.Since(start)
	case <-time.After(limit):
		t.Fatalf("server did not exit within %v", limit)
		return 0
	}
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// database creates a database for the test and returns its superuser URL.
func database(t *testing.T) (name, url string) {
	name = pg.CreateDatabase(t)
	return name, pg.URL(name, pg.User, "")
}

// createPoll creates a poll through the API and returns its id.
func createPoll(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Post(base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Fault test", "options": ["A", "B"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || res.StatusCode != 201 {
		t.Fatalf("create poll: %d %v", res.StatusCode, err)
	}
	return p.ID
}

// storedBallots reads every ballot of the polls from PostgreSQL.
func storedBallots(t *testing.T, dbURL string, polls []string) []loadgen.Ballot {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT poll_id, voter_id FROM ballots WHERE poll_id = ANY($1)`, polls)
	var out []loadgen.Ballot
	var b loadgen.Ballot
	if _, err := pgx.ForEachRow(rows, []any{&b.Poll, &b.Voter}, func() error { out = append(out, b); return nil }); err != nil {
		t.Fatal(err)
	}
	var counterSum, ballots int
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(ballots), 0), (SELECT count(*) FROM ballots WHERE poll_id = ANY($1)) FROM polls WHERE id = ANY($1)`, polls).Scan(&counterSum, &ballots)
	if err != nil || counterSum != ballots {
		t.Errorf("counters %d differ from stored ballots %d (%v)", counterSum, ballots, err)
	}
	return out
}

// checkNoLostVotes compares acknowledged and stored votes and prints the figures.
func checkNoLostVotes(t *testing.T, res *loadgen.Result, stored []loadgen.Ballot) {
	t.Helper()
	missing, unacked, doubled := loadgen.Compare(res.Acked, stored)
	figures.Print(t, "requests sent %d, failed %d, votes acknowledged %d, stored %d (acknowledged but missing %d, doubled %d, stored without acknowledgement %d)",
		res.Sent, res.Failed(), len(res.Acked), len(stored), missing, doubled, unacked)
	if missing != 0 || doubled != 0 {
		t.Errorf("%d acknowledged votes lost, %d counted twice", missing, doubled)
	}
}

// proxy stands in for the ALB: it health-checks /readyz of each backend
// every interval (two failures in a row make a backend unhealthy, one
// success healthy again, each check with a 1 s timeout) and sends requests
// round-robin to the healthy ones only. Like the ALB it does not retry a
// failed request.
type proxy struct {
	backends []*backend
	next     atomic.Uint64
	stop     chan struct{}
	wg       sync.WaitGroup
}

type backend struct {
	url      string
	healthy  atomic.Bool
	failures int // consecutive failed checks, touched only by the checker
	rp       *httputil.ReverseProxy
}

func startProxy(t *testing.T, interval time.Duration, urls ...string) string {
	p := &proxy{stop: make(chan struct{})}
	for _, u := range urls {
		target, _ := url.Parse(u)
		b := &backend{url: u, rp: httputil.NewSingleHostReverseProxy(target)}
		b.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
		}
		b.healthy.Store(true)
		p.backends = append(p.backends, b)
	}
	p.wg.Add(1)
	go p.check(interval)
	srv := &http.Server{Handler: p}
	port, _ := pgtest.FreePort()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { close(p.stop); p.wg.Wait(); srv.Close() })
	return "http://" + addr
}

func (p *proxy) check(interval time.Duration) {
	defer p.wg.Done()
	client := &http.Client{Timeout: time.Second}
	for {
		for _, b := range p.backends {
			res, err := client.Get(b.url + "/readyz")
			if err == nil && res.StatusCode == 200 {
				b.failures = 0
			} else {
				b.failures++
			}
			b.healthy.Store(b.failures < 2)
			if err == nil {
				res.Body.Close()
			}
		}
		select {
		case <-p.stop:
			return
		case <-time.After(interval):
		}
	}
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for range p.backends {
		b := p.backends[p.next.Add(1)%uint64(len(p.backends))]
		if b.healthy.Load() {
			b.rp.ServeHTTP(w, r)
			return
		}
	}
	http.Error(w, "no healthy backend", http.StatusServiceUnavailable)
}
