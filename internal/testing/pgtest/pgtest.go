// Package pgtest runs a throwaway PostgreSQL server for tests: initdb and
// pg_ctl from the machine's PostgreSQL binaries, a temporary directory and a
// free loopback port. A missing binary fails the test with what to install.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/testing/proc"
)

// Server is a running PostgreSQL cluster owned by the test process.
type Server struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // data directory
	sock string // unix socket directory
	Host string // 127.0.0.1 for a server of our own
	Port int
	User string
	mu   sync.Mutex
}

// BinDir finds the PostgreSQL server binaries: $POSTGRES_BIN, then PATH,
// then /usr/lib/postgresql/<newest>/bin (Debian's layout).
func BinDir() (string, error) {
	if dir := os.Getenv("POSTGRES_BIN"); dir != "" {
		return dir, nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real // a link in /usr/local/bin: the other binaries are beside the real one
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install them (Debian: apt-get install postgresql) or set POSTGRES_BIN")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start initialises and starts a new cluster in a temporary directory. It is
// stopped and removed when the returned stop function is called. It needs no
// testing.T so that a TestMain can share one server across a package.
func Start(settings ...string) (*Server, func(), error) {
	bin, err := BinDir()
	if err != nil {
		return nil, nil, err
	}
	base, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, nil, err
	}
	s := &Server{bin: bin, dir: filepath.Join(base, "data"), sock: base, Host: "127.0.0.1", User: "postgres"}
	// initdb and postgres refuse to run as root; tests on CI run as root.
	if os.Geteuid() == 0 {
		if err := chownNobody(base); err != nil {
			os.RemoveAll(base)
			return nil, nil, err
		}
	}
	if out, err := s.run("initdb", "-D", s.dir, "-U", s.User, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(base)
		return nil, nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		"max_connections = 300",
		"fsync = on", // durable commits, as in production
		"synchronous_commit = on",
		"shared_buffers = 128MB",
		"log_min_messages = warning",
	}
	conf = append(conf, settings...)
	if err := appendFile(filepath.Join(s.dir, "postgresql.conf"), strings.Join(conf, "\n")+"\n"); err != nil {
		os.RemoveAll(base)
		return nil, nil, err
	}
	if s.Port, err = FreePort(); err != nil {
		os.RemoveAll(base)
		return nil, nil, err
	}
	if err := s.Start(); err != nil {
		os.RemoveAll(base)
		return nil, nil, err
	}
	stop := func() {
		s.Stop("immediate")
		os.RemoveAll(base)
	}
	return s, stop, nil
}

// MustStart starts a server for one test and stops it at cleanup.
func MustStart(tb testing.TB, settings ...string) *Server {
	tb.Helper()
	s, stop, err := Start(settings...)
	if err != nil {
		tb.Fatalf("start PostgreSQL: %v", err)
	}
	tb.Cleanup(stop)
	return s
}

// Start starts (or restarts) the server on its port and waits until it accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	opts := fmt.Sprintf("-p %d -k %s", s.Port, s.sock)
	if out, err := s.run("pg_ctl", "-D", s.dir, "-o", opts, "-l", filepath.Join(s.sock, "server.log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.sock, "server.log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server; mode is smart, fast or immediate (a crash).
func (s *Server) Stop(mode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if out, err := s.run("pg_ctl", "-D", s.dir, "-m", mode, "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// CPU is the CPU time the server's processes have used (the postmaster,
// its backends, and those that exited), for the benchmark.
func (s *Server) CPU() (time.Duration, error) {
	pidFile, err := os.ReadFile(filepath.Join(s.dir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("the server's CPU: %w", err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	return proc.TreeCPU(pid)
}

// URL returns a connection URL for database db as user with password ("" for none).
func (s *Server) URL(db, user, password string) string {
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// Exec runs SQL as the superuser in database db.
func (s *Server) Exec(ctx context.Context, db, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.URL(db, s.User, ""))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// CreateDatabase creates a new, empty database with a unique name and returns its name.
func (s *Server) CreateDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%s", time.Now().UnixNano(), strings.ToLower(strings.NewReplacer("/", "_", " ", "_", "-", "_").Replace(tb.Name())))
	if len(name) > 60 {
		name = name[:60]
	}
	if err := s.Exec(context.Background(), "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	return name
}

// EnablePasswords switches authentication from trust to scram-sha-256 for TCP
// connections, so that tests can exercise password changes; the superuser
// keeps trust on the unix socket.
func (s *Server) EnablePasswords() error {
	hba := "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(s.dir, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	return s.Exec(context.Background(), "postgres", "SELECT pg_reload_conf()")
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if os.Geteuid() == 0 {
		asNobody(cmd)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// External uses a running server that the caller owns, such as a CI
// service container, given as a superuser URL. It can create databases but
// not stop or restart the server.
func External(rawURL string) (*Server, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "postgres" || u.User == nil {
		return nil, errors.New("want postgres://USER@HOST:PORT/ for the test server")
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 5432
	}
	s := &Server{Host: u.Hostname(), Port: port, User: u.User.Username()}
	return s, s.Exec(context.Background(), "postgres", "SELECT 1")
}

// shared is the test binary's one server, started by the first test that
// asks for it: a package whose tests never touch PostgreSQL never starts it.
var shared struct {
	once sync.Once
	s    *Server
	stop func()
	err  error
}

// Shared returns the test binary's server, starting it on first use: the one
// that POLLSTACK_TEST_DATABASE_URL names (CI's PostgreSQL service
// container), or else one of its own, which Main removes after the tests.
// Each test should work in a database of its own (CreateDatabase).
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		if ext := os.Getenv("POLLSTACK_TEST_DATABASE_URL"); ext != "" {
			shared.s, shared.err = External(ext)
			return
		}
		shared.s, shared.stop, shared.err = Start()
	})
	if shared.err != nil {
		tb.Fatalf("this test needs a PostgreSQL server: %v", shared.err)
	}
	return shared.s
}

// Main runs a package's tests, then stops and removes the shared server if
// a test started one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}
