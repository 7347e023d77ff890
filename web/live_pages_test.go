package web_test

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/web"
)

// A viewer who may not see the counts yet keeps a stream that tells the
// poll's state, never its counts: "hidden" at once, then "closed" when it
// closes (the results are then visible to all), which ends the stream.
func TestPageLiveStateWhenHidden(t *testing.T) {
	_, c := pageServer(t)
	id, token := c.createPoll(`{"question": "Secret?", "options": ["Yes", "No"], "results": "after_vote"}`)
	hidden := openStream(t, c, id)
	if e := hidden.next(t, 5*time.Second); !retryWithin(e, 1000, 5000) || !strings.Contains(e, "event: hidden") {
		t.Fatalf("first event %q, want a hidden event", e)
	}

	voter := c.another()
	voter.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	seen := openStream(t, voter, id)
	if e := seen.next(t, 5*time.Second); !strings.Contains(e, `"total":1`) {
		t.Fatalf("a voter's first event %q, want the counts", e)
	}
	c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
	if e := seen.next(t, 2*time.Second); !strings.Contains(e, `"total":2`) {
		t.Fatalf("a voter's stream got %q, want the new counts", e)
	}
	time.Sleep(200 * time.Millisecond) // the hidden stream would have had the same event by now
	select {
	case e := <-hidden.events:
		t.Fatalf("a viewer who may not see the counts got %q", e)
	default:
	}

	c.do("POST", "/api/v1/polls/"+id+"/close", "", "", "Authorization", "Bearer "+token)
	if e := hidden.next(t, 2*time.Second); e != "event: closed\ndata: {}" {
		t.Errorf("at closing the hidden stream got %q", e)
	}
	if e := seen.next(t, 2*time.Second); !strings.Contains(e, `"closed":true`) {
		t.Errorf("at closing a voter's stream got %q", e)
	}
	select {
	case e, open := <-hidden.events:
		if open {
			t.Errorf("after closed the hidden stream went on with %q", e)
		}
	case <-time.After(2 * time.Second):
		t.Error("the hidden stream stayed open after closed")
	}
}

// stream is a live-results connection read line by line.
type stream struct {
	events chan string // "event: ...\ndata: ..." blocks, and retry lines
	cancel context.CancelFunc
}

func openStream(t *testing.T, c *apiUser, id string) *stream {
	t.Helper()
	return openStreamAt(t, c, "/p/"+id+"/events")
}

// openStreamAt opens the stream at path (with a query, say).
func openStreamAt(t *testing.T, c *apiUser, path string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan string, 100), cancel: cancel}
	go func() {
		defer close(s.events)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var block []string
		for sc.Scan() {
			if sc.Text() != "" {
				block = append(block, sc.Text())
				continue
			}
			s.events <- strings.Join(block, "\n")
			block = nil
		}
	}()
	t.Cleanup(cancel)
	return s
}

// next returns the next event block, or fails after wait.
func (s *stream) next(t *testing.T, wait time.Duration) string {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %s", wait)
		return ""
	}
}

// countingStore counts reads of results and of polls, to show that viewers
// share them.
type countingStore struct {
	pollstack.Store
	reads, pollReads atomic.Int64
}

func (s *countingStore) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	s.pollReads.Add(1)
	return s.Store.Poll(ctx, id)
}

func (s *countingStore) Results(ctx context.Context, id string) (pollstack.Results, error) {
	s.reads.Add(1)
	return s.Store.Results(ctx, id)
}

func TestPageLiveResults(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(stores)) {
		t.Run(name, func(t *testing.T) { testLiveResults(t, stores[name](t)) })
	}
}

func testLiveResults(t *testing.T, inner pollstack.Store) {
	store := &countingStore{Store: inner}
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, time.Hour) // no heartbeat, no safety refresh: every read below answers a change
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createForm(pollForm("Live?", "Yes", "No"))

	// Many viewers; each gets the current counts at once.
	const viewers = 200
	streams := make([]*stream, viewers)
	for i := range streams {
		streams[i] = openStream(t, pageClient(t, srv.URL), id)
		if first := streams[i].next(t, 5*time.Second); !retryWithin(first, 1000, 5000) || !strings.Contains(first, `"total":0`) {
			t.Fatalf("first event %q", first)
		}
	}
	if polls, subs := s.StreamCount(); polls != 1 || subs != viewers {
		t.Errorf("hubs %d, subscribers %d; want 1 and %d", polls, subs, viewers)
	}

	// A vote reaches every viewer within a second, and they share the reads.
	before := store.reads.Load()
	start := time.Now()
	c.postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	for i, st := range streams {
		e := st.next(t, time.Second)
		if !strings.Contains(e, "event: results") || !strings.Contains(e, `"total":1`) {
			t.Fatalf("viewer %d got %q, want the new counts", i, e)
		}
	}
	delay := time.Since(start)
	t.Logf("%d viewers saw the vote within %s; %d results reads", viewers, delay.Round(time.Millisecond), store.reads.Load()-before)

	// A burst of votes: every viewer ends with the last counts, and the
	// reads stay bounded by the view cache's gap, however many votes.
	const burst = 100
	before, start = store.reads.Load(), time.Now()
	pollsBefore := store.pollReads.Load()
	var wg sync.WaitGroup
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [2]}`)
		}()
	}
	wg.Wait()
	want := fmt.Sprintf(`"total":%d`, 1+burst)
	for i, st := range streams {
		for e := st.next(t, 3*time.Second); !strings.Contains(e, want); e = st.next(t, 3*time.Second) {
			if !strings.Contains(e, "event: results") {
				t.Fatalf("viewer %d got %q during the burst", i, e)
			}
		}
	}
	reads, took := store.reads.Load()-before, time.Since(start)
	t.Logf("%d votes reached %d viewers in %s with %d results reads", burst, viewers, took.Round(time.Millisecond), reads)
	if max := int64(took/(100*time.Millisecond)) + 2; reads > max {
		t.Errorf("%d results reads for %d votes and %d viewers in %s, want at most %d", reads, burst, viewers, took, max)
	}
	if n := store.pollReads.Load() - pollsBefore; n != 0 {
		t.Errorf("refreshing a watched poll read the poll itself %d times, want only its results", n)
	}

	// Idle: nobody votes, so nothing is read and nothing is pushed. (A
	// notification of the burst may still come after the read that already
	// saw its votes, and cause one more read: let it pass first.)
	time.Sleep(500 * time.Millisecond)
	before = store.reads.Load()
	time.Sleep(time.Second)
	if reads := store.reads.Load() - before; reads != 0 {
		t.Errorf("with nobody voting, %d results reads in a second, want 0", reads)
	}
	for _, st := range streams {
		select {
		case e := <-st.events:
			t.Fatalf("an unchanged poll pushed %q", e)
		default:
		}
	}

	// Viewers leaving stop the hub.
	for _, st := range streams[1:] {
		st.cancel()
	}
	waitFor(t, func() bool { _, subs := s.StreamCount(); return subs == 1 })

	// Shutdown ends the rest with a retry hint, and new streams get only the hint.
	s.CloseStreams()
	if e := streams[0].next(t, time.Second); !retryWithin(e, 500, 3000) || !strings.Contains(e, "event: bye") {
		t.Errorf("at shutdown the stream got %q", e)
	}
	waitFor(t, func() bool { polls, subs := s.StreamCount(); return polls == 0 && subs == 0 })
	late := c.get("/p/" + id + "/events")
	if body := strings.TrimSpace(string(late.Body)); !retryWithin(body, 500, 3000) || strings.Contains(body, "\n") {
		t.Errorf("a stream after shutdown got %q", late.Body)
	}
}

// A deleted poll ends its streams with a "gone" event.
func TestPageLiveResultsDeleted(t *testing.T) {
	s, c := pageServer(t)
	id, token := c.createPoll(`{"question": "Gone?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	st.next(t, 5*time.Second)
	c.do("DELETE", "/api/v1/polls/"+id, "", "", "Authorization", "Bearer "+token)
	if e := st.next(t, 2*time.Second); !strings.HasPrefix(e, "event: gone") {
		t.Errorf("after delete the stream got %q", e)
	}
	waitFor(t, func() bool { polls, _ := s.StreamCount(); return polls == 0 })
	if res := c.get("/p/" + id + "/events"); res.Status != http.StatusNotFound {
		t.Errorf("events of a deleted poll: status %d", res.Status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 3s")
}

// A stream outlives the server's ReadTimeout (cmd/pollstack sets 15 s):
// net/http clears the read deadline once the request is read, and the
// stream must keep it that way.
func TestPageLiveResultsOutliveReadTimeout(t *testing.T) {
	s := web.New(web.Config{Store: stores["sqlite"](t)})
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Still there?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel() // before srv.Close, which waits for open requests
	st.next(t, 5*time.Second)
	time.Sleep(600 * time.Millisecond)
	c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`)
	if e := st.next(t, 2*time.Second); !strings.Contains(e, `"total":1`) {
		t.Errorf("after the read timeout the stream got %q", e)
	}
}

// An unchanged poll's stream carries a heartbeat comment, so that proxies
// keep it open, and nothing else.
func TestPageLiveResultsHeartbeat(t *testing.T) {
	s, c := pageServer(t)
	s.SetStreamTimes(300*time.Millisecond, time.Hour)
	id, _ := c.createPoll(`{"question": "Quiet?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel()
	st.next(t, 5*time.Second)
	for i := 0; i < 2; i++ {
		if e := st.next(t, 2*time.Second); e != ": ping" {
			t.Fatalf("an idle stream got %q, want a heartbeat comment", e)
		}
	}
}

// A change that the feed never tells of (here another program writing the
// same SQLite file) still shows, at the next slow safety refresh.
func TestPageLiveResultsSafetyRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.db")
	store, other := openSQLite(t, path), openSQLite(t, path)
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, 300*time.Millisecond)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Behind its back?", "options": ["Yes", "No"]}`)
	st := openStream(t, c, id)
	defer st.cancel()
	st.next(t, 5*time.Second)
	if err := other.Vote(context.Background(), pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: "elsewhere"}, OptionIDs: []int{2}}); err != nil {
		t.Fatal(err)
	}
	if e := st.next(t, 3*time.Second); !strings.Contains(e, `"total":1`) {
		t.Errorf("after a change the feed did not tell of, the stream got %q", e)
	}
}

// feedStore lets a test speak for the store's change feed.
type feedStore struct {
	pollstack.Store
	mu      sync.Mutex
	changed func([]string)
}

func (s *feedStore) Watch(changed func([]string)) func() {
	s.mu.Lock()
	s.changed = changed
	s.mu.Unlock()
	return s.Store.Watch(changed)
}

func (s *feedStore) tell(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed(ids)
}

// When the feed says that any poll may have changed (it reconnected and
// may have missed notifications), every live poll is read again at once,
// not at its next safety refresh.
func TestPageLiveResultsRefreshAfterReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.db")
	store, other := &feedStore{Store: openSQLite(t, path)}, openSQLite(t, path)
	s := web.New(web.Config{Store: store})
	s.SetStreamTimes(time.Hour, time.Hour)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := pageClient(t, srv.URL)
	var streams []*stream
	var ids []string
	for range 3 {
		id, _ := c.createPoll(`{"question": "Missed?", "options": ["Yes", "No"]}`)
		st := openStream(t, c, id)
		defer st.cancel()
		st.next(t, 5*time.Second)
		if err := other.Vote(context.Background(), pollstack.Ballot{PollID: id, Voter: pollstack.Voter{Browser: "elsewhere"}, OptionIDs: []int{1}}); err != nil {
			t.Fatal(err)
		}
		streams, ids = append(streams, st), append(ids, id)
	}
	time.Sleep(300 * time.Millisecond)
	for i, st := range streams {
		select {
		case e := <-st.events:
			t.Fatalf("poll %s: the stream got %q before the feed said anything", ids[i], e)
		default:
		}
	}
	store.tell(nil)
	for i, st := range streams {
		if e := st.next(t, 2*time.Second); !strings.Contains(e, `"total":1`) {
			t.Errorf("poll %s: after the feed reconnected the stream got %q", ids[i], e)
		}
	}
}

// retryWithin reports whether an event block starts with a retry hint
// within [lo, hi] ms.
func retryWithin(block string, lo, hi int) bool {
	line, _, _ := strings.Cut(block, "\n")
	ms, err := strconv.Atoi(strings.TrimPrefix(line, "retry: "))
	return strings.HasPrefix(line, "retry: ") && err == nil && ms >= lo && ms <= hi
}

// The reconnection hints are spread, so that the viewers of a server that
// stops do not all come back at the same instant.
func TestPageLiveResultsRetrySpread(t *testing.T) {
	_, c := pageServer(t)
	id, _ := c.createPoll(`{"question": "Spread?", "options": ["Yes", "No"]}`)
	seen := map[string]bool{}
	for range 20 {
		st := openStream(t, c, id)
		first := st.next(t, 5*time.Second)
		st.cancel()
		if !retryWithin(first, 1000, 5000) {
			t.Fatalf("first event %q", first)
		}
		line, _, _ := strings.Cut(first, "\n")
		seen[line] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 streams got %d different retry hints, want them spread", len(seen))
	}
}
