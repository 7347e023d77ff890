// Package motoserver runs the AWS API emulator (moto in server mode) for
// tests: one server per test binary on a free loopback port. moto is pinned
// in scripts/install-tools.sh and installed into .tools/ by `make tools`.
package motoserver

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

	"github.com/pollstack/pollstack/internal/repo"
	"github.com/pollstack/pollstack/internal/syncbuf"
)

var server struct {
	once sync.Once
	url  string
	err  error
	log  *syncbuf.Buffer
}

// URL starts moto once for this test binary and returns its endpoint. The
// server dies with the test binary. A missing moto fails the test with what
// to install.
func URL(tb testing.TB) string {
	tb.Helper()
	server.once.Do(start)
	if server.err != nil {
		tb.Fatal(server.err)
	}
	return server.url
}

// Log is what moto has printed, for failure messages.
func Log() string {
	if server.log == nil {
		return ""
	}
	return server.log.String()
}

// Reset drops every resource in the emulator.
func Reset(tb testing.TB) {
	tb.Helper()
	res, err := http.Post(URL(tb)+"/moto-api/reset", "application/json", nil)
	if err != nil {
		tb.Fatalf("reset moto: %v", err)
	}
	res.Body.Close()
}

func start() {
	bin := filepath.Join(repo.ToolsBin(), "moto_server")
	if _, err := os.Stat(bin); err != nil {
		server.err = fmt.Errorf("moto_server is not installed at %s: run `make tools` (or scripts/install-tools.sh moto_server) to install moto[server]", bin)
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		server.err = err
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	server.log = &syncbuf.Buffer{}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = server.log, server.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test binary
	// AWS managed policies (AmazonRDSEnhancedMonitoringRole and the like)
	// exist in every account; moto loads them only when asked. ACM
	// certificates validated by DNS are issued at the first look instead of
	// after moto's default 60 s.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_ACM_VALIDATION_WAIT=0")
	if err := cmd.Start(); err != nil {
		server.err = fmt.Errorf("start moto_server: %w", err)
		return
	}
	go cmd.Wait()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if res, err := http.Get(url + "/moto-api/data.json"); err == nil {
			res.Body.Close()
			server.url = url
			return
		}
	}
	server.err = fmt.Errorf("moto_server did not answer on %s within 60 s:\n%s", url, server.log.String())
}
