//go:build integration

package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/storetest"
)

// BenchmarkBatchStatement measures what one group-committed batch of n
// votes on one poll costs the database, statement and durable commit
// included: the time the poll's row stays locked, the input of the hot-row
// simulation in cmd/capacity (docs/scaling.md). Run it with
//
//	go test -tags integration -run '^$' -bench BatchStatement ./postgres
func BenchmarkBatchStatement(b *testing.B) {
	pg := pgtest.Shared(b)
	ctx := context.Background()
	url := pg.URL(pg.CreateDatabase(b), pg.User, "")
	s, err := Open(ctx, url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := storetest.MustCreate(b, s, time.Now(), pollstack.PollDraft{Question: "Hot", Options: []string{"A", "B"}})
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	voter := 0
	for _, n := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("votes=%d", n), func(b *testing.B) {
			polls, voters, options, kinds := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			names := make([]string, n)    // no meeting participant's name, as the store sends
			receipts := make([]string, n) // no receipt: the poll is not verifiable
			versions := make([]int32, n)  // the version every ballot was admitted against
			for range b.N {
				for i := range n {
					voter++
					polls[i], voters[i], options[i], kinds[i], versions[i] = p.ID, fmt.Sprint("v", voter), "1", "vote", int32(p.Version)
				}
				rows, err := conn.Query(ctx, storeBatchSQL, polls, voters, options, time.Now(), kinds, names, receipts, versions)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/batch")
		})
	}
}
