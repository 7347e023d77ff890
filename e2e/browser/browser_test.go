//go:build integration

package browser

// Browser tests: the real server on SQLite behind httptest, driven by
// Debian's Chromium through chromedp. One browser serves every subtest; each
// voter is a separate browser context (its own cookie jar). Each page is
// checked with axe-core (no violation at all, in the light and the dark
// theme) and saved as a screenshot at phone and desktop width in
// docs/screenshots/.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/pollstack/pollstack/sqlite"
	"github.com/pollstack/pollstack/web"
)

const (
	axePath        = "../../.tools/node/node_modules/axe-core/axe.min.js"
	screenshotsDir = "../../docs/screenshots"
)

// browserEnv is one running server and one browser shared by the subtests.
type browserEnv struct {
	t       *testing.T
	base    string
	srv     *httptest.Server
	browser context.Context
	axe     string
	logs    string // the server's log file
	mu      sync.Mutex
	console []string // errors the pages wrote to the console (CSP violations included)
}

// startBrowserEnv starts the server (with configure's changes to its
// configuration, if any) and the browser.
func startBrowserEnv(t *testing.T, configure ...func(*web.Config)) *browserEnv {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("install chromium (apt-get install chromium): the browser tests drive it")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run make tools", err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "browser.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := filepath.Join(t.TempDir(), "server.log")
	logFile, err := os.Create(logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	// Every request logged (LogSample 1): the test reads the admin page's line.
	cfg := web.Config{Store: store, Logger: slog.New(slog.NewJSONHandler(logFile, nil)), LogSample: 1}
	for _, c := range configure {
		c(&cfg)
	}
	srv := httptest.NewServer(web.New(cfg))
	t.Cleanup(srv.Close)
	return &browserEnv{t: t, base: srv.URL, srv: srv, browser: startChromium(t, chromium), axe: string(axe), logs: logs}
}

// startChromium starts the browser, with flags added to the usual ones,
// for the length of the test.
func startChromium(t *testing.T, chromium string, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	opts = append(opts, flags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// tab opens a tab; separate gives it a browser context of its own (its own
// cookies: another voter).
func (e *browserEnv) tab(separate bool) context.Context {
	var opts []chromedp.ContextOption
	if separate {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(e.browser, opts...)
	e.t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				e.mu.Lock()
				e.console = append(e.console, m.URL+": "+m.Text)
				e.mu.Unlock()
			}
		}
	}()
	return ctx
}

func (e *browserEnv) do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// check runs axe-core on the tab's page in the light and the dark theme
// (prefers-color-scheme), failing on any violation, and saves its
// screenshots (light) at phone and desktop width as
// docs/screenshots/<name>-phone.png and -desktop.png.
func (e *browserEnv) check(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		e.scheme(t, ctx, scheme)
		e.runAxe(t, ctx, name+" ("+scheme+")")
	}
	e.scheme(t, ctx, "light")
	// A focused field's blinking caret would make every run's picture differ.
	e.do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	e.screenshot(t, ctx, name+"-phone", 390, 844, true)
	e.screenshot(t, ctx, name+"-desktop", 1280, 800, false)
	e.do(t, ctx, chromedp.EmulateViewport(1280, 800))
}

// runAxe runs axe-core on the tab's page and fails on any violation,
// whatever its impact.
func (e *browserEnv) runAxe(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	e.do(t, ctx, chromedp.Evaluate[chromedp.Void](e.axe))
	if v := run(t, ctx, chromedp.Evaluate[string](`axe.version`)); v != "4.14.1" {
		t.Fatalf("axe-core %s, want 4.14.1 (run make tools)", v)
	}
	raw := run(t, ctx, chromedp.Evaluate[[]byte](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	var violations []axeViolation
	if err := json.Unmarshal(raw, &violations); err != nil {
		t.Fatalf("axe result: %v: %s", err, raw)
	}
	t.Logf("axe on %s: %d violations", name, len(violations))
	for _, v := range violations {
		t.Errorf("axe on %s: %s violation %s (%s) at %v", name, v.Impact, v.ID, v.Help, v.Targets)
	}
}

// scheme makes the tab prefer the light or the dark colour scheme.
func (e *browserEnv) scheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
	if err != nil {
		t.Fatal(err)
	}
}

// screenshot saves the whole page at a viewport size as
// docs/screenshots/<name>.png.
func (e *browserEnv) screenshot(t *testing.T, ctx context.Context, name string, width, height int64, mobile bool) {
	t.Helper()
	viewport := chromedp.EmulateViewport(width, height)
	if mobile {
		viewport = chromedp.EmulateViewport(width, height, chromedp.EmulateMobile)
	}
	e.do(t, ctx, viewport)
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(screenshotsDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowser(t *testing.T) {
	e := startBrowserEnv(t)
	if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	creator := e.tab(false)
	var pollURL, adminURL string

	t.Run("create poll through the form", func(t *testing.T) {
		e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")))
		e.check(t, creator, "create")
		// "Add option" is a server round trip that keeps what was typed.
		e.do(t, creator,
			chromedp.SendKeys(chromedp.ID("option-0"), "Tea"),
			chromedp.Click(chromedp.CSS(`button[name="add_option"]`)),
			chromedp.WaitVisible(chromedp.ID("option-4")),
		)
		if v := run(t, creator, chromedp.Value(chromedp.ID("option-0"))); v != "Tea" {
			t.Errorf("after add option, the first option is %q, want Tea", v)
		}
		if id := run(t, creator, chromedp.Evaluate[string](`document.activeElement.id`)); id != "option-4" {
			t.Errorf("after add option, focus is on %q, want the new row option-4", id)
		}
		// A broken rule shows next to its field.
		e.do(t, creator, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("question-error")))
		if msg := run(t, creator, chromedp.Text(chromedp.ID("question-error"))); msg != "Write a question." {
			t.Errorf("question error %q", msg)
		}
		if id := run(t, creator, chromedp.Evaluate[string](`document.activeElement.id`)); id != "question" {
			t.Errorf("after the error, focus is on %q, want the question", id)
		}
		e.check(t, creator, "create-error")
		e.do(t, creator,
			chromedp.SendKeys(chromedp.ID("question"), "Which drink keeps the team going?"),
			chromedp.SendKeys(chromedp.ID("option-1"), "Coffee"),
			chromedp.SendKeys(chromedp.ID("option-3"), "Water"),
			chromedp.Click(chromedp.CSS("button.primary")),
			chromedp.WaitVisible(chromedp.ID("share-link")),
		)
		pollURL = run(t, creator, chromedp.Value(chromedp.ID("share-link")))
		adminURL = run(t, creator, chromedp.Value(chromedp.ID("admin-link")))
		if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]{16}$`).MatchString(pollURL) || !strings.HasPrefix(adminURL, pollURL+"/admin#") {
			t.Fatalf("share link %q, admin link %q", pollURL, adminURL)
		}
		// The copy buttons appear only with JavaScript, which runs here.
		e.do(t, creator, chromedp.WaitVisible(chromedp.CSS(`button[data-copy="share-link"]`)))
		e.check(t, creator, "created")
	})
	if pollURL == "" {
		t.FailNow()
	}

	t.Run("two voters and live results", func(t *testing.T) {
		results := e.tab(false)
		e.do(t, results, chromedp.Navigate(pollURL+"/results"),
			chromedp.WaitVisible(chromedp.CSS("[data-live]"))) // shown once the stream's first event arrived
		if total := run(t, results, chromedp.Text(chromedp.CSS("[data-total]"))); total != "0" {
			t.Fatalf("total before votes %q", total)
		}
		e.do(t, results, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

		var voted time.Time
		for i, option := range []string{"option-2", "option-1"} {
			voter := e.tab(true)
			e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID(option)))
			if i == 0 {
				e.check(t, voter, "poll")
			}
			e.do(t, voter, chromedp.Click(chromedp.ID(option)))
			voted = time.Now()
			e.do(t, voter, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		}
		// The open results page shows both votes without a reload.
		run(t, results, chromedp.Poll[bool](`document.querySelector("[data-total]").textContent === "2" && window.notReloaded === true`,
			chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
		t.Logf("the open results page showed the second vote %s after its click", time.Since(voted).Round(time.Millisecond))
		if pct := run(t, results, chromedp.Text(chromedp.CSS(`[data-option="1"] [data-percent]`))); pct != "50" {
			t.Errorf("Tea percent %q, want 50", pct)
		}
		if hidden := run(t, results, chromedp.Evaluate[bool](`document.querySelector("[data-empty]").hidden`)); !hidden {
			t.Error(`"No votes yet" still shows with 2 votes`)
		}
		e.check(t, results, "results")

		// A dropped connection: EventSource reconnects by itself (after the
		// stream's retry hint) and the page catches up with a vote cast
		// meanwhile, still without a reload.
		e.srv.CloseClientConnections()
		res, err := http.Post(pollURL[:strings.Index(pollURL, "/p/")]+"/api/v1/polls/"+pollURL[strings.LastIndex(pollURL, "/")+1:]+"/votes",
			"application/json", strings.NewReader(`{"option_ids": [3]}`))
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("API vote: %v %v", res, err)
		}
		res.Body.Close()
		dropped := time.Now()
		run(t, results, chromedp.Poll[bool](`document.querySelector("[data-total]").textContent === "3" && window.notReloaded === true`,
			chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
		t.Logf("after the connection dropped, the page reconnected and showed the third vote in %s", time.Since(dropped).Round(time.Millisecond))
	})

	t.Run("admin page closes the poll", func(t *testing.T) {
		// Pages already open when the poll closes show it at once.
		openResults, openPoll := e.openLive(t, pollURL)
		admin := e.tab(false)
		// The page's script posts the token from the link's fragment and
		// drops it from the address: the server never sees it in a URL.
		e.do(t, admin, chromedp.Navigate(adminURL), chromedp.WaitVisible(chromedp.CSS("button.danger")))
		if loc := run(t, admin, chromedp.Location()); loc != pollURL+"/admin" {
			t.Errorf("admin page address %q, want %q: no token left in it", loc, pollURL+"/admin")
		}
		e.check(t, admin, "admin")
		// The admin page shows the counts too: wait for the results page's own heading.
		e.do(t, admin, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("results-heading")))
		if total := run(t, admin, chromedp.Text(chromedp.CSS("[data-total]"))); total != "3" {
			t.Errorf("results after closing: total %q", total)
		}
		e.waitLiveState(t, openResults, openPoll, "closed")
		voter := e.tab(true)
		e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if text := run(t, voter, chromedp.Text(chromedp.CSS(".notice"))); !strings.Contains(text, "This poll is closed.") {
			t.Errorf("closed poll page says %q", text)
		}
	})

	t.Run("deleting shows on open pages", func(t *testing.T) {
		res, err := http.Post(e.base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Soon gone?", "options": ["Yes", "No"]}`))
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("create poll: %v %v", res, err)
		}
		var p struct {
			ID         string `json:"id"`
			AdminToken string `json:"admin_token"`
		}
		json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		openResults, openPoll := e.openLive(t, e.base+"/p/"+p.ID)
		req, _ := http.NewRequest("DELETE", e.base+"/api/v1/polls/"+p.ID, nil)
		req.Header.Set("Authorization", "Bearer "+p.AdminToken)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("delete poll: %v %v", res, err)
		}
		e.waitLiveState(t, openResults, openPoll, "gone")
	})

	t.Run("unknown poll", func(t *testing.T) {
		tab := e.tab(false)
		e.do(t, tab, chromedp.Navigate(e.base+"/p/no-such-poll"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if h1 := run(t, tab, chromedp.Text(chromedp.CSS("h1"))); h1 != "Not found" {
			t.Errorf("unknown poll heading %q", h1)
		}
		e.check(t, tab, "not-found")
	})

	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.console {
		// The form error (400) and the unknown poll (404) pages are expected
		// statuses of the documents themselves, and the streams cut by
		// CloseClientConnections end mid-chunk; anything else (a script
		// error, a CSP violation, a missing asset) fails.
		page40x := strings.Contains(m, "Failed to load resource: the server responded with a status of 40") &&
			!strings.Contains(m, "/static/") && !strings.Contains(m, "/events")
		cut := strings.Contains(m, "/events") && strings.HasSuffix(m, ": Failed to load resource: net::ERR_INCOMPLETE_CHUNKED_ENCODING") // /events?v=N too
		expected := page40x || cut
		if !expected {
			t.Errorf("page console error: %s", m)
		}
	}
	logs, err := os.ReadFile(e.logs)
	if err != nil || !bytes.Contains(logs, []byte(`"route":"GET /p/{id}/admin"`)) {
		t.Fatalf("server log without the admin page's request line (%v)", err)
	}
	if token := adminURL[strings.Index(adminURL, "#")+1:]; bytes.Contains(logs, []byte(token)) {
		t.Error("the server log contains the admin token")
	}
}

// openLive opens a poll's results page and, for a voter who has not voted,
// its page with the vote form, each with its live stream running.
func (e *browserEnv) openLive(t *testing.T, pollURL string) (results, poll context.Context) {
	t.Helper()
	results, poll = e.tab(false), e.tab(true)
	e.do(t, results, chromedp.Navigate(pollURL+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-live]")))
	e.do(t, poll, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.CSS("form.vote button")))
	for _, tab := range []context.Context{results, poll} {
		e.do(t, tab, chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	}
	return results, poll
}

// waitLiveState waits until both open pages show the poll's new state
// ("closed" or "gone") without a reload, and the vote form can no longer be
// sent.
func (e *browserEnv) waitLiveState(t *testing.T, results, poll context.Context, state string) {
	t.Helper()
	shown := fmt.Sprintf(`!document.querySelector('[data-state="%s"]').hidden && window.notReloaded === true`, state)
	start := time.Now()
	run(t, results, chromedp.Poll[bool](shown+` && document.querySelector("[data-live]").hidden`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
	run(t, poll, chromedp.Poll[bool](shown+` && document.querySelector("form.vote button").disabled`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
	t.Logf("the open results and poll pages showed %q within %s", state, time.Since(start).Round(time.Millisecond))
}
