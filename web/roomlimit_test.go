package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pollstack/pollstack/web"
)

// A room on one address: every browser with its own voter cookie is
// counted up to the room's size, past it the address is refused; one
// browser alone stays within the per-browser rate, and a client without
// cookies within the per-address rate, as before.
func TestRoomVotesFromOneAddress(t *testing.T) {
	now := time.Now() // the clock stands still: no token comes back during the test
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), TrustProxy: true, VotesPerSecond: 5, RoomVotes: 30,
		Now: func() time.Time { return now }}))
	defer srv.Close()
	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
	c := newClient(t, srv.URL)
	id, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "allow_changes": true}`)

	browser := func(addr string) *apiUser { // a browser that opened the poll first: it has its voter cookie
		b := newClient(t, srv.URL)
		b.get("/p/"+id, from(addr)...)
		return b
	}
	for i := range 30 {
		if status, body := browser("198.51.100.1").vote(id, `{"option_ids": [1]}`, from("198.51.100.1")...); status != http.StatusCreated {
			t.Fatalf("browser %d of the room: %d %s, want 201", i+1, status, body)
		}
	}
	res := browser("198.51.100.1").postJSON("/api/v1/polls/"+id+"/votes", `{"option_ids": [1]}`, from("198.51.100.1")...)
	if code, _ := res.errorCode(t); res.Status != http.StatusTooManyRequests || code != "rate_limited" || res.Header.Get("Retry-After") == "" {
		t.Errorf("the 31st browser of a room of 30: %d %s, want 429 with Retry-After", res.Status, res.Body)
	}
	if total, _ := c.results(id); total != 30 {
		t.Errorf("total %d, want the room's 30", total)
	}

	// One browser alone: its first vote and changes, 5 at once.
	one := browser("198.51.100.2")
	statuses := map[int]int{}
	for i := range 8 {
		if i == 0 {
			status, _ := one.vote(id, `{"option_ids": [1]}`, from("198.51.100.2")...)
			statuses[status]++
			continue
		}
		statuses[one.do("PUT", "/api/v1/polls/"+id+"/votes/mine", "application/json", fmt.Sprintf(`{"option_ids": [%d]}`, i%2+1), from("198.51.100.2")...).Status]++
	}
	if statuses[201] != 1 || statuses[200] != 4 || statuses[429] != 3 {
		t.Errorf("one browser's 8 votes at once: %v, want 1 vote, 4 changes and 3 429", statuses)
	}

	// Without cookies (a new voter each time): the address's own 5.
	statuses = map[int]int{}
	for range 8 {
		status, _ := newClient(t, srv.URL).vote(id, `{"option_ids": [1]}`, from("198.51.100.3")...)
		statuses[status]++
	}
	if statuses[201] != 5 || statuses[429] != 3 {
		t.Errorf("8 cookie-less votes at once: %v, want 5 201 and 3 429", statuses)
	}
}

// A poll sent back for a mistake costs no creation: the limit counts polls
// made, so the corrected form still goes through.
func TestCreateLimitCountsOnlyPollsMade(t *testing.T) {
	now := time.Now()
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), CreatesPerMinute: 1, Now: func() time.Time { return now }}))
	defer srv.Close()
	c := pageClient(t, srv.URL)
	for range 3 {
		if res := c.form("/", pollForm("", "Tea", "Coffee")); res.Status != http.StatusBadRequest {
			t.Fatalf("a poll without a question: %d, want 400", res.Status)
		}
	}
	c.createForm(pollForm("Tea?", "Tea", "Coffee"))
	if res := c.form("/", url.Values(pollForm("Again?", "Tea", "Coffee"))); res.Status != http.StatusTooManyRequests {
		t.Errorf("the second poll made in the minute: %d, want 429", res.Status)
	}
}
