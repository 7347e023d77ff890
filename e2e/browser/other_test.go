//go:build integration

package browser

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A voter writes an answer of their own, with JavaScript and without: the
// creator sets it up in the create form, the answer waits unseen on the
// public results until the creator approves it on the admin page, and then
// it is an option on the poll page.
func TestBrowserOtherAnswer(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		creator := e.voterTab(t, js)
		e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("allow_other-creator")))
		if js {
			e.axeBothThemes(t, creator, "create with answers of their own")
		}
		e.do(t, creator,
			chromedp.SendKeys(chromedp.ID("question"), "What should the team lunch be?"),
			chromedp.SendKeys(chromedp.ID("option-0"), "Pizza"),
			chromedp.SendKeys(chromedp.ID("option-1"), "Salad"),
			chromedp.Click(chromedp.ID("allow_other-creator")),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.ID("admin-link")),
		)
		pollURL := run(t, creator, chromedp.Value(chromedp.ID("share-link")))
		id := pollURL[strings.LastIndex(pollURL, "/")+1:]

		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("other")))
		if js {
			e.axeBothThemes(t, voter, "poll with an answer box")
		}
		e.do(t, voter,
			chromedp.Click(chromedp.ID("option-other")),
			chromedp.SendKeys(chromedp.ID("other"), "Ramen"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.CSS(".notice.confirm")),
		)
		if body := get(t, e.base+"/p/"+id+"/results") + get(t, e.base+"/api/v1/polls/"+id); strings.Contains(body, "Ramen") {
			t.Error("the answer waiting for approval is public")
		}

		// The creator's browser holds the poll (the form's creator cookie):
		// the admin page opens without the token.
		e.do(t, creator, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.CSS(".pending")))
		if pending := text(t, creator, ".pending li"); !strings.Contains(pending, "Ramen") || !strings.Contains(pending, "1 vote") {
			t.Errorf("admin page lists %q, want Ramen with 1 vote", pending)
		}
		if js {
			e.axeBothThemes(t, creator, "admin with a waiting answer")
		}
		// An open results page learns of the approved answer's new option
		// live, without a reload.
		var watcher context.Context
		if js {
			watcher = e.voterTab(t, js)
			e.do(t, watcher, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			run(t, watcher, chromedp.Evaluate[bool](`window.stayed = true`))
		}
		e.do(t, creator, chromedp.Click(chromedp.CSS(`.pending button[value="approve"]`)),
			chromedp.WaitNotPresent(chromedp.CSS(".pending li")), chromedp.WaitVisible(chromedp.CSS(".pending")))
		if left := text(t, creator, ".pending"); !strings.Contains(left, "No answers are waiting") {
			t.Errorf("after approving, the admin page says %q", left)
		}
		if js {
			waitFor(t, watcher, `window.stayed === true && /Ramen/.test(document.querySelector('[data-option="3"]')?.textContent || "")`)
		}
		other := e.voterTab(t, js)
		e.do(t, other, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("option-3")))
		if label := text(t, other, `label[for="option-3"]`); label != "Ramen" {
			t.Errorf("the approved answer's option reads %q, want Ramen", label)
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}
