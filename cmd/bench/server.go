package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack/internal/pgtest"
	"github.com/pollstack/pollstack/internal/repo"
)

// buildServer builds the pollstack binary as it ships (static, stripped).
func buildServer(dir string) (string, error) {
	bin := dir + "/pollstack"
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/pollstack")
	cmd.Dir = repo.Root()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build pollstack: %v\n%s", err, out)
	}
	return bin, nil
}

// server is a pollstack process under test.
type server struct {
	cmd   *exec.Cmd
	url   string
	ready time.Duration // from process start to /readyz 200
}

// noClientLimits turn off the limits per client address: the load comes
// from one loopback address, which they would turn away. The table says
// so, and one scenario measures the vote path with them on.
var noClientLimits = []string{"--create-rate-limit", "0", "--vote-rate-limit", "0"}

// startServer starts a server with the limits per client address off,
// unless args turn them on again (a later flag wins).
func startServer(bin string, args ...string) (*server, error) {
	port, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	flags := append([]string{"serve", "--addr", addr, "--log-level", "warn", "--drain-period", "0s"}, noClientLimits...)
	cmd := exec.Command(bin, append(flags, args...)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr}
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
	cmd.Process.Kill()
	return nil, fmt.Errorf("server not ready within 20 s")
}

// peakRSS is the process's resident set high-water mark, in MB.
func (s *server) peakRSS() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return float64(kb) / 1024
		}
	}
	return 0
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
