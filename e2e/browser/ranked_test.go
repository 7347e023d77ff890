//go:build integration

package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeBothThemes runs axe-core on the tab's page in the light and the dark
// theme, without screenshots.
func (e *browserEnv) axeBothThemes(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		e.scheme(t, ctx, scheme)
		e.runAxe(t, ctx, name+" ("+scheme+")")
	}
	e.scheme(t, ctx, "light")
}

// A ranked poll in the browser: the rank selects (accessible, both themes),
// a repeated rank refused with the ranks kept, a ranking cast, changed, and
// the rounds read on the results page.
func TestBrowserRanked(t *testing.T) {
	e := startBrowserEnv(t)
	id, _ := e.apiPoll(t, `{"question": "Where do we eat?", "options": ["Noodles", "Tacos", "Curry"], "kind": "ranked", "allow_changes": true}`)
	for _, ranking := range [][]int{{1, 2}, {3, 2}, {3}, {2}} {
		e.apiVote(t, id, ranking...)
	}
	tab := e.tab(true)
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("rank-1")))
	e.axeBothThemes(t, tab, "ranked poll")

	e.do(t, tab, chromedp.SetValue(chromedp.ID("rank-1"), "1"), chromedp.SetValue(chromedp.ID("rank-2"), "1"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("vote-error")))
	if msg := text(t, tab, "#vote-error"); !strings.Contains(msg, "Rank 1 is given to two options") {
		t.Errorf("error %q, want the repeated rank named", msg)
	}
	if v := run(t, tab, chromedp.Value(chromedp.ID("rank-2"))); v != "1" {
		t.Errorf("rank-2 shows %q after the error, want the 1 sent", v)
	}
	e.axeBothThemes(t, tab, "ranked poll, error")

	// Tacos first, Curry second. Round 1: Noodles 1, Tacos 2, Curry 2 of 5;
	// Noodles is out, its ballot goes to Tacos, which has 3 of 5.
	e.do(t, tab, chromedp.SetValue(chromedp.ID("rank-1"), ""), chromedp.SetValue(chromedp.ID("rank-2"), "1"), chromedp.SetValue(chromedp.ID("rank-3"), "2"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("table.rounds")))
	if outcome := text(t, tab, ".outcome"); !strings.Contains(outcome, "Tacos wins in round 2") {
		t.Errorf("outcome %q, want Tacos in round 2", outcome)
	}
	e.axeBothThemes(t, tab, "ranked results")

	// A change of vote: Curry first.
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("rank-3")),
		chromedp.SetValue(chromedp.ID("rank-2"), ""), chromedp.SetValue(chromedp.ID("rank-3"), "1"),
		chromedp.Click(chromedp.CSS("form.vote button")))
	// The page before the change shows a .mine list too: wait for the new page.
	for i := 0; i < 100 && run(t, tab, chromedp.Evaluate[string](`location.search`)) != "?changed"; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	e.do(t, tab, chromedp.WaitVisible(chromedp.CSS(".mine ol")))
	if mine := text(t, tab, ".mine ol"); !strings.HasPrefix(strings.TrimSpace(mine), "Curry") {
		t.Errorf("my vote %q, want Curry first", mine)
	}
}
