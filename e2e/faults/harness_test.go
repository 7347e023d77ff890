//go:build integration

// Package faults runs the failures a Fargate Spot deployment meets, with real
// processes: the pollstack binary, a throwaway PostgreSQL, and a small
// health-checking proxy standing in for the ALB.
package faults

import (
	"context"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// pg is one PostgreSQL for the package; each test has its own database.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	servertest.MainPostgres(m, func(s *pgtest.Server) error { pg = s; return s.EnablePasswords() })
}

// database creates a database for the test and returns its superuser URL.
func database(t *testing.T) (name, url string) {
	name = pg.CreateDatabase(t)
	return name, pg.URL(name, pg.User, "")
}

// storedBallots reads every ballot of the polls from PostgreSQL.
func storedBallots(t *testing.T, dbURL string, polls []string) []loadgen.Ballot {
	t.Helper()
	stored, err := loadgen.PostgresBallots(context.Background(), dbURL, polls)
	if err != nil {
		t.Error(err)
	}
	return stored
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
