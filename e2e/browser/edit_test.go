//go:build integration

package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The creator edits a poll that has a vote (issue 26, item 2), with and
// without JavaScript: a renamed option with votes is refused until
// confirmed, then saved; an open voter page hears of it at once (with
// JavaScript), and the poll and results pages show the change log. The
// admin page with its form and the poll page with the log pass axe-core in
// both themes.
func TestBrowserEditPoll(t *testing.T) {
	e := startBrowserEnv(t)
	eachMode(t, func(t *testing.T, js bool) {
		id, token := e.apiPoll(t, `{"question": "Where do we meet?", "options": ["Cafe", "Library", "Park"]}`)
		e.apiVote(t, id, 1)
		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.CSS("form.vote")))

		creator := e.voterTab(t, js)
		e.openAdmin(t, creator, id, token, js)
		if js { // axe-core runs as a script
			e.axeBothThemes(t, creator, "admin page with the edit form")
		}
		e.do(t, creator, chromedp.SetValue(chromedp.ID("edit-question"), "Where do we meet on Friday?"),
			chromedp.SetValue(chromedp.ID("option-1"), "Corner cafe"),
			chromedp.SetValue(chromedp.ID("new-options"), "Station"),
			chromedp.Click(chromedp.CSS(`form.edit-poll button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("edit-error")))
		if msg := text(t, creator, "#edit-error"); !strings.Contains(msg, "already has votes") {
			t.Errorf("renaming an option with votes, unconfirmed: %q", msg)
		}
		// What was typed is still there; confirm and save.
		if got := run(t, creator, chromedp.Value(chromedp.ID("option-1"))); got != "Corner cafe" {
			t.Errorf("after the refusal option 1 reads %q, want what was typed", got)
		}
		e.do(t, creator, chromedp.Click(chromedp.ID("confirm-relabel")),
			chromedp.Click(chromedp.CSS(`form.edit-poll button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".edit .notice.confirm")))
		if got := run(t, creator, chromedp.Value(chromedp.ID("option-4"))); got != "Station" {
			t.Errorf("the new option reads %q, want Station as option 4", got)
		}

		if js { // the open page learns of the edit without a reload
			waitFor(t, voter, `!document.querySelector('[data-state="edited"]').hidden`)
		}
		e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("changes-heading")))
		if h1 := text(t, voter, "h1"); h1 != "Where do we meet on Friday?" {
			t.Errorf("the poll page asks %q", h1)
		}
		if log := text(t, voter, ".changes"); !strings.Contains(log, "“Cafe” was renamed “Corner cafe”") {
			t.Errorf("change log on the poll page: %q", log)
		}
		if js {
			e.axeBothThemes(t, voter, "poll page with a change log")
		}
		e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.ID("changes-heading")))
	})
}
