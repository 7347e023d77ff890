//go:build integration

package browser

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pollstack/pollstack/web"
)

// When the server holds as many live-results streams as it may, the
// results page is refused a stream (503) and reloads the counts now and
// then instead: a vote shows without a reload of the page.
func TestBrowserResultsWithoutAStream(t *testing.T) {
	e := startBrowserEnv(t, func(c *web.Config) { c.Streams = 1 })
	id, _ := e.apiPoll(t, `{"question": "Full house?", "options": ["Yes", "No"]}`)
	// Someone else holds the server's one stream.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/p/"+id+"/events", nil)
	held, err := http.DefaultClient.Do(req)
	if err != nil || held.StatusCode != http.StatusOK {
		t.Fatalf("the first stream: %v %v", held, err)
	}
	defer held.Body.Close()
	if res, _ := http.Get(e.base + "/p/" + id + "/events"); res == nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a second stream: %v, want 503 with Retry-After", res)
	}

	tab := e.tab(true)
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-total]")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	e.apiVote(t, id, 2)
	start := time.Now()
	run(t, tab, chromedp.Poll[bool](`document.querySelector("[data-total]").textContent === "1" && window.notReloaded === true`,
		chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
	t.Logf("without a stream, the page showed the vote %s after it was cast", time.Since(start).Round(time.Millisecond))
	if votes := text(t, tab, `[data-option="2"] [data-votes]`); !strings.HasPrefix(votes, "1") {
		t.Errorf("option 2 shows %q votes, want 1", votes)
	}
}

// A code poll made in the browser: the number of codes is asked for only
// with the code check; the created page lists the codes (accessible, light
// and dark); a code's link fills it in and votes once.
func TestBrowserVoterCodes(t *testing.T) {
	e := startBrowserEnv(t)
	tab := e.tab(true)
	e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")))
	if visible := run(t, tab, chromedp.Evaluate[bool](`!document.querySelector("[data-codes]").hidden`)); visible {
		t.Error("the number of codes shows before the code check is chosen")
	}
	e.do(t, tab,
		chromedp.SendKeys(chromedp.ID("question"), "Who chairs the board?"),
		chromedp.SendKeys(chromedp.ID("option-0"), "Ann"),
		chromedp.SendKeys(chromedp.ID("option-1"), "Bo"),
		chromedp.Click(chromedp.ID("check-code")),
		chromedp.WaitVisible(chromedp.ID("voter_codes")),
		chromedp.SendKeys(chromedp.ID("voter_codes"), "3"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.ID("voter-codes")),
	)
	codes := strings.Split(run(t, tab, chromedp.Value(chromedp.ID("voter-codes"))), "\n")
	if len(codes) != 3 {
		t.Fatalf("the created page lists %d codes, want 3: %q", len(codes), codes)
	}
	e.check(t, tab, "created-codes")
	share := run(t, tab, chromedp.Value(chromedp.ID("share-link")))

	voter := e.tab(true)
	// The code travels in the link's fragment, which the browser never
	// sends; the page's script fills the box with it and drops it from the
	// address bar.
	e.do(t, voter, chromedp.Navigate(share+"#code="+codes[1]), chromedp.WaitVisible(chromedp.ID("code")))
	if got := run(t, voter, chromedp.Value(chromedp.ID("code"))); got != codes[1] {
		t.Errorf("the code field holds %q, want %q from the link", got, codes[1])
	}
	if hash := run(t, voter, chromedp.Evaluate[string](`location.hash`)); hash != "" {
		t.Errorf("the address bar still holds the code: %q", hash)
	}
	e.check(t, voter, "poll-code")
	e.do(t, voter, chromedp.Click(chromedp.ID("option-2")), chromedp.Click(chromedp.CSS("form.vote button.primary")), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
	if total := text(t, voter, "[data-total]"); total != "1" {
		t.Errorf("after voting with a code: total %q, want 1", total)
	}
	again := e.tab(true)
	e.do(t, again, chromedp.Navigate(share), chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), strings.ToLower(codes[1])), chromedp.Click(chromedp.ID("option-1")),
		chromedp.Click(chromedp.CSS("form.vote button.primary")), chromedp.WaitVisible(chromedp.ID("code-error")))
	if msg := text(t, again, "#code-error"); msg != "This voter code has already been used." {
		t.Errorf("the code again: %q", msg)
	}
}
