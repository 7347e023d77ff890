package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/syncbuf"
)

// The metrics listener counts what the public one served: after a few
// votes, the scrape shows the counters moved by exactly that much; the
// public port does not serve /metrics; the last EMF line carries the same
// figures for CloudWatch.
func TestMetricsCountWhatWasServed(t *testing.T) {
	var logs, out syncbuf.Buffer
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Store: StoreConfig{Kind: SQLite, Path: filepath.Join(t.TempDir(), "p.db")},
			ShutdownTimeout: 2 * time.Second, EMFInterval: time.Hour, MetricsService: "pollstack-test"},
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Out: &out,
	}
	ctx, stop := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	base, private := "http://"+m.Addr(), "http://"+m.MetricsAddr()

	before := scrape(t, private)
	pollID := createPoll(t, base)
	const votes = 5
	for i := range votes {
		req, _ := http.NewRequest("POST", base+"/api/v1/polls/"+pollID+"/votes", strings.NewReader(`{"option_ids": [1]}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "pollstack_voter", Value: fmt.Sprintf("voter%017d", i)})
		if code := do(t, req); code != 201 {
			t.Fatalf("vote %d: status %d", i, code)
		}
	}
	// One vote refused: the same voter again.
	req, _ := http.NewRequest("POST", base+"/api/v1/polls/"+pollID+"/votes", strings.NewReader(`{"option_ids": [1]}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "pollstack_voter", Value: fmt.Sprintf("voter%017d", 0)})
	if code := do(t, req); code != 409 {
		t.Fatalf("second vote: status %d, want 409", code)
	}

	after := scrape(t, private)
	for _, c := range []struct {
		series string
		want   float64
	}{
		{`pollstack_votes_total{reason="",result="acknowledged"}`, votes},
		{`pollstack_votes_total{reason="already_voted",result="refused"}`, 1},
		{`pollstack_http_requests_total{route="POST /api/v1/polls/{id}/votes",status="201"}`, votes},
		{`pollstack_http_requests_total{route="POST /api/v1/polls/{id}/votes",status="409"}`, 1},
		{`pollstack_http_request_duration_seconds_count{route="POST /api/v1/polls/{id}/votes"}`, votes + 1},
		{`pollstack_vote_batch_size_sum`, votes + 1},
	} {
		if got := after[c.series] - before[c.series]; got != c.want {
			t.Errorf("%s moved by %v, want %v", c.series, got, c.want)
		}
	}
	if after["pollstack_vote_commit_duration_seconds_count"] < 1 {
		t.Error("no commit latency recorded")
	}

	// The public listener has no /metrics.
	if code := get(t, base+"/metrics"); code != 404 {
		t.Errorf("GET /metrics on the public port = %d, want 404", code)
	}
	pub, err := http.Get(base + "/metrics")
	if err == nil {
		b, _ := io.ReadAll(pub.Body)
		pub.Body.Close()
		if strings.Contains(string(b), "pollstack_votes_total") {
			t.Error("the public port serves the metrics")
		}
	}

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The last EMF line, written at shutdown, has every vote of the run.
	var emf map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.Contains(line, `"_aws"`) {
			if err := json.Unmarshal([]byte(line), &emf); err != nil {
				t.Fatalf("EMF line is not JSON: %v\n%s", err, line)
			}
		}
	}
	if emf == nil {
		t.Fatalf("no EMF line written at shutdown:\n%s", out.String())
	}
	if emf["VotesAcknowledged"] != float64(votes) || emf["VotesRefused"] != float64(1) || emf["Service"] != "pollstack-test" {
		t.Errorf("EMF line: VotesAcknowledged %v VotesRefused %v Service %v; want %d, 1, pollstack-test", emf["VotesAcknowledged"], emf["VotesRefused"], emf["Service"], votes)
	}
}

// scrape reads every sample of the Prometheus text exposition.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("scrape: status %d", res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
