//go:build integration

package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A kiosk poll on one shared tablet (issue 26, item 5), with and without
// JavaScript: the creator ticks the kiosk box; two people vote one after
// the other in the same tab; after each vote the page is an empty ballot
// with thanks, neither the last choice nor the results, not even on Back;
// both votes count.
func TestBrowserKiosk(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		tablet := e.voterTab(t, js)
		e.do(t, tablet, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("question"), "How was the workshop?"),
			chromedp.SendKeys(chromedp.ID("option-0"), "Great"),
			chromedp.SendKeys(chromedp.ID("option-1"), "Could be better"),
			chromedp.Click(chromedp.ID("kiosk")),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.ID("share-link")))
		pollURL := run(t, tablet, chromedp.Value(chromedp.ID("share-link")))
		id := pollURL[strings.LastIndex(pollURL, "/")+1:]
		e.do(t, tablet, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.CSS("form.vote")))
		if js {
			e.axeBothThemes(t, tablet, "kiosk ballot")
		}
		for i, option := range []string{"option-2", "option-1"} {
			e.do(t, tablet, chromedp.Evaluate[chromedp.Void](`document.body.dataset.before = "vote"`),
				chromedp.Click(chromedp.ID(option)), chromedp.Click(chromedp.CSS("form.vote button")),
				chromedp.WaitNotPresent(chromedp.CSS("body[data-before]")), chromedp.WaitVisible(chromedp.CSS(".kiosk-thanks")))
			ticked := run(t, tablet, chromedp.Evaluate[int](`document.querySelectorAll("form.vote input:checked").length`))
			shown := run(t, tablet, chromedp.Evaluate[int](`document.querySelectorAll("#mine-heading, main a[href$='/results']:not([hidden] a)").length`))
			if ticked != 0 || shown != 0 {
				t.Errorf("after vote %d the tablet shows %d ticked options and %d of the last choice or results", i+1, ticked, shown)
			}
			if js && i == 0 {
				e.axeBothThemes(t, tablet, "kiosk thanks")
			}
		}
		// Back: the browser must not restore the last voter's ticks.
		back := chromedp.Action[chromedp.Void](chromedp.NavigateBack())
		if js { // a page that runs scripts goes back by itself, and the tab waits for the new document
			back = chromedp.Evaluate[chromedp.Void](`setTimeout(() => history.back(), 0)`)
		}
		e.do(t, tablet, chromedp.Evaluate[chromedp.Void](`document.body.dataset.before = "back"`), back,
			chromedp.WaitNotPresent(chromedp.CSS("body[data-before]")), chromedp.WaitVisible(chromedp.CSS("form.vote")))
		if ticked := run(t, tablet, chromedp.Evaluate[int](`document.querySelectorAll("form.vote input:checked").length`)); ticked != 0 {
			t.Errorf("Back shows %d ticked options", ticked)
		}
		if got := apiTotal(t, http.DefaultClient, e.base, id); got != 2 {
			t.Errorf("total %d, want 2", got)
		}
	})
}
