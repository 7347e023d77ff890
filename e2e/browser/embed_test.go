//go:build integration

package browser

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pollstack/pollstack/sqlite"
	"github.com/pollstack/pollstack/web"
)

// tlsServer serves handler over HTTPS (httptest's own certificate, which
// the browser is told to accept) on a loopback address of its own:
// 127.0.0.1 and 127.0.0.2 are two sites to the browser, as two domains are.
func tlsServer(t *testing.T, addr string, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatalf("listen on %s (every 127.0.0.0/8 address is loopback on Linux): %v", addr, err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// hostPage is another site's page that frames the poll's embed page and
// two pages that must refuse frames.
func hostPage(frames map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>A blog</title><h1>A blog post with a poll</h1>`)
		for id, src := range frames {
			fmt.Fprintf(w, `<iframe id="%s" src="%s" title="%s" width="480" height="500"></iframe>`, id, src, id)
		}
	})
}

// TestEmbedInAnotherSite frames a poll's embed page from a second loopback
// site over HTTPS, with third-party cookies blocked as browsers now do:
// the vote in the frame counts once (the partitioned voter cookie comes
// back), a site the creator did not list gets no frame, and the create and
// admin pages refuse to be framed.
func TestEmbedInAnotherSite(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("install chromium (apt-get install chromium): the browser tests drive it")
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "embed.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	app := tlsServer(t, "127.0.0.1", web.New(web.Config{Store: store}))
	client := app.Client()
	client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}

	var frames = map[string]string{}
	blog := tlsServer(t, "127.0.0.2", hostPage(frames))
	other := tlsServer(t, "127.0.0.3", hostPage(frames))
	id := createEmbeddable(t, client, app.URL, blog.URL)
	embedURL := app.URL + "/p/" + id + "/embed"
	frames["embed"], frames["admin"], frames["create"] = embedURL, app.URL+"/p/"+id+"/admin", app.URL+"/"

	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run make tools", err)
	}
	browser := startChromium(t, chromium,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("test-third-party-cookie-phaseout", true))
	e := &browserEnv{t: t, base: app.URL, srv: app, browser: browser, axe: string(axe)}
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	frame := func(t *testing.T, page, name string) context.Context {
		t.Helper()
		return openFrame(t, tab, page, frames[name])
	}

	t.Run("vote in the frame", func(t *testing.T) {
		embed := frame(t, blog.URL, "embed")
		waitFor(t, embed, `document.querySelector("h1") && document.querySelector("h1").textContent === "Which talk next?"`)
		for _, scheme := range []string{"light", "dark"} {
			e.scheme(t, embed, scheme)
			e.runAxe(t, embed, "embed ("+scheme+")")
		}
		run(t, embed, chromedp.Click(chromedp.ID("option-1")))
		// The form's post navigates the frame, which may then be another
		// target: submit from the page, then attach to the frame again.
		run(t, embed, chromedp.Evaluate[chromedp.Void](`setTimeout(() => document.querySelector("button.primary").click(), 0)`))
		waitTotal(t, client, app.URL, id, 1)
		embed = attachFrame(t, tab, frames["embed"])
		waitFor(t, embed, `document.body.innerText.includes("Your vote is counted.")`)
		waitFor(t, embed, `document.querySelector("[data-total]") && document.querySelector("[data-total]").textContent === "1"`)
	})
	t.Run("the frame knows the voter after a reload", func(t *testing.T) {
		embed := frame(t, blog.URL, "embed")
		waitFor(t, embed, `document.body && document.body.innerText.includes("Your vote is counted.")`)
		if n := run(t, embed, chromedp.Evaluate[int](`document.querySelectorAll("form.vote").length`)); n != 0 {
			t.Errorf("the frame offers %d vote forms to a voter who voted", n)
		}
		if total := apiTotal(t, client, app.URL, id); total != 1 {
			t.Errorf("total %d after one vote in the frame, want 1", total)
		}
	})
	t.Run("live results in the frame", func(t *testing.T) {
		embed := frame(t, blog.URL, "embed")
		waitFor(t, embed, `!document.querySelector("[data-live]").hidden`) // the stream is open
		res, err := client.Post(app.URL+"/api/v1/polls/"+id+"/votes", "application/json", strings.NewReader(`{"option_ids": [2]}`))
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("API vote: %v %v", res, err)
		}
		res.Body.Close()
		waitFor(t, embed, `document.querySelector("[data-total]").textContent === "2"`)
	})
	t.Run("create and admin pages refuse the frame", func(t *testing.T) {
		for _, name := range []string{"create", "admin"} {
			wantBlocked(t, frame(t, blog.URL, name), app.URL)
		}
	})
	t.Run("a site the creator did not list gets no frame", func(t *testing.T) {
		wantBlocked(t, frame(t, other.URL, "embed"), app.URL)
	})
}

// openFrame opens page in the tab and attaches to its frame of src: a
// cross-site frame is a target of its own.
func openFrame(t *testing.T, tab context.Context, page, src string) context.Context {
	t.Helper()
	run(t, tab, chromedp.Navigate(page))
	return attachFrame(t, tab, src)
}

// attachFrame attaches to the tab's frame of src once it has loaded.
func attachFrame(t *testing.T, tab context.Context, src string) context.Context {
	t.Helper()
	for range 100 {
		infos, err := chromedp.Targets(tab)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && info.URL == src {
				ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				t.Cleanup(cancel)
				waitFor(t, ctx, `document.readyState === "complete" && document.URL !== "about:blank"`)
				return ctx
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no frame of %s", src)
	return nil
}

// wantBlocked checks that a frame holds the browser's error page, not a
// document of the app: the browser refused to show the app there.
func wantBlocked(t *testing.T, frame context.Context, app string) {
	t.Helper()
	if url := run(t, frame, chromedp.Evaluate[string](`document.URL`)); strings.HasPrefix(url, app) || !strings.HasPrefix(url, "chrome-error:") {
		t.Errorf("frame shows %q, want the browser's error page: the app must refuse the frame", url)
	}
}

// waitTotal waits up to 10 s for the poll to hold want ballots.
func waitTotal(t *testing.T, client *http.Client, base, id string, want int) {
	t.Helper()
	for start := time.Now(); apiTotal(t, client, base, id) != want; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the poll never held %d ballots", want)
		}
	}
}

// apiTotal is the poll's number of ballots, from the JSON API.
func apiTotal(t *testing.T, client *http.Client, base, id string) int {
	t.Helper()
	res, err := client.Get(base + "/api/v1/polls/" + id + "/results")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var results struct{ Total int }
	if err := json.NewDecoder(res.Body).Decode(&results); err != nil {
		t.Fatal(err)
	}
	return results.Total
}

// createEmbeddable creates a poll through the API that the site at origin may embed.
func createEmbeddable(t *testing.T, client *http.Client, base, origin string) string {
	t.Helper()
	res, err := client.Post(base+"/api/v1/polls", "application/json",
		strings.NewReader(`{"question": "Which talk next?", "options": ["Go", "Terraform"], "embed_origins": ["`+origin+`"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var poll struct{ ID string }
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &poll) != nil {
		t.Fatalf("create poll: %d %s", res.StatusCode, body)
	}
	return poll.ID
}
