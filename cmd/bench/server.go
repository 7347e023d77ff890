package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/proc"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// buildServer builds the pollstack binary of the source tree src as it
// ships (static, stripped).
func buildServer(src, bin string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/pollstack")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build pollstack in %s: %v\n%s", src, err, out)
	}
	return nil
}

// buildBaseline builds the server as it was at a git revision, from a copy
// of that revision's tree (git archive), for the side-by-side runs.
func buildBaseline(rev, dir string) (string, error) {
	if strings.HasPrefix(rev, "-") || exec.Command("git", "-C", repo.Root(), "rev-parse", "--verify", "--quiet", rev+"^{commit}").Run() != nil {
		return "", fmt.Errorf("-baseline %q: not a commit of this repository", rev)
	}
	src := filepath.Join(dir, "baseline-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	archive := exec.Command("git", "-C", repo.Root(), "archive", "--format=tar", rev)
	untar := exec.Command("tar", "-x", "-C", src)
	untar.Stdin, _ = archive.StdoutPipe()
	if err := untar.Start(); err != nil {
		return "", err
	}
	if err := archive.Run(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	if err := untar.Wait(); err != nil {
		return "", fmt.Errorf("unpack %s: %w", rev, err)
	}
	bin := filepath.Join(dir, "pollstack-baseline")
	return bin, buildServer(src, bin)
}

// server is a pollstack process under test.
type server struct {
	cmd      *exec.Cmd
	url      string
	ready    time.Duration // from process start to /readyz 200
	logBytes atomic.Int64  // bytes the server wrote to stdout and stderr: its log
}

// noClientLimits turn off the limits per client address (and the bound on
// live-results streams, which the viewers scenario passes): the load comes
// from one loopback address, which they would turn away. The table says
// so, and one scenario measures the vote path with them on. A baseline
// from before the limits has neither the limits nor these flags.
var noClientLimits = []string{"--create-rate-limit", "0", "--vote-rate-limit", "0", "--stream-limit", "0", "--stream-limit-per-address", "0"}

// clientLimitsOn turns the rate limits on again, at their defaults, behind
// a trusted proxy: the "limits on" scenario sends each vote from an address
// of its own (X-Forwarded-For), so none is refused and every vote costs the
// limiter a new client.
var clientLimitsOn = []string{"--trust-proxy=true", "--create-rate-limit", "10", "--vote-rate-limit", "20"}

// startServer starts bin with the production's log settings (the defaults):
// what the log costs is part of what is measured.
func startServer(bin string, args ...string) (*server, error) {
	port, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{url: "http://" + addr}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--drain-period", "0s"}, args...)...)
	// The connection caps (per address, and 4,096 in all) would turn away
	// the viewers scenario's 5,000 streams a server from one address. They
	// are set through the environment, which a baseline that predates them
	// ignores.
	s.cmd.Env = append(os.Environ(), "POLLSTACK_CONN_LIMIT=0", "POLLSTACK_CONN_LIMIT_PER_ADDRESS=0")
	s.cmd.Stdout, s.cmd.Stderr = (*countingWriter)(&s.logBytes), (*countingWriter)(&s.logBytes)
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for time.Since(start) < 20*time.Second {
		if res, err := http.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	return nil, fmt.Errorf("server not ready within 20 s")
}

// countingWriter counts what is written to it and drops it.
type countingWriter atomic.Int64

func (c *countingWriter) Write(b []byte) (int, error) {
	(*atomic.Int64)(c).Add(int64(len(b)))
	return len(b), nil
}

// peakRSS is the process's resident set high-water mark, in MB.
func (s *server) peakRSS() float64 {
	hwm, _ := proc.Memory(s.cmd.Process.Pid, "VmHWM")
	return float64(hwm) / (1 << 20)
}

// rss is the process's resident set now, in bytes.
func (s *server) rss() int64 {
	rss, _ := proc.Memory(s.cmd.Process.Pid, "VmRSS")
	return rss
}

// cpuSeconds is the CPU time (user and system) the process has used so far.
func (s *server) cpuSeconds() float64 {
	st, _ := proc.Read(s.cmd.Process.Pid)
	return st.CPU.Seconds()
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
	}
}

func numCPU() int { return runtime.NumCPU() }

var _ io.Writer = (*countingWriter)(nil)

// takesFlag reports whether the server binary has the flag (its serve -h
// lists it): a baseline may predate it.
func takesFlag(bin, flag string) bool {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+flag+" ")
}
