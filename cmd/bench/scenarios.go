package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pollstack/pollstack/internal/loadgen"
	"github.com/pollstack/pollstack/internal/pgtest"

	_ "modernc.org/sqlite"
)

// storedFunc reads the stored ballots of some polls, for the check after a run.
type storedFunc func(polls []string) ([]loadgen.Ballot, error)

func benchPostgres(ctx context.Context, t *table, o options, bin string, pg *pgtest.Server) error {
	db, err := pgbenchDatabase(ctx, pg)
	if err != nil {
		return err
	}
	pgd := o.duration / 2 // three client counts each
	one, oneClients, oneLat, err := pgbenchBest(ctx, pg, db, pgbenchOneVote, 1, pgd)
	if err != nil {
		return err
	}
	t.add("postgres", "pgbench: 1 vote per transaction (ceiling)", fmt.Sprintf("%.0f votes/s", one), "", "", "", "", "", fmt.Sprintf("best of 1/4/16 clients: %d; avg %v per transaction", oneClients, oneLat.Round(10*time.Microsecond)))
	batched, batchClients, batchLat, err := pgbenchBest(ctx, pg, db, pgbenchBatched, pgbenchBatch, pgd)
	if err != nil {
		return err
	}
	t.add("postgres", fmt.Sprintf("pgbench: %d votes per transaction (ceiling)", pgbenchBatch), fmt.Sprintf("%.0f votes/s", batched), "", "", "", "", "", fmt.Sprintf("best of 1/4/16 clients: %d; avg %v per transaction", batchClients, batchLat.Round(10*time.Microsecond)))

	name := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return err
	}
	url := pg.URL(name, pg.User, "")
	stored := func(polls []string) ([]loadgen.Ballot, error) { return loadgen.PostgresBallots(ctx, url, polls) }
	return scenarios(ctx, t, o, "postgres", bin, []string{"--database-url", url}, stored, one, batched)
}

func benchSQLite(ctx context.Context, t *table, o options, bin, dir string) error {
	path := dir + "/bench.db"
	stored := func(polls []string) ([]loadgen.Ballot, error) { return sqliteBallots(path, polls) }
	return scenarios(ctx, t, o, "sqlite", bin, []string{"--database-url", "sqlite:" + path}, stored, 0, 0)
}

// scenarios runs every scenario on one store, each on a fresh server so
// that its peak RSS is its own.
func scenarios(ctx context.Context, t *table, o options, store, bin string, args []string, stored storedFunc, oneVote, batched float64) error {
	for _, sc := range []struct {
		name  string
		polls int
	}{{"votes, one hot poll", 1}, {"votes, 1,000 polls", 1000}} {
		sargs := args
		var debugAddr string
		if o.profile != "" && sc.polls == 1 {
			port, _ := pgtest.FreePort()
			debugAddr = fmt.Sprintf("127.0.0.1:%d", port)
			sargs = append(append([]string(nil), args...), "--debug-addr", debugAddr)
		}
		s, err := startServer(bin, sargs...)
		if err != nil {
			return err
		}
		polls := make([]string, sc.polls)
		for i := range polls {
			if polls[i], err = loadgen.CreatePoll(s.url); err != nil {
				s.stop()
				return err
			}
		}
		profiled := make(chan error, 1)
		if debugAddr != "" {
			go func() { profiled <- saveProfile(debugAddr, o.duration/2, filepath.Join(o.profile, store+".cpu.pprof")) }()
		}
		res := loadgen.Run(ctx, loadgen.Config{BaseURL: s.url, Polls: polls, Workers: o.workers, Duration: o.duration})
		if debugAddr != "" {
			if err := <-profiled; err != nil {
				fmt.Println("  profile:", err)
			}
		}
		rss := s.peakRSS()
		s.stop()
		ballots, err := stored(polls)
		if err != nil {
			return err
		}
		missing, unacked, doubled := loadgen.Compare(res.Acked, ballots)
		check := fmt.Sprintf("lost %d, doubled %d", missing, doubled)
		if unacked > 0 {
			check += fmt.Sprintf(", unacknowledged %d", unacked)
		}
		if oneVote > 0 && sc.polls == 1 {
			check += fmt.Sprintf("; %s pgbench 1/tx, %s pgbench %d/tx", ratio(res.Rate(), oneVote), ratio(res.Rate(), batched), pgbenchBatch)
		}
		t.add(store, sc.name, fmt.Sprintf("%.0f votes/s", res.Rate()), ms(res.Percentile(50)), ms(res.Percentile(99)), ms(res.Percentile(100)),
			fmt.Sprint(res.Failed()), fmt.Sprintf("%.1f MB", rss), check)
		if missing > 0 || doubled > 0 {
			return fmt.Errorf("%s %s: %d acknowledged votes lost, %d doubled", store, sc.name, missing, doubled)
		}
	}

	s, err := startServer(bin, args...)
	if err != nil {
		return err
	}
	defer s.stop()
	t.add(store, "start to ready", ms(s.ready), "", "", "", "", "", "")
	poll, err := loadgen.CreatePoll(s.url)
	if err != nil {
		return err
	}
	reads, lat, errs := readResults(ctx, s.url, poll, o.readers, o.duration)
	t.add(store, "results reads", fmt.Sprintf("%.0f reads/s", reads), ms(loadgen.Percentile(lat, 50)), ms(loadgen.Percentile(lat, 99)), ms(loadgen.Percentile(lat, 100)), fmt.Sprint(errs), fmt.Sprintf("%.1f MB", s.peakRSS()), "")
	delays, err := subscribers(ctx, s.url, poll, o.subs)
	if err != nil {
		t.add(store, fmt.Sprintf("%d live-results subscribers", o.subs), "not measured: "+err.Error(), "", "", "", "", "", "")
		return nil
	}
	t.add(store, fmt.Sprintf("%d live-results subscribers, update delay", o.subs), "", ms(loadgen.Percentile(delays, 50)), ms(loadgen.Percentile(delays, 99)), ms(loadgen.Percentile(delays, 100)), "0", fmt.Sprintf("%.1f MB", s.peakRSS()), "")
	return nil
}

// saveProfile fetches a CPU profile of the server from its debug listener.
func saveProfile(addr string, d time.Duration, path string) error {
	time.Sleep(d / 4)
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

// readResults reads one poll's results from many readers for d.
func readResults(ctx context.Context, base, poll string, readers int, d time.Duration) (perSecond float64, lat []time.Duration, errors int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, _ := loadgen.Dial(base, 10*time.Second)
			defer conn.Close()
			voter := "pollstack_voter=" + loadgen.NewVoter()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				status, _, err := conn.Do("GET", "/api/v1/polls/"+poll+"/results", voter, "", "")
				if err != nil || status != 200 {
					bad++
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errors = append(lat, mine...), errors+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(len(lat)) / time.Since(start).Seconds(), lat, errors
}

// subscribers opens n live-results streams, casts one vote, and returns how
// long each stream took to show it.
func subscribers(ctx context.Context, base, poll string, n int) ([]time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var voted atomic.Int64 // unix nanos of the vote, 0 before
	delays := make(chan time.Duration, n)
	var connected sync.WaitGroup
	for range n {
		connected.Add(1)
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/p/"+poll+"/events", nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			res.Body.Close()
			return nil, fmt.Errorf("GET /p/{id}/events: status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		go func() {
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			first := true
			for sc.Scan() {
				if !strings.HasPrefix(sc.Text(), "data:") {
					continue
				}
				if first {
					first = false
					connected.Done()
					continue
				}
				if at := voted.Load(); at > 0 {
					delays <- time.Since(time.Unix(0, at))
					return
				}
			}
		}()
	}
	connected.Wait()
	voted.Store(time.Now().UnixNano())
	req, _ := http.NewRequest("POST", base+"/api/v1/polls/"+poll+"/votes", strings.NewReader(`{"option_ids":[1]}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	drain(res)
	var out []time.Duration
	for range n {
		select {
		case d := <-delays:
			out = append(out, d)
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d streams saw no update within 60 s", n-len(out), n)
		}
	}
	return out, nil
}

func sqliteBallots(path string, polls []string) ([]loadgen.Ballot, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	want := make(map[string]bool, len(polls))
	for _, p := range polls {
		want[p] = true
	}
	rows, err := db.Query(`SELECT poll_id, voter_id FROM ballots`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []loadgen.Ballot
	for rows.Next() {
		var b loadgen.Ballot
		if err := rows.Scan(&b.Poll, &b.Voter); err != nil {
			return nil, err
		}
		if want[b.Poll] {
			out = append(out, b)
		}
	}
	return out, rows.Err()
}
