//go:build integration

package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The creator keeps the poll (issue 26, item 1): in the browser that made
// it, a reload of the created page, a bookmarked admin page (no token in
// its address) and the Your polls page all manage it; another browser gets
// the token form until it opens the admin link, which then works there too.
func TestBrowserCreatorKeepsThePoll(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		creator := e.voterTab(t, js)
		question := "Which room for the retro?"
		if !js {
			question = "Which room for the review?"
		}
		e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("question"), question),
			chromedp.SendKeys(chromedp.ID("option-0"), "Blue room"),
			chromedp.SendKeys(chromedp.ID("option-1"), "Green room"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.ID("admin-link")))
		adminURL := run(t, creator, chromedp.Value(chromedp.ID("admin-link")))
		pollURL := run(t, creator, chromedp.Value(chromedp.ID("share-link")))
		id := pollURL[strings.LastIndex(pollURL, "/")+1:]

		// A reload keeps the admin link.
		e.do(t, creator, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("admin-link")))
		if again := run(t, creator, chromedp.Value(chromedp.ID("admin-link"))); again != adminURL {
			t.Errorf("after a reload the admin link is %q, want %q", again, adminURL)
		}
		// The admin page as a bookmark: its address alone, no token.
		e.do(t, creator, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		if n := run(t, creator, chromedp.Evaluate[int](`document.querySelectorAll("[data-admin-login]").length`)); n != 0 {
			t.Error("the bookmarked admin page asks for the token")
		}
		// The admin link itself, in this browser: the page opens, and with
		// JavaScript the token leaves the address bar.
		e.do(t, creator, chromedp.Navigate(adminURL), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		if js {
			waitFor(t, creator, `location.hash === ""`)
		}
		// Your polls lists it, with the admin link and the actions.
		e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.Click(chromedp.CSS(`header a[href="/my-polls"]`)),
			chromedp.WaitVisible(chromedp.ID("admin-link-"+id)))
		if got := text(t, creator, "#mine-"+id); got != question {
			t.Errorf("Your polls names the poll %q, want %q", got, question)
		}
		if link := run(t, creator, chromedp.Value(chromedp.ID("admin-link-"+id))); link != adminURL {
			t.Errorf("Your polls shows the admin link %q, want %q", link, adminURL)
		}
		if js {
			e.check(t, creator, "my-polls")
		}
		e.linksAnswer(t, creator, "Your polls")

		// Another browser: the token form, until it opens the admin link.
		other := e.voterTab(t, js)
		e.do(t, other, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.ID("token")))
		e.do(t, other, chromedp.Navigate(e.base+"/my-polls"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if body := text(t, other, "main"); strings.Contains(body, question) {
			t.Error("another browser's Your polls lists the poll")
		}
		e.openAdmin(t, other, id, token(adminURL), js)
		e.do(t, other, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))

		// Close from Your polls, with the cookie alone.
		e.do(t, creator, chromedp.Click(chromedp.CSS(`form[action="/p/`+id+`/close"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".notice.closed")))
		res, err := http.Get(e.base + "/api/v1/polls/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var poll struct{ Closed bool }
		if err := json.NewDecoder(res.Body).Decode(&poll); err != nil || !poll.Closed {
			t.Errorf("after Close on Your polls the poll is not closed (%v)", err)
		}
	})
}

// token is the admin token of an admin link: the part after "#".
func token(adminURL string) string {
	return adminURL[strings.Index(adminURL, "#")+1:]
}
