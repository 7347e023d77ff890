//go:build integration

package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/web"
)

// The integration build runs every store-backed web test on PostgreSQL too,
// on a throwaway server started by the first test that needs it.
func TestMain(m *testing.M) { pgtest.Main(m) }

func init() {
	stores["postgres"] = func(t *testing.T) pollstack.Store {
		return openPostgres(t, newPostgresDatabase(t))
	}
}

func newPostgresDatabase(t *testing.T) string {
	pg := pgtest.Shared(t)
	return pg.URL(pg.CreateDatabase(t), pg.User, "")
}

func openPostgres(t *testing.T, url string) pollstack.Store {
	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Two servers on one database, as two tasks behind the load balancer: a
// viewer on one sees votes, closing and deleting done on the other.
func TestLiveResultsAcrossServers(t *testing.T) {
	url := newPostgresDatabase(t)
	a := httptest.NewServer(web.New(web.Config{Store: openPostgres(t, url)}))
	defer a.Close()
	b := httptest.NewServer(web.New(web.Config{Store: openPostgres(t, url)}))
	defer b.Close()
	onA, onB := pageClient(t, a.URL), pageClient(t, b.URL)
	id, token := onA.createPoll(`{"question": "Across?", "options": ["Yes", "No"]}`)
	st := openStream(t, onB, id)
	defer st.cancel()
	st.next(t, 5*time.Second)

	for i := 1; i <= 3; i++ {
		start := time.Now()
		onA.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
		if e := st.next(t, 2*time.Second); !strings.Contains(e, fmt.Sprintf(`"total":%d`, i)) {
			t.Fatalf("vote %d on one server: the other's viewer got %q", i, e)
		}
		t.Logf("vote %d reached the other server's viewer %s after it was sent", i, time.Since(start).Round(time.Millisecond))
	}
	onA.do("POST", "/api/v1/polls/"+id+"/close", "", "", "Authorization", "Bearer "+token)
	if e := st.next(t, 2*time.Second); !strings.Contains(e, `"closed":true`) {
		t.Errorf("closing on one server: the other's viewer got %q", e)
	}
	onA.do("DELETE", "/api/v1/polls/"+id, "", "", "Authorization", "Bearer "+token)
	if e := st.next(t, 2*time.Second); e != "event: gone\ndata: {}" {
		t.Errorf("deleting on one server: the other's viewer got %q", e)
	}
}
