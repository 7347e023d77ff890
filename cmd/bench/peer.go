package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/proc"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The peer is a Django vote view under gunicorn (cmd/bench/peer), on the
// same PostgreSQL server, driven by the same load generator on the same
// hot poll: what a common stack does on this machine, for scale.
const peerInstall = "the peer needs Debian's python3-django, gunicorn and python3-psycopg2: apt-get install python3-django gunicorn python3-psycopg2 (or run with -peer=false)"

func benchPeer(ctx context.Context, t *table, o options, pg *pgtest.Server, pollstack measured) error {
	gunicorn, err := exec.LookPath("gunicorn")
	if err != nil {
		return fmt.Errorf("%s: gunicorn not found", peerInstall)
	}
	python := interpreter(gunicorn)
	version, err := exec.Command(python, "-c", "import django, psycopg2; print(django.get_version())").Output()
	if err != nil {
		return fmt.Errorf("%s: %s cannot import django and psycopg2", peerInstall, python)
	}
	db := fmt.Sprintf("peer_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+db); err != nil {
		return err
	}
	dir := repo.Path("cmd", "bench", "peer")
	env := append(os.Environ(), "PYTHONPATH="+dir, "DJANGO_SETTINGS_MODULE=peer.settings", "PYTHONDONTWRITEBYTECODE=1",
		"PEER_DB_HOST=127.0.0.1", "PEER_DB_PORT="+strconv.Itoa(pg.Port), "PEER_DB_NAME="+db, "PEER_DB_USER="+pg.User)
	migrate := exec.Command(python, "-m", "django", "migrate", "--run-syncdb", "-v", "0")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		return fmt.Errorf("peer: django migrate: %v\n%s", err, out)
	}
	for _, q := range []string{
		`INSERT INTO peer_poll (id, question) VALUES ('hot', 'Hot poll')`,
		`INSERT INTO peer_option (poll_id, number, label, votes) VALUES ('hot', 1, 'A', 0), ('hot', 2, 'B', 0)`,
	} {
		if err := pg.Exec(ctx, db, q); err != nil {
			return fmt.Errorf("peer setup: %w", err)
		}
	}

	port, err := pgtest.FreePort()
	if err != nil {
		return err
	}
	workers := 2*numCPU() + 1
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(gunicorn, "--workers", strconv.Itoa(workers), "--bind", strings.TrimPrefix(base, "http://"), "--log-level", "warning", "peer.wsgi:application")
	cmd.Dir, cmd.Env = dir, env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("peer: start gunicorn: %w", err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	if err := waitHTTP(base+"/api/v1/polls/hot/votes", 30*time.Second); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	cpu0 := treeCPU(cmd.Process.Pid)
	res := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Polls: []string{"hot"}, Workers: o.workers, Duration: o.duration})
	m := measured{res: res, cpu: treeCPU(cmd.Process.Pid) - cpu0}
	if len(res.Acked) == 0 {
		return fmt.Errorf("peer: no vote acknowledged: %s", res.Summary())
	}
	stored, err := peerBallots(ctx, pg.URL(db, pg.User, ""))
	if err != nil {
		return err
	}
	missing, _, doubled := loadgen.Compare(res.Acked, stored)
	r := m.row("postgres", fmt.Sprintf("votes, one hot poll, peer: Django %s under gunicorn (%d sync workers)", strings.TrimSpace(string(version)), workers))
	r.log, r.rss = "", ""
	r.check = fmt.Sprintf("lost %d, doubled %d", missing, doubled)
	t.add(r)
	t.note("peer: pollstack does %.1f times the peer's votes/s (%.0f against %.0f) at %.1f times less server CPU per vote (%.3f s against %.3f s per 1,000)",
		pollstack.res.Rate()/res.Rate(), pollstack.res.Rate(), res.Rate(), m.cpuPer1000()/pollstack.cpuPer1000(), pollstack.cpuPer1000(), m.cpuPer1000())
	return nil
}

// interpreter is the Python that runs a script (its #! line): gunicorn's,
// which may not be the python3 first on PATH.
func interpreter(script string) string {
	b, err := os.ReadFile(script)
	if err != nil || !strings.HasPrefix(string(b), "#!") {
		return "python3"
	}
	line, _, _ := strings.Cut(string(b[2:]), "\n")
	if f := strings.Fields(line); len(f) > 0 && !strings.HasSuffix(f[0], "/env") {
		return f[0]
	}
	return "python3"
}

// waitHTTP waits until the address answers HTTP at all.
func waitHTTP(url string, limit time.Duration) error {
	for start := time.Now(); time.Since(start) < limit; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			return nil
		}
	}
	return fmt.Errorf("%s did not answer within %v", url, limit)
}

func peerBallots(ctx context.Context, url string) ([]loadgen.Ballot, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT poll_id, voter FROM peer_ballot`)
	var out []loadgen.Ballot
	var b loadgen.Ballot
	_, err = pgx.ForEachRow(rows, []any{&b.Poll, &b.Voter}, func() error { out = append(out, b); return nil })
	return out, err
}

// treeCPU is the CPU time, in seconds, of a process and its children
// (gunicorn's master and its workers).
func treeCPU(pid int) float64 {
	cpu, _ := proc.TreeCPU(pid)
	return cpu.Seconds()
}
