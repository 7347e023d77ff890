//go:build integration

package attack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack: live-results streams, as many as a client can open. On the code
// before the fix nothing bounded them: 2,000 streams to different polls
// took the server to 231 MB (and the task has 512 MiB). Now one address
// holds at most 50 (429 past them) and the server at most --stream-limit
// (503 past it), both with Retry-After.
func TestLiveStreamsAreBounded(t *testing.T) {
	const limit, perAddress, polls = 1000, 50, 2000
	s := servertest.Start(t, "--trust-proxy=true", "--create-rate-limit", "0", "--stream-limit", fmt.Sprint(limit))
	ids := make([]string, polls)
	concurrently(polls, 8, func(i int) {
		ids[i] = createPoll(t, s.URL(), `{"question": "Q", "options": ["A", "B"]}`)["id"].(string)
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
	open := func(id, from string) (status int, retry string, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/p/"+id+"/events", nil)
		req.Header.Set("X-Forwarded-For", from)
		res, err := client.Do(req)
		if err != nil {
			cancel()
			t.Errorf("open a stream: %v", err)
			return 0, "", func() {}
		}
		if res.StatusCode != http.StatusOK {
			io.Copy(io.Discard, res.Body)
		}
		return res.StatusCode, res.Header.Get("Retry-After"), func() { cancel(); res.Body.Close() }
	}
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	hold := func(n int, id func(i int) string, from func(i int) string) *tally {
		var statuses tally
		var retries tally
		concurrently(n, 64, func(i int) {
			status, retry, stop := open(id(i), from(i))
			statuses.add(answer{status: status})
			if status != http.StatusOK {
				retries.add(answer{status: len(retry)}) // 0: no Retry-After
			}
			statuses.mu.Lock()
			stops = append(stops, stop)
			statuses.mu.Unlock()
		})
		if retries.get("0") > 0 {
			t.Errorf("%d refusals without Retry-After", retries.get("0"))
		}
		return &statuses
	}

	// One address, one poll: 60 streams.
	one := hold(perAddress+10, func(int) string { return ids[0] }, func(int) string { return "198.51.100.7" })
	figures.Print(t, "%d streams from one address: %v", perAddress+10, one.n)
	if one.get("200") != perAddress || one.get("429") != 10 {
		t.Errorf("one address: %v, want %d open and 10 refused with 429", one.n, perAddress)
	}
	for _, stop := range stops {
		stop()
	}
	stops = nil

	// Many addresses, one stream each, each to a poll of its own: 2,000.
	base := s.RSS(t)
	many := hold(polls, func(i int) string { return ids[i] }, func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255) })
	held := s.RSS(t)
	figures.Print(t, "%d streams to %d polls from as many addresses: %v; RSS %.1f MB before, %.1f MB holding them (%.1f KB a stream)",
		polls, polls, many.n, mb(base), mb(held), float64(held-base)/1024/float64(max(many.get("200"), 1)))
	if many.get("200") != limit || many.get("503") != polls-limit {
		t.Errorf("many addresses: %v, want %d open and %d refused with 503", many.n, limit, polls-limit)
	}
	if res := send(t, "GET", s.URL()+"/api/v1/polls/"+ids[0], "", ""); res.status != http.StatusOK {
		t.Errorf("while full of streams, the API answers %s", res)
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
