//go:build integration

// Package faults runs the failures a Fargate Spot deployment meets, with real
// processes: the pollstack binary, a throwaway PostgreSQL, and a small
// health-checking proxy standing in for the ALB.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/figures"
	"github.com/pollstack/pollstack/internal/loadgen"
	"github.com/pollstack/pollstack/internal/pgtest"
	"github.com/pollstack/pollstack/internal/servertest"
)

// pg is one PostgreSQL for the package; each test has its own database.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	s, stop, err := pgtest.Start()
	if err == nil {
		err = s.EnablePasswords()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault tests need PostgreSQL:", err)
		os.Exit(1)
	}
	pg = s
	code := servertest.Main(m)
	stop()
	os.Exit(code)
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
