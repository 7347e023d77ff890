//go:build integration

// Package attack plays the attacks of issue 12 against real server
// processes, each as a test that failed on the code before the fix: one
// client can neither exhaust a server nor stuff a poll. The figures each
// test measures are printed (and reach `make test`'s figures).
package attack

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/internal/testing/servertest"

	_ "modernc.org/sqlite" // the SQLite store's file, read after an attack
)

// pg is one PostgreSQL for the package; each test has its own database.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	servertest.MainPostgres(m, func(s *pgtest.Server) error { pg = s; return nil })
}

// stores are the server flags of each store, for attacks played on both.
func stores(t *testing.T) map[string][]string {
	return map[string][]string{
		"sqlite":   {"--database-url", "sqlite:" + t.TempDir() + "/attack.db"},
		"postgres": {"--database-url", pg.URL(pg.CreateDatabase(t), pg.User, "")},
	}
}

// answer is what the server said to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// code is the error code of a JSON error answer ("" for none).
func (a answer) code() (code, field string) {
	var e struct {
		Error struct{ Code, Field string }
	}
	json.Unmarshal(a.body, &e)
	return e.Error.Code, e.Error.Field
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body))
}

// send sends one request without cookies (each a new client to the browser
// check) and reads the whole answer. header is name, value, ...
func send(t *testing.T, method, url, contentType, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, b}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// createPoll creates a poll through the API and returns its JSON.
func createPoll(t *testing.T, base, body string) map[string]any {
	t.Helper()
	a := send(t, "POST", base+"/api/v1/polls", "application/json", body)
	if a.status != http.StatusCreated {
		t.Fatalf("create poll %s: %s", body, a)
	}
	var poll map[string]any
	json.Unmarshal(a.body, &poll)
	return poll
}

// total is a poll's number of ballots, through the API.
func total(t *testing.T, base, id string) int {
	t.Helper()
	a := send(t, "GET", base+"/api/v1/polls/"+id+"/results", "", "")
	var r struct{ Total int }
	if err := json.Unmarshal(a.body, &r); err != nil || a.status != http.StatusOK {
		t.Fatalf("results: %s", a)
	}
	return r.Total
}

// tally counts answers by status and error code: "201", "409 already_voted".
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *tally) add(a answer) {
	key := fmt.Sprint(a.status)
	if code, _ := a.code(); code != "" {
		key += " " + code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
}

func (c *tally) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func (c *tally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprint(c.n)
}

// concurrently runs fn(i) for i in [0, n) on workers goroutines.
func concurrently(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func contains(body []byte, s string) bool { return bytes.Contains(body, []byte(s)) }

// countRows counts a table's rows in a store the server uses (by its flags).
func countRows(t *testing.T, kind string, store []string, table string) int {
	t.Helper()
	url := store[1]
	var n int
	switch kind {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite:")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
	default:
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
