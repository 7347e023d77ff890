package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/pollstack/pollstack/web"
)

// Past its burst, a client's votes and new polls get 429 rate_limited with
// Retry-After, and nothing of a refused request is stored; another address
// is not affected.
func TestAPIRateLimits(t *testing.T) {
	// The clock stands still: however slowly a busy machine sends the
	// requests, no token comes back during the test.
	now := time.Now()
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true, CreatesPerMinute: 3, VotesPerSecond: 5,
		Now: func() time.Time { return now }}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
	var id string
	for i := range 4 {
		res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"]}`, from("198.51.100.1")...)
		if i < 3 {
			if res.Status != http.StatusCreated {
				t.Fatalf("poll %d: %d %s", i+1, res.Status, res.Body)
			}
			id = res.json(t)["id"].(string)
			continue
		}
		code, _ := res.errorCode(t)
		retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if res.Status != http.StatusTooManyRequests || code != "rate_limited" || retry < 1 || retry > 20 {
			t.Errorf("4th poll in a minute: %d %s, Retry-After %q; want 429 rate_limited within 20 s", res.Status, code, res.Header.Get("Retry-After"))
		}
	}
	if res := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"]}`, from("198.51.100.2")...); res.Status != http.StatusCreated {
		t.Errorf("a poll from another address: %d", res.Status)
	}

	statuses := map[int]int{}
	for range 8 { // a new cookie each time: the browser check alone would take them all
		res := c.another().postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`, from("198.51.100.1")...)
		statuses[res.Status]++
		if res.Status == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "1" {
			t.Errorf("429 with Retry-After %q, want 1", res.Header.Get("Retry-After"))
		}
	}
	if statuses[201] != 5 || statuses[429] != 3 {
		t.Errorf("8 votes at once: %v, want 5 201 and 3 429", statuses)
	}
	if total, _ := c.results(id); total != 5 {
		t.Errorf("total = %d, want 5: a refused vote was stored", total)
	}
	if status, _ := c.another().vote(id, `{"option_ids": [1]}`, from("198.51.100.3")...); status != 201 {
		t.Errorf("a vote from another address: %d", status)
	}
}

// The pages meet the same limits, with the form again, filled in as sent,
// saying so and when app.js will send it again.
func TestPageRateLimits(t *testing.T) {
	now := time.Now()
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), CreatesPerMinute: 1, VotesPerSecond: 1,
		Now: func() time.Time { return now }}))
	defer srv.Close()
	c := pageClient(t, srv.URL)
	id, _ := c.createForm(pollForm("Tea?", "Tea", "Coffee"))
	res := c.form("/", pollForm("Again?", "Tea", "Coffee"))
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("second poll: %d, Retry-After %q", res.Status, res.Header.Get("Retry-After"))
	}
	mustContain(t, res, "<h1>Create a poll</h1>", "Too many new polls from your address", ">Again?</textarea>", `value="Coffee"`,
		`data-retry-after="`+res.Header.Get("Retry-After")+`"`)
	pageClient(t, srv.URL).form("/p/"+id+"/vote", map[string][]string{"option": {"1"}})
	res = pageClient(t, srv.URL).form("/p/"+id+"/vote", map[string][]string{"option": {"2"}})
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Errorf("second vote within a second: %d, Retry-After %q; want 429 and 1", res.Status, res.Header.Get("Retry-After"))
	}
	mustContain(t, res, "Too many votes from your address", fmt.Sprintf(`action="/p/%s/vote" class="vote" data-retry-after="1"`, id),
		`id="option-2" name="option" value="2" checked`)
}

// The ballot file reads every ballot of the poll again: its downloads meet
// the same limit as the voter code downloads, per address, past which they
// get 429 rate_limited without a read of the store.
func TestBallotFileDownloadsAreLimited(t *testing.T) {
	now := time.Now()
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true, CreatesPerMinute: 2,
		Now: func() time.Time { return now }}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	poll := c.postJSON("/api/v1/polls", `{"question": "Q", "options": ["A", "B"], "kind": "ranked"}`).json(t)
	download := func(addr string) response {
		return c.do("GET", "/api/v1/polls/"+poll["id"].(string)+"/ballots.csv", "", "",
			"Authorization", "Bearer "+poll["admin_token"].(string), "X-Forwarded-For", addr)
	}
	for i := range 2 {
		if res := download("198.51.100.1"); res.Status != http.StatusOK {
			t.Fatalf("download %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	wantError(t, download("198.51.100.1"), http.StatusTooManyRequests, "rate_limited", "")
	if res := download("198.51.100.2"); res.Status != http.StatusOK {
		t.Errorf("a download from another address: %d", res.Status)
	}
}
