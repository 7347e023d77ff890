//go:build integration

package browser

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pollstack/pollstack/web"
)

// Every page says where you stand (issue 26, item 5), with and without
// JavaScript: the create form lists every mistake at once; a vote is
// confirmed and its choice marked on the results; a closed poll says when
// it closed.
func TestBrowserWhereYouStand(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		creator := e.voterTab(t, js)
		e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("option-0"), "Tea"),
			chromedp.SendKeys(chromedp.ID("option-1"), "tea"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		summary := text(t, creator, ".error-summary")
		for _, want := range []string{"2 things to fix", "Write a question.", "“Tea” and “tea” count as the same option."} {
			if !strings.Contains(summary, want) {
				t.Errorf("the list of mistakes %q lacks %q", summary, want)
			}
		}
		if js {
			e.check(t, creator, "create-errors")
		}
		e.do(t, creator, chromedp.SendKeys(chromedp.ID("question"), "Tea or coffee?"),
			chromedp.SetValue(chromedp.ID("option-1"), "Coffee"),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("share-link")))
		pollURL := run(t, creator, chromedp.Value(chromedp.ID("share-link")))

		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("option-2")),
			chromedp.Click(chromedp.ID("option-2")), chromedp.Click(chromedp.CSS("form.vote button")),
			chromedp.WaitVisible(chromedp.CSS(".notice.confirm")))
		if got := text(t, voter, ".notice.confirm"); got != "Thank you: your vote is counted." {
			t.Errorf("after voting: %q", got)
		}
		if mine := text(t, voter, "li.yours .label"); mine != "Coffee" {
			t.Errorf("the results mark %q as the voter's choice, want Coffee", mine)
		}
		if js {
			e.check(t, voter, "results-voted")
		}
		other := e.voterTab(t, js)
		e.do(t, other, chromedp.Navigate(pollURL+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		if n := run(t, other, chromedp.Evaluate[int](`document.querySelectorAll("li.yours, .notice.confirm").length`)); n != 0 {
			t.Error("another browser sees a choice marked, or a confirmation")
		}

		// Closed from Your polls: the poll page looks closed and says when.
		id := pollURL[strings.LastIndex(pollURL, "/")+1:]
		before := time.Now().UTC().Add(-time.Minute)
		e.do(t, creator, chromedp.Navigate(e.base+"/my-polls"),
			chromedp.Click(chromedp.CSS(`form[action="/p/`+id+`/close"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice.closed")))
		e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.CSS(".notice.closed")))
		at, err := time.Parse(time.RFC3339, run(t, voter, chromedp.Evaluate[string](`document.querySelector(".notice.closed time").getAttribute("datetime")`)))
		if err != nil || at.Before(before) || at.After(time.Now().Add(time.Minute)) {
			t.Errorf("the closed poll says it closed at %v (%v), want about now", at, err)
		}
		if n := run(t, voter, chromedp.Evaluate[int](`document.querySelectorAll("form.vote").length`)); n != 0 {
			t.Error("the closed poll offers a ballot")
		}
		if js {
			e.check(t, voter, "poll-closed")
		}
	})
}

// A vote refused by the rate limit keeps its choice; with JavaScript the
// page sends it again after Retry-After, and it counts.
func TestBrowserRefusedVoteKeepsItsChoice(t *testing.T) {
	e := startBrowserEnv(t, func(c *web.Config) { c.VotesPerSecond, c.RoomVotes = 1, 0 }) // one vote a second from 127.0.0.1
	eachMode(t, func(t *testing.T, js bool) {
		id, _ := e.apiPoll(t, `{"question": "Lunch?", "options": ["Soup", "Salad", "Pasta"]}`)
		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("option-3")), chromedp.Click(chromedp.ID("option-3")))
		useUpTheSecond(t, e.base+"/api/v1/polls/"+id+"/votes")
		e.do(t, voter, chromedp.Click(chromedp.CSS("form.vote button")))
		if js {
			// Refused, then sent again by itself: the results with the vote.
			e.do(t, voter, chromedp.WaitVisible(chromedp.CSS(".notice.confirm")))
			if mine := text(t, voter, "li.yours .label"); mine != "Pasta" {
				t.Errorf("after the retry the voter's choice is %q, want Pasta", mine)
			}
			return
		}
		e.do(t, voter, chromedp.WaitVisible(chromedp.ID("vote-error")))
		if msg := text(t, voter, "#vote-error"); !strings.Contains(msg, "Too many votes") {
			t.Errorf("the refusal says %q", msg)
		}
		if checked := run(t, voter, chromedp.Evaluate[bool](`document.getElementById("option-3").checked`)); !checked {
			t.Error("the refused ballot lost its choice")
		}
	})
}

// A new poll refused by the rate limit comes back with everything typed;
// with JavaScript the page sends it again after Retry-After, and it is
// made. The server's clock stands still until the test moves it, so the
// refusal does not depend on the machine's speed.
func TestBrowserRefusedPollKeepsWhatWasTyped(t *testing.T) {
	start := time.Now()
	var moved atomic.Int64
	e := startBrowserEnv(t, func(c *web.Config) {
		c.CreatesPerMinute = 60 // a burst of 60, then one a second
		c.Now = func() time.Time { return start.Add(time.Duration(moved.Load())) }
	})
	eachMode(t, func(t *testing.T, js bool) {
		for { // use up the address's burst
			res, err := http.Post(e.base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Q", "options": ["A", "B"]}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		tab := e.voterTab(t, js)
		e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("question"), "Which day suits the team?"),
			chromedp.SendKeys(chromedp.ID("option-0"), "Monday"),
			chromedp.SendKeys(chromedp.ID("option-1"), "Friday"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.ID("form-error")))
		if msg := text(t, tab, "#form-error"); !strings.Contains(msg, "Too many new polls") {
			t.Errorf("the refusal says %q", msg)
		}
		if q, o := run(t, tab, chromedp.Value(chromedp.ID("question"))), run(t, tab, chromedp.Value(chromedp.ID("option-1"))); q != "Which day suits the team?" || o != "Friday" {
			t.Errorf("the refused form came back with %q and %q", q, o)
		}
		moved.Add(int64(2 * time.Second)) // a token is back
		if js {
			e.do(t, tab, chromedp.WaitVisible(chromedp.ID("share-link")))
			if got := text(t, tab, "p.question"); got != "Which day suits the team?" {
				t.Errorf("the poll sent again is %q", got)
			}
		}
	})
}

// useUpTheSecond casts the address's one vote of the current second through
// the API, waiting out a refusal first: the vote of an earlier step (the
// other mode's retry) may still hold the second.
func useUpTheSecond(t *testing.T, votes string) {
	t.Helper()
	for range 5 {
		res, err := http.Post(votes, "application/json", strings.NewReader(`{"option_ids": [1]}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusCreated:
			return
		case http.StatusTooManyRequests:
			time.Sleep(time.Second)
		default:
			t.Fatalf("the vote that uses up the second: %s", res.Status)
		}
	}
	t.Fatal("the vote that uses up the second: refused five times")
}
