package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/web"
)

// The poll page says when the retention job will delete the poll: its
// end plus the retention for a poll that closes, its last activity plus
// the retention (later with more votes) for one that never does; nothing
// without retention.
func TestPollPageSaysWhenThePollIsDeleted(t *testing.T) {
	const retention = 90 * 24 * time.Hour
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), Retention: retention}))
	t.Cleanup(srv.Close)
	c := pageClient(t, srv.URL)
	closes := time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)
	scheduled, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"], "closes_at": "` + closes.Format(time.RFC3339) + `"}`)
	mustContain(t, c.get("/p/"+scheduled), `The poll and its votes will be deleted on <time datetime="`+closes.Add(retention).Format(time.RFC3339)+`"`)

	open, _ := c.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
	created, err := time.Parse(time.RFC3339Nano, c.get("/api/v1/polls/" + open).json(t)["created_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	page := c.get("/p/" + open)
	mustContain(t, page, `The poll and its votes will be deleted on <time datetime="`+created.Add(retention).UTC().Format(time.RFC3339)+`"`,
		"or later if it gets more votes.")

	_, forever := pageServer(t)
	id, _ := forever.createPoll(`{"question": "Q", "options": ["A", "B"]}`)
	if got := forever.get("/p/" + id); strings.Contains(string(got.Body), "will be deleted") {
		t.Errorf("without retention the page names a deletion:\n%s", got.Body)
	}
}
