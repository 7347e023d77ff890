package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/postgres"
)

// The database's own ceiling for the same schema and the same hot poll:
// what PostgreSQL takes with one vote per transaction (what a server
// without group commit does) and with 100 votes per transaction.
const pgbenchOneVote = `\set v random(1, 2000000000)
BEGIN;
INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check) VALUES ('pgbench', :client_id || '-' || :v, '{1}', now(), 'browser') ON CONFLICT DO NOTHING;
UPDATE options SET votes = votes + 1 WHERE poll_id = 'pgbench' AND id = 1;
UPDATE polls SET ballots = ballots + 1 WHERE id = 'pgbench';
END;
`

const pgbenchBatch = 100

var pgbenchBatched = fmt.Sprintf(`BEGIN;
INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check)
SELECT 'pgbench', md5(random()::text || clock_timestamp()::text), '{1}', now(), 'browser' FROM generate_series(1, %[1]d)
ON CONFLICT DO NOTHING;
UPDATE options SET votes = votes + %[1]d WHERE poll_id = 'pgbench' AND id = 1;
UPDATE polls SET ballots = ballots + %[1]d WHERE id = 'pgbench';
END;
`, pgbenchBatch)

// What NOTIFY costs a writing transaction: 16 clients each add to a random
// one of 1,000 counter rows (no two wait for the same row), without a
// notification, with one inside the transaction, and with one in a
// transaction of its own right after. PostgreSQL makes every transaction
// that notifies commit one after the other, durable commit included; a
// transaction that only notifies writes nothing and commits at once. This
// is why the vote batch notifies after it commits (postgres.Store.notify).
const pgbenchCounter = "\\set a random(1, 1000)\n"

var pgbenchNotify = []struct{ name, script string }{
	{"no NOTIFY", pgbenchCounter + "UPDATE notify_bench SET n = n + 1 WHERE id = :a;\n"},
	{"NOTIFY inside the transaction", pgbenchCounter + "WITH u AS (UPDATE notify_bench SET n = n + 1 WHERE id = :a RETURNING id) SELECT pg_notify('bench', id::text) FROM u;\n"},
	{"NOTIFY in its own transaction after", pgbenchCounter + "UPDATE notify_bench SET n = n + 1 WHERE id = :a;\nSELECT pg_notify('bench', :a::text);\n"},
}

// notifyCost runs the three scripts with 16 clients and adds a row each.
func notifyCost(ctx context.Context, t *table, pg *pgtest.Server, db string, d time.Duration) error {
	if err := pg.Exec(ctx, db, `CREATE TABLE notify_bench (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0); INSERT INTO notify_bench SELECT g FROM generate_series(1, 1000) g`); err != nil {
		return fmt.Errorf("pgbench setup: %w", err)
	}
	for _, sc := range pgbenchNotify {
		tps, lat, err := pgbenchCeiling(ctx, pg, db, sc.script, 1, 16, d)
		if err != nil {
			return err
		}
		t.add(row{store: "postgres", scenario: "pgbench: writers on different rows, " + sc.name, rate: fmt.Sprintf("%.0f transactions/s", tps),
			check: fmt.Sprintf("16 clients; avg %v per transaction", lat.Round(10*time.Microsecond))})
	}
	return nil
}

// pgbenchBest runs a script with 1, 4 and 16 clients and returns the best
// rate: the ceiling is what the database can do at its best concurrency.
func pgbenchBest(ctx context.Context, pg *pgtest.Server, db, script string, votesPerTx int, d time.Duration) (rate float64, clients int, lat time.Duration, err error) {
	for _, c := range []int{1, 4, 16} {
		r, l, err := pgbenchCeiling(ctx, pg, db, script, votesPerTx, c, d)
		if err != nil {
			return 0, 0, 0, err
		}
		if r > rate {
			rate, clients, lat = r, c, l
		}
	}
	return rate, clients, lat, nil
}

// pgbenchCeiling runs a script and returns votes per second and the
// average latency of one transaction.
func pgbenchCeiling(ctx context.Context, pg *pgtest.Server, db, script string, votesPerTx, clients int, d time.Duration) (float64, time.Duration, error) {
	bin, err := pgtest.BinDir()
	if err != nil {
		return 0, 0, err
	}
	f := filepath.Join(os.TempDir(), fmt.Sprintf("pollstack-pgbench-%d.sql", time.Now().UnixNano()))
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		return 0, 0, err
	}
	defer os.Remove(f)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), "-n", "-f", f, "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(int(d.Seconds())), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", pg.User, db)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	tps := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	lat := regexp.MustCompile(`latency average = ([0-9.]+) ms`).FindSubmatch(out)
	if tps == nil || lat == nil {
		return 0, 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	t, _ := strconv.ParseFloat(string(tps[1]), 64)
	ms, _ := strconv.ParseFloat(string(lat[1]), 64)
	return t * float64(votesPerTx), time.Duration(ms * float64(time.Millisecond)), nil
}

// pgbenchDatabase makes a database with pollstack's schema and the hot poll.
func pgbenchDatabase(ctx context.Context, pg *pgtest.Server) (string, error) {
	db := fmt.Sprintf("pgbench_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+db); err != nil {
		return "", err
	}
	s, err := postgres.Open(ctx, pg.URL(db, pg.User, ""), postgres.Options{}) // applies the migrations
	if err != nil {
		return "", err
	}
	s.Close()
	setup := []string{
		`INSERT INTO polls (id, question, multiple, results, created_at, admin_token_hash) VALUES ('pgbench', 'Hot poll', false, 'always', now(), decode(repeat('00', 32), 'hex'))`,
		`INSERT INTO options (poll_id, id, label) VALUES ('pgbench', 1, 'A'), ('pgbench', 2, 'B')`,
	}
	for _, q := range setup {
		if err := pg.Exec(ctx, db, q); err != nil {
			return "", fmt.Errorf("pgbench setup: %w", err)
		}
	}
	return db, nil
}

// ratio is a/b to one decimal, a whole number without it: "6.7×", "5×".
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", a/b), ".0") + "×"
}
