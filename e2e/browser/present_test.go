//go:build integration

package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Present mode runs a room (issue 26, item 4), with and without
// JavaScript: a 300-character question with six options fits 1920x1080
// without scrolling and "No votes yet" is large; the owner reveals hidden
// results on the projector from the admin page while the public asking the
// same gets them hidden; the join code on the screen, typed in lower case
// with a full stop into the home page's box, reaches the poll.
func TestBrowserPresentRoom(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		question := strings.Repeat("Which of these proposals should the committee fund first ", 6)[:299] + "?"
		id, token := e.apiPoll(t, `{"question": "`+question+`", "results": "after_close",
			"options": ["A new library wing", "Bike lanes downtown", "A community garden", "Free public wifi", "Longer pool hours", "A skate park"]}`)
		public := e.voterTab(t, js)
		e.do(t, public, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(e.base+"/p/"+id+"/present?reveal"), chromedp.WaitVisible(chromedp.CSS(".present h1")))
		if n := run(t, public, chromedp.Evaluate[int](`document.querySelectorAll("[data-total]").length`)); n != 0 {
			t.Error("the public's present page with ?reveal shows the results")
		}

		projector := e.voterTab(t, js)
		e.openAdmin(t, projector, id, token, js)
		e.do(t, projector, chromedp.Click(chromedp.CSS(`form[action="/p/`+id+`/present"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".present [data-total]")), chromedp.EmulateViewport(1920, 1080))
		size := run(t, projector, chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, document.documentElement.scrollHeight,
			parseFloat(getComputedStyle(document.querySelector("[data-empty]")).fontSize)]`))
		if size[0] > 1920 || size[1] > 1080 {
			t.Errorf("present mode at 1920x1080 scrolls: the page is %.0fx%.0f", size[0], size[1])
		}
		if size[2] < 28 {
			t.Errorf(`"No votes yet" is %.0fpx on a projector, want at least 28`, size[2])
		}
		if js {
			e.axeBothThemes(t, projector, "present mode, revealed")
		}
		code := text(t, projector, ".join-code")

		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("join-code")),
			chromedp.SendKeys(chromedp.ID("join-code"), strings.ToLower(code)+"."),
			chromedp.Click(chromedp.CSS(".join-box button")), chromedp.WaitVisible(chromedp.CSS("form.vote")))
		if h1 := text(t, voter, "h1"); h1 != question {
			t.Errorf("the join code %s. led to %q", strings.ToLower(code), h1)
		}
		if js {
			e.axeBothThemes(t, voter, "poll page reached by join code")
		}
	})
}
