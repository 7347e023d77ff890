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
