//go:build integration

package web_test

import (
	"context"
	"testing"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/pgtest"
	"github.com/pollstack/pollstack/postgres"
)

// The integration build runs every store-backed web test on PostgreSQL too,
// on a throwaway server started by the first test that needs it.
func TestMain(m *testing.M) { pgtest.Main(m) }

func init() {
	stores["postgres"] = func(t *testing.T) pollstack.Store {
		pg := pgtest.Shared(t)
		s, err := postgres.Open(context.Background(), pg.URL(pg.CreateDatabase(t), pg.User, ""), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}
