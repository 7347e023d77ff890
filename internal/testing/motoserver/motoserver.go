// Package motoserver runs the AWS API emulator (moto in server mode) for
// tests, one server per test on a free loopback port, so that tests that
// each build a whole stack can run in parallel without seeing each other's
// resources. moto is pinned in scripts/install-tools.sh and installed into
// .tools/ by `make tools`.
package motoserver

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/repo"
	"github.com/pollstack/pollstack/internal/testing/syncbuf"
)

// Server is one moto process.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string
	log *syncbuf.Buffer
}

// Start starts a moto server for this test alone and stops it when the test
// (and its subtests) end; it also dies with the test binary. A missing moto
// fails the test with what to install.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := filepath.Join(repo.ToolsBin(), "moto_server")
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("moto_server is not installed at %s: run `make tools` (or scripts/install-tools.sh moto_server) to install moto[server]", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: &syncbuf.Buffer{}}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test binary
	// AWS managed policies (AmazonRDSEnhancedMonitoringRole and the like)
	// exist in every account; moto loads them only when asked. ACM
	// certificates validated by DNS are issued at the first look instead of
	// after moto's default 60 s.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_ACM_VALIDATION_WAIT=0")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		select {
		case <-exited:
			tb.Fatalf("moto_server exited before answering:\n%s", s.log.String())
		default:
		}
		if res, err := http.Get(s.URL + "/moto-api/data.json"); err == nil {
			res.Body.Close()
			return s
		}
	}
	tb.Fatalf("moto_server did not answer on %s within 60 s:\n%s", s.URL, s.log.String())
	return nil
}

// Log is what moto has printed, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// Reset drops every resource in the emulator.
func (s *Server) Reset(tb testing.TB) {
	tb.Helper()
	res, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		tb.Fatalf("reset moto: %v", err)
	}
	res.Body.Close()
}
