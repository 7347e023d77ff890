//go:build integration

package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
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

// axeWithoutJS runs axe-core in both themes on a page loaded without
// JavaScript: scripts are allowed for axe only once the page is drawn, so
// the page's own script never ran on it.
func (e *browserEnv) axeWithoutJS(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	noScripts(t, ctx, false)
	e.axeBothThemes(t, ctx, name+", without JavaScript")
	noScripts(t, ctx, true)
}

func noScripts(t *testing.T, ctx context.Context, disabled bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled}); err != nil {
		t.Fatal(err)
	}
}

// A ranked poll in a browser without JavaScript: the rank selects
// (accessible, both themes), a repeated rank refused with the ranks kept, a
// ranking cast, changed, and the rounds read on the results page.
func TestBrowserRanked(t *testing.T) {
	e := startBrowserEnv(t)
	id, _ := e.apiPoll(t, `{"question": "Where do we eat?", "options": ["Noodles", "Tacos", "Curry"], "kind": "ranked", "allow_changes": true}`)
	for _, ranking := range [][]int{{1, 2}, {3, 2}, {3}, {2}} {
		e.apiVote(t, id, ranking...)
	}
	tab := e.voterTab(t, false)
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitReady(chromedp.ID("rank-1")))
	e.axeWithoutJS(t, tab, "ranked poll")

	e.do(t, tab, chromedp.SetValue(chromedp.ID("rank-1"), "1"), chromedp.SetValue(chromedp.ID("rank-2"), "1"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitReady(chromedp.ID("vote-error")))
	if msg := text(t, tab, "#vote-error"); !strings.Contains(msg, "Rank 1 is given to two options") {
		t.Errorf("error %q, want the repeated rank named", msg)
	}
	if v := run(t, tab, chromedp.Value(chromedp.ID("rank-2"))); v != "1" {
		t.Errorf("rank-2 shows %q after the error, want the 1 sent", v)
	}
	e.axeWithoutJS(t, tab, "ranked poll, error")

	// Tacos first, Curry second. Round 1: Noodles 1, Tacos 2, Curry 2 of 5;
	// Noodles is out, its ballot goes to Tacos, which has 3 of 5.
	e.do(t, tab, chromedp.SetValue(chromedp.ID("rank-1"), ""), chromedp.SetValue(chromedp.ID("rank-2"), "1"), chromedp.SetValue(chromedp.ID("rank-3"), "2"),
		chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitReady(chromedp.CSS("table.rounds")))
	if outcome := text(t, tab, ".outcome"); !strings.Contains(outcome, "Tacos wins in round 2") {
		t.Errorf("outcome %q, want Tacos in round 2", outcome)
	}
	e.axeWithoutJS(t, tab, "ranked results")

	// A change of vote: Curry first.
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitReady(chromedp.ID("rank-3")),
		chromedp.SetValue(chromedp.ID("rank-2"), ""), chromedp.SetValue(chromedp.ID("rank-3"), "1"),
		chromedp.Click(chromedp.CSS("form.vote button")))
	// The page before the change shows a .mine list too: wait for the new page.
	for i := 0; i < 100 && run(t, tab, chromedp.Evaluate[string](`location.search`)) != "?changed"; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	e.do(t, tab, chromedp.WaitReady(chromedp.CSS(".mine ol")))
	if mine := text(t, tab, ".mine ol"); !strings.HasPrefix(strings.TrimSpace(mine), "Curry") {
		t.Errorf("my vote %q, want Curry first", mine)
	}
}

// dragJS plays a drag of the option (data-index) onto the target (a CSS
// selector) with the events a browser sends; Chromium's own drag machinery
// is not driven by the DevTools protocol.
func dragJS(index int, target string) string {
	return fmt.Sprintf(`(function () {
	  var dt = new DataTransfer();
	  var from = document.querySelector('.ranker [data-index="%d"]'), to = document.querySelector(%q);
	  from.dispatchEvent(new DragEvent("dragstart", {bubbles: true, cancelable: true, dataTransfer: dt}));
	  to.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
	  to.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
	  from.dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
	  return true;
	})()`, index, target)
}

// With JavaScript: the options are put in order with the buttons (each move
// announced) and by dragging, the hidden rank selects follow, the vote is
// cast, and the results page's rounds follow new votes live. axe-core finds
// nothing in either theme.
func TestBrowserRankedReorder(t *testing.T) {
	e := startBrowserEnv(t)
	id, _ := e.apiPoll(t, `{"question": "Where do we eat?", "options": ["Noodles", "Tacos", "Curry"], "kind": "ranked"}`)
	for _, ranking := range [][]int{{1, 2}, {3, 2}, {3}, {2}} {
		e.apiVote(t, id, ranking...)
	}
	tab := e.voterTab(t, true)
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.CSS(".ranker")))
	e.axeBothThemes(t, tab, "ranked poll, reorder")
	ranks := func() string {
		return run(t, tab, chromedp.Evaluate[string](`["rank-1", "rank-2", "rank-3"].map(function (id) { return document.getElementById(id).value || "-"; }).join(" ")`))
	}
	click := func(label string) {
		t.Helper()
		e.do(t, tab, chromedp.Click(chromedp.CSS(`button[aria-label="`+label+`"]`)))
	}
	click("Rank Tacos")
	click("Rank Curry")
	click("Move Curry up")
	if got := text(t, tab, ".ranker [data-announce]"); got != "Curry: rank 1 of 2." {
		t.Errorf("announced %q, want Curry at rank 1 of 2", got)
	}
	if got := run(t, tab, chromedp.Evaluate[string](`document.activeElement.getAttribute("aria-label") || ""`)); got != "Move Curry down" {
		t.Errorf("focus on %q after moving Curry to the top, want its other move button", got)
	}
	if got := ranks(); got != "- 2 1" {
		t.Errorf("selects %q after the buttons, want Curry 1, Tacos 2", got)
	}
	run(t, tab, chromedp.Evaluate[bool](dragJS(0, `.ranker [data-list="ranked"] [data-index="2"]`)))
	if got := ranks(); got != "1 3 2" {
		t.Errorf("selects %q after dragging Noodles onto Curry, want Noodles 1, Curry 2, Tacos 3", got)
	}
	run(t, tab, chromedp.Evaluate[bool](dragJS(0, `.ranker [data-list="unranked"]`)))
	if got := ranks(); got != "- 2 1" {
		t.Errorf("selects %q after dragging Noodles out, want Curry 1, Tacos 2", got)
	}
	e.axeBothThemes(t, tab, "ranked poll, reordered")

	// Curry first, Tacos second: round 1 gives Curry 3 of 5.
	e.do(t, tab, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("table.rounds")))
	if outcome := text(t, tab, ".outcome"); !strings.Contains(outcome, "Curry wins in round 1") {
		t.Errorf("outcome %q, want Curry in round 1", outcome)
	}
	// Live: four more first choices for Tacos make it 6 of 9.
	waitFor(t, tab, `!document.querySelector("[data-live]").hidden`)
	for range 4 {
		e.apiVote(t, id, 2)
	}
	waitFor(t, tab, `document.querySelector(".outcome").textContent.indexOf("Tacos wins in round 1") >= 0`)
	e.axeBothThemes(t, tab, "ranked results, live")
}
