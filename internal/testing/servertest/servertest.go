// Package servertest runs real pollstack server processes for end-to-end
// tests (faults, attacks, several instances): the binary built once per test
// binary, processes on free loopback ports, and a small health-checking
// round-robin proxy standing in for the ALB.
package servertest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/proc"
	"github.com/pollstack/pollstack/internal/testing/repo"
	"github.com/pollstack/pollstack/internal/testing/syncbuf"
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds ./cmd/pollstack once for the test binary and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "servertest-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "pollstack")
		build := exec.Command("go", "build", "-o", built.path, "./cmd/pollstack")
		build.Dir = repo.Root()
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("build pollstack: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

// Main runs a package's tests, then removes the built binary. Call it from
// TestMain (after anything else the package sets up).
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// MainPostgres starts a PostgreSQL of the package's own (its tests may stop
// and restart it), hands it to use, runs the tests as Main does, then
// removes the server and exits. Call it from TestMain.
func MainPostgres(m *testing.M, use func(*pgtest.Server) error) {
	s, stop, err := pgtest.Start()
	if err == nil {
		err = use(s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need PostgreSQL:", err)
		os.Exit(1)
	}
	code := Main(m)
	stop()
	os.Exit(code)
}

// CreatePoll creates a two-option poll through the API at base.
func CreatePoll(t testing.TB, base string) string {
	t.Helper()
	id, err := loadgen.CreatePoll(base)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// NoClientLimits are the flags that turn off the limits per client address
// (rate limits, live-results streams and connections per address): a load test sends
// everything from one loopback address, which they would turn away. The
// attack tests keep them on.
var NoClientLimits = []string{"--create-rate-limit", "0", "--vote-rate-limit", "0", "--stream-limit-per-address", "0", "--conn-limit-per-address", "0"}

// Process is one running pollstack server.
type Process struct {
	Cmd    *exec.Cmd
	Addr   string
	Log    *syncbuf.Buffer
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// Start starts `pollstack serve` on a free port with args and waits until it
// is ready. The process is killed at the end of the test; its log is shown if
// the test failed.
func Start(t testing.TB, args ...string) *Process {
	t.Helper()
	return StartEnv(t, nil, args...)
}

// StartEnv is Start with extra environment variables (KEY=VALUE).
func StartEnv(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{Addr: FreeAddr(t), Log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	p.Cmd = exec.Command(Binary(t), append([]string{"serve", "--addr", p.Addr}, args...)...)
	p.Cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Log, p.Log
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.Cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("server %s log:\n%s", p.Addr, p.Log.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get(p.URL() + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("server exited at start: %v\n%s", p.err, p.Log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 20 s:\n%s", p.Log.String())
		}
	}
}

// URL is the server's base URL.
func (p *Process) URL() string { return "http://" + p.Addr }

// Wait waits for the process to exit and returns how long that took.
func (p *Process) Wait(t testing.TB, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-p.exited:
		return time.Since(start)
	case <-time.After(limit):
		t.Fatalf("server did not exit within %v", limit)
		return 0
	}
}

// Err is the process's exit error, once it has exited.
func (p *Process) Err() error {
	<-p.exited
	return p.err
}

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// RSS is the process's resident memory in bytes, from /proc.
func (p *Process) RSS(t testing.TB) int64 {
	t.Helper()
	rss, err := proc.Memory(p.Cmd.Process.Pid, "VmRSS")
	if err != nil {
		t.Fatalf("read the server's memory: %v", err)
	}
	return rss
}

// FreeAddr returns a free loopback address (127.0.0.1:PORT).
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
