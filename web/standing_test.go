package web_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/web"
)

const thanks = "Thank you: your vote is counted."

// After a first vote, the page it lands on says so, once; the results mark
// the voter's own choice, for the browser that cast it only.
func TestPageVoteConfirmedAndYourChoiceMarked(t *testing.T) {
	_, c := pageServer(t)
	id, _ := c.createForm(pollForm("Lunch?", "Soup", "Salad", "Pasta"))
	loc, results := c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"2"}}))
	if loc != "/p/"+id+"/results" {
		t.Fatalf("the vote led to %q", loc)
	}
	mustContain(t, results, thanks, `<li data-option="2" class="yours">`, "Your choice")
	if n := strings.Count(string(results.Body), `class="yours"`); n != 1 {
		t.Errorf("%d rows marked as yours, want 1", n)
	}
	again := c.get("/p/" + id + "/results")
	if strings.Contains(string(again.Body), thanks) {
		t.Error("the confirmation shows again on a reload")
	}
	mustContain(t, again, `<li data-option="2" class="yours">`)
	if other := pageClient(t, c.base).get("/p/" + id + "/results"); strings.Contains(string(other.Body), "yours") {
		t.Error("another browser's results mark a choice as its own")
	}
}

// On a poll checked by address, the results mark nothing: another browser
// behind the same address must not learn the ballot. The vote is still
// confirmed to the browser that cast it.
func TestPageAddressPollMarksNoChoice(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Lunch?", "Soup", "Salad")
	v.Set("duplicate_check", "ip")
	id, _ := c.createForm(v)
	_, results := c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	mustContain(t, results, thanks)
	for who, page := range map[string]response{"the voter": results, "a neighbour": pageClient(t, c.base).get("/p/" + id + "/results")} {
		if strings.Contains(string(page.Body), "yours") {
			t.Errorf("%s sees a choice marked on an address poll", who)
		}
	}
}

// A code vote with hidden results lands on a page that confirms it, not on
// an empty ballot that invites a second try with the used code.
func TestPageCodeVoteConfirmed(t *testing.T) {
	_, c := pageServer(t)
	v := pollForm("Board election", "Ann", "Bo")
	v.Set("duplicate_check", "code")
	v.Set("voter_codes", "2")
	v.Set("results", "after_close")
	id, created := c.createForm(v)
	codes := listedCodes(t, created)
	voter := pageClient(t, c.base)
	loc, page := voter.follow(voter.form("/p/"+id+"/vote", url.Values{"option": {"1"}, "code": {codes[0]}}))
	if loc != "/p/"+id {
		t.Fatalf("the code vote led to %q", loc)
	}
	mustContain(t, page, thanks, "cannot vote again", ">Vote with another code</a>")
	if strings.Contains(string(page.Body), `action="/p/`+id+`/vote"`) {
		t.Error("the confirmation page offers the ballot again")
	}
	mustContain(t, voter.get("/p/"+id), `action="/p/`+id+`/vote"`)
}

// A poll closed by hand says when it closed (the API too), not the closing
// time it was set to reach later; its pages look closed.
func TestPageClosedTimeIsWhenItClosed(t *testing.T) {
	now := time.Date(2030, 1, 2, 10, 30, 0, 0, time.UTC)
	srv := httptest.NewServer(web.New(web.Config{Store: stores["sqlite"](t), Now: func() time.Time { return now }}))
	defer srv.Close()
	c := pageClient(t, srv.URL)
	v := pollForm("Lunch?", "Soup", "Salad")
	v.Set("closes_at", "2030-06-09T12:00")
	id, created := c.createForm(v)
	token := adminLink.FindStringSubmatch(string(created.Body))[2]
	c.form("/p/"+id+"/close", url.Values{"token": {token}})
	want := `It closed on <time datetime="2030-01-02T10:30:00Z" data-local>2 January 2030, 10:30 UTC</time>.`
	for _, path := range []string{"/p/" + id, "/p/" + id + "/results", "/p/" + id + "/admin"} {
		page := c.get(path)
		mustContain(t, page, want, `class="notice closed"`)
		if strings.Contains(string(page.Body), "9 June 2030") {
			t.Errorf("%s names the closing time it never reached", path)
		}
	}
	poll := c.get("/api/v1/polls/" + id).json(t)
	if poll["closed_at"] != "2030-01-02T10:30:00Z" || poll["closes_at"] != "2030-06-09T12:00:00Z" {
		t.Errorf("API: closed_at %v, closes_at %v", poll["closed_at"], poll["closes_at"])
	}
	open, _ := c.createForm(pollForm("Dinner?", "Soup", "Salad"))
	if got := c.get("/api/v1/polls/" + open).json(t); got["closed_at"] != nil {
		t.Errorf("an open poll's closed_at is %v, want null", got["closed_at"])
	}
}

// Every place a page shows the creator's text (question, description,
// options) lets the browser find its direction (dir="auto"): found by
// rendering every page of a poll in Hebrew and Arabic and checking the
// element around each occurrence, not by a list of templates.
func TestPageUserTextHasDirAuto(t *testing.T) {
	_, c := pageServer(t)
	question, description := "איפה נאכל? 🍽", "نلتقي يوم الجمعة"
	options := []string{"פיצה 🍕", "סלט", "شوربة"}
	v := pollForm(question, options...)
	v.Set("description", description)
	id, created := c.createForm(v)
	c.follow(c.form("/p/"+id+"/vote", url.Values{"option": {"1"}}))
	pages := map[string]response{"created": created}
	for _, path := range []string{"/p/" + id, "/p/" + id + "/results", "/p/" + id + "/present", "/p/" + id + "/admin", "/my-polls"} {
		pages[path] = c.get(path)
	}
	pages["delete"] = c.form("/p/"+id+"/delete", url.Values{})
	openTag := regexp.MustCompile(`<([a-z0-9]+)\b[^>]*>$`)
	for name, page := range pages {
		body := string(page.Body)
		for _, text := range append([]string{question, description}, options...) {
			for i := strings.Index(body, text); i >= 0; i = next(body, text, i) {
				before := body[:i]
				if strings.HasSuffix(before, `value="`) || strings.LastIndex(before, "<title>") > strings.LastIndex(before, "</title>") {
					continue // an attribute's value, or the window's title: no element of its own
				}
				tag := openTag.FindString(before)
				if !strings.Contains(tag, `dir="auto"`) {
					t.Errorf("%s: %q shown in %q, without dir=\"auto\"", name, text, tag)
				}
			}
		}
	}
}

func next(body, text string, i int) int {
	j := strings.Index(body[i+len(text):], text)
	if j < 0 {
		return -1
	}
	return i + len(text) + j
}
