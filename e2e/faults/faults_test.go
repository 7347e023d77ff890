//go:build integration

package faults

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/servertest"

	_ "modernc.org/sqlite"
)

// 1. Spot interruption: SIGTERM one of two servers behind the health-checking
// proxy under steady load. Its readiness fails at once, the proxy stops
// sending it requests within a check interval, it keeps serving through the
// drain period and exits 0. No request fails; every acknowledged vote is
// stored once.
func TestSigtermDrainsWithoutFailedRequests(t *testing.T) {
	_, dbURL := database(t)
	args := append([]string{"--database-url", dbURL, "--drain-period", "1500ms", "--shutdown-timeout", "5s"}, servertest.NoClientLimits...)
	a, b := servertest.Start(t, args...), servertest.Start(t, args...)
	front := servertest.Proxy(t, 200*time.Millisecond, a.URL(), b.URL())
	poll := servertest.CreatePoll(t, front)

	load := make(chan *loadgen.Result)
	go func() {
		load <- loadgen.Run(context.Background(), loadgen.Config{BaseURL: front, Polls: []string{poll}, Workers: 16, Rate: 400, Duration: 5 * time.Second})
	}()
	time.Sleep(1500 * time.Millisecond)
	a.Cmd.Process.Signal(syscall.SIGTERM)
	exit := a.Wait(t, 30*time.Second)
	res := <-load

	if err := a.Err(); err != nil {
		t.Errorf("server exited with %v after SIGTERM, want 0", err)
	}
	figures.Print(t, "stopped server exited %.1fs after SIGTERM (drain 1.5s); %s", exit.Seconds(), res.Summary())
	if res.Failed() != 0 {
		t.Errorf("%d requests failed during the drain: %v", res.Failed(), res.Statuses)
	}
	checkNoLostVotes(t, res, storedBallots(t, dbURL, []string{poll}))
}

// 2. The database restarts (immediate mode: a crash) under load. Requests
// fail fast with 503 while it is down, nothing acknowledged is lost or
// doubled, and the same server serves again within 5 s of its return.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	_, dbURL := database(t)
	s := servertest.Start(t, append([]string{"--database-url", dbURL}, servertest.NoClientLimits...)...)
	poll := servertest.CreatePoll(t, s.URL())

	// The load runs until 3 s after the database is back, however long
	// its crash recovery takes on a busy machine (the cap only bounds a
	// hang).
	ctx, stopLoad := context.WithTimeout(context.Background(), time.Minute)
	defer stopLoad()
	load := make(chan *loadgen.Result)
	go func() {
		load <- loadgen.Run(ctx, loadgen.Config{BaseURL: s.URL(), Polls: []string{poll}, Workers: 8, Rate: 300})
	}()
	time.Sleep(1500 * time.Millisecond)
	down := time.Now()
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	time.Sleep(3 * time.Second)
	stopLoad()
	res := <-load

	recovery := time.Duration(-1)
	for _, at := range res.AckedAt {
		if at.After(back) && (recovery < 0 || at.Sub(back) < recovery) {
			recovery = at.Sub(back)
		}
	}
	var slowest time.Duration
	for _, f := range res.Failures {
		slowest = max(slowest, f.Took)
		// A request already in flight when the database went down may fail too.
		if f.At.Before(down.Add(-time.Second)) || f.At.After(back.Add(5*time.Second)) {
			t.Errorf("request at %v failed (%s) outside the outage", f.At.Sub(down), f.Status)
		}
	}
	figures.Print(t, "database down %.1fs; failed requests answered within %v (slowest); served again %v after the database returned; %s",
		back.Sub(down).Seconds(), slowest.Round(time.Millisecond), recovery.Round(time.Millisecond), res.Summary())
	if recovery < 0 || recovery > 5*time.Second {
		t.Errorf("recovery %v, want within 5 s of the database's return", recovery)
	}
	if slowest > 3*time.Second {
		t.Errorf("a failed request took %v: requests must fail fast (about 2 s) while the database is down", slowest)
	}
	if !s.Alive() {
		t.Error("the server exited; it must survive a database restart")
	}
	checkNoLostVotes(t, res, storedBallots(t, dbURL, []string{poll}))
}

// 3. The password is rotated under load: the role's password and the secret
// source change together, and the database drops the sessions. The running
// server reads the secret again when the database rejects it; errors, if
// any, stay inside the rotation window, and it needs no restart.
func TestPasswordRotationWithoutRestart(t *testing.T) {
	db, _ := database(t)
	role := "app_" + db[len(db)-8:]
	ctx := context.Background()
	for _, stmt := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'first-password'`, role),
		fmt.Sprintf(`ALTER DATABASE %s OWNER TO %s`, db, role),
	} {
		if err := pg.Exec(ctx, "postgres", stmt); err != nil {
			t.Fatal(err)
		}
	}
	secretFile := filepath.Join(t.TempDir(), "db-secret.json")
	writeSecret := func(password string) {
		body := fmt.Sprintf(`{"username": %q, "password": %q}`, role, password)
		if err := os.WriteFile(secretFile+".tmp", []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Rename(secretFile+".tmp", secretFile) // atomic, as a secret mount updates
	}
	writeSecret("first-password")
	dbURL := fmt.Sprintf("postgres://127.0.0.1:%d/%s?sslmode=disable", pg.Port, db)
	s := servertest.Start(t, append([]string{"--database-url", dbURL, "--db-secret-file", secretFile}, servertest.NoClientLimits...)...)
	poll := servertest.CreatePoll(t, s.URL())
	pid := s.Cmd.Process.Pid

	load := make(chan *loadgen.Result)
	go func() {
		load <- loadgen.Run(ctx, loadgen.Config{BaseURL: s.URL(), Polls: []string{poll}, Workers: 8, Rate: 300, Duration: 6 * time.Second})
	}()
	time.Sleep(1500 * time.Millisecond)
	rotated := time.Now()
	if err := pg.Exec(ctx, "postgres", fmt.Sprintf(`ALTER ROLE %s PASSWORD 'second-password'`, role)); err != nil {
		t.Fatal(err)
	}
	writeSecret("second-password")
	if err := pg.Exec(ctx, "postgres", `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role); err != nil {
		t.Fatal(err)
	}
	res := <-load

	window := 3 * time.Second
	for _, f := range res.Failures {
		if f.At.Before(rotated) || f.At.After(rotated.Add(window)) {
			t.Errorf("request %v after the rotation failed (%s): outside the %v window", f.At.Sub(rotated).Round(time.Millisecond), f.Status, window)
		}
	}
	var lastAck time.Time
	for _, at := range res.AckedAt {
		if at.After(lastAck) {
			lastAck = at
		}
	}
	figures.Print(t, "password rotated at 1.5s; failures %d, all within %v of it; last acknowledgement %.1fs after; %s",
		res.Failed(), window, lastAck.Sub(rotated).Seconds(), res.Summary())
	if !lastAck.After(rotated.Add(window)) {
		t.Error("no vote succeeded after the rotation window")
	}
	if !s.Alive() || s.Cmd.Process.Pid != pid {
		t.Error("the server restarted; a rotation must need none")
	}
	checkNoLostVotes(t, res, storedBallots(t, pg.URL(db, pg.User, ""), []string{poll}))
}

// 4. SIGKILL under load, on both stores: nothing drains, yet every vote that
// was acknowledged is stored, because a vote is acknowledged only after its
// transaction committed.
func TestSigkillLosesNoAcknowledgedVote(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		_, dbURL := database(t)
		res, poll := killUnderLoad(t, "--database-url", dbURL)
		checkNoLostVotes(t, res, storedBallots(t, dbURL, []string{poll}))
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kill.db")
		res, poll := killUnderLoad(t, "--database-url", "sqlite:"+path)
		checkNoLostVotes(t, res, sqliteBallots(t, path, poll))
	})
}

func killUnderLoad(t *testing.T, args ...string) (*loadgen.Result, string) {
	s := servertest.Start(t, append(args, servertest.NoClientLimits...)...)
	poll := servertest.CreatePoll(t, s.URL())
	load := make(chan *loadgen.Result)
	go func() {
		load <- loadgen.Run(context.Background(), loadgen.Config{BaseURL: s.URL(), Polls: []string{poll}, Workers: 16, Votes: 1 << 30, Duration: 3 * time.Second})
	}()
	time.Sleep(1500 * time.Millisecond)
	s.Cmd.Process.Signal(syscall.SIGKILL)
	s.Wait(t, 10*time.Second)
	res := <-load
	if len(res.Acked) == 0 {
		t.Fatal("no vote was acknowledged before the kill: the test proves nothing")
	}
	return res, poll
}

func sqliteBallots(t *testing.T, path, poll string) []loadgen.Ballot {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT poll_id, voter_id FROM ballots WHERE poll_id = ?`, poll)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []loadgen.Ballot
	for rows.Next() {
		var b loadgen.Ballot
		if err := rows.Scan(&b.Poll, &b.Voter); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
