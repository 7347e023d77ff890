//go:build integration

package browser

// What creators and voters prefer, in a real browser, each flow with
// JavaScript and without (the page's scripts switched off in the tab): the
// creator's view (counts, CSV, a delete that asks first), no link that ends
// in a refusal, choice limits, the description, present mode at 1920x1080
// and on a phone, times in the viewer's zone, and both colour themes.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// eachMode runs a flow with JavaScript and without it.
func eachMode(t *testing.T, flow func(t *testing.T, js bool)) {
	t.Run("with JavaScript", func(t *testing.T) { flow(t, true) })
	t.Run("without JavaScript", func(t *testing.T) { flow(t, false) })
}

// voterTab opens a tab with its own cookies (another voter); without js the
// page's scripts never run in it.
func (e *browserEnv) voterTab(t *testing.T, js bool) context.Context {
	t.Helper()
	tab := e.tab(true)
	if !js {
		if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	return tab
}

// apiPoll creates a poll through the API and returns its id and admin token.
func (e *browserEnv) apiPoll(t *testing.T, body string) (id, token string) {
	t.Helper()
	res, err := http.Post(e.base+"/api/v1/polls", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		ID         string `json:"id"`
		AdminToken string `json:"admin_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create poll: %d %v", res.StatusCode, err)
	}
	return out.ID, out.AdminToken
}

// apiVote votes as a new voter (a client without cookies).
func (e *browserEnv) apiVote(t *testing.T, id string, options ...int) {
	t.Helper()
	body, _ := json.Marshal(map[string][]int{"option_ids": options})
	res, err := http.Post(e.base+"/api/v1/polls/"+id+"/votes", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("vote %v: status %d", options, res.StatusCode)
	}
}

// openAdmin opens the admin page as its creator does: the admin link, whose
// fragment app.js posts; without JavaScript, the token pasted into the
// page's form.
func (e *browserEnv) openAdmin(t *testing.T, tab context.Context, id, token string, js bool) {
	t.Helper()
	if js {
		e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/admin#"+token), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		return
	}
	e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/admin#"+token), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.CSS("[data-admin-login] button")),
		chromedp.WaitVisible(chromedp.CSS("[data-total]")))
}

// linksAnswer follows every same-site link shown on the tab's page (with
// the tab's cookies) and fails on any that the server refuses.
func (e *browserEnv) linksAnswer(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	raw := run(t, ctx, chromedp.Evaluate[[]byte](`Promise.all([...document.links]
		.filter(a => a.origin === location.origin && !a.closest("[hidden]"))
		.map(a => fetch(a.href, {credentials: "same-origin"}).then(r => [a.pathname + a.search, r.status])))`, chromedp.EvalAwaitPromise))
	var links [][2]any
	if err := json.Unmarshal(raw, &links); err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if status := l[1].(float64); status != 200 {
			t.Errorf("%s: the link to %v answers %v", state, l[0], status)
		}
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return run(t, ctx, chromedp.Text(chromedp.CSS(css)))
}

func waitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	run(t, ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
}

func TestBrowserFeatures(t *testing.T) {
	e := startBrowserEnv(t)
	if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("creator's view", func(t *testing.T) {
		eachMode(t, func(t *testing.T, js bool) {
			id, token := e.apiPoll(t, `{"question": "Where do we meet?", "description": "Pick every place that works.\nWe book the top one.", "options": ["Library", "Café", "Park", "Office"], "multiple": true, "max_choices": 2, "results": "after_close"}`)
			e.apiVote(t, id, 1, 2)
			e.apiVote(t, id, 2)
			tab := e.tab(false) // the default browser context: downloads go to a folder we choose
			if !js {
				if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
					t.Fatal(err)
				}
			}
			downloads := t.TempDir()
			if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: "allow", DownloadPath: downloads}); err != nil {
				t.Fatal(err)
			}
			if js { // the form that asks for the token: an address without it (axe needs the page's scripts)
				login := e.tab(true)
				e.do(t, login, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.ID("token")))
				e.check(t, login, "admin-login")
			}
			e.openAdmin(t, tab, id, token, js)
			if total, café := text(t, tab, "[data-total]"), text(t, tab, `[data-option="2"] [data-votes]`); total != "2" || café != "2" {
				t.Errorf("admin page of hidden results: total %q, Café %q; want 2 and 2", total, café)
			}
			if js {
				e.check(t, tab, "admin")
			}
			// The CSV, downloaded by the browser through the page's form.
			e.do(t, tab, chromedp.Click(chromedp.CSS(`form[action$="/results.csv"] button`)))
			var csv []byte
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && csv == nil; time.Sleep(50 * time.Millisecond) {
				csv, _ = os.ReadFile(filepath.Join(downloads, "poll-"+id+"-results.csv"))
			}
			if want := "\uFEFFoption_id,option,votes,percent\r\n1,Library,1,50\r\n2,Café,2,100\r\n3,Park,0,0\r\n4,Office,0,0\r\n"; string(csv) != want {
				t.Errorf("downloaded CSV %q, want %q", csv, want)
			}
			e.linksAnswer(t, tab, "admin page")

			// Delete asks first; "Keep the poll" keeps it.
			e.do(t, tab, chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitReady(chromedp.CSS(`input[name="confirm"]`)))
			if h1 := text(t, tab, "h1"); h1 != "Delete this poll?" {
				t.Fatalf("after the delete button: %q, want the confirmation", h1)
			}
			if warn := text(t, tab, ".warning"); !strings.Contains(warn, "its 2 votes for good") {
				t.Errorf("confirmation says %q", warn)
			}
			if js {
				e.check(t, tab, "delete")
			}
			e.do(t, tab, chromedp.Click(chromedp.CSS(`form[action$="/admin"] button`)), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			if res, _ := http.Get(e.base + "/api/v1/polls/" + id); res == nil || res.StatusCode != http.StatusOK {
				t.Fatal("the poll is gone after Keep the poll")
			}
			e.do(t, tab, chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitReady(chromedp.CSS(`input[name="confirm"]`)))
			e.do(t, tab, chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitVisible(chromedp.CSS(".notice")))
			if notice := text(t, tab, ".notice"); notice != "The poll was deleted." {
				t.Errorf("after confirming: %q", notice)
			}
			if res, _ := http.Get(e.base + "/api/v1/polls/" + id); res == nil || res.StatusCode != http.StatusNotFound {
				t.Error("the confirmed delete left the poll")
			}
		})
	})

	t.Run("no link leads to a refusal", func(t *testing.T) {
		eachMode(t, func(t *testing.T, js bool) {
			closes := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
			id, token := e.apiPoll(t, fmt.Sprintf(`{"question": "Secret ballot?", "options": ["Yes", "No"], "results": "after_close", "closes_at": %q}`, closes.Format(time.RFC3339)))
			voter := e.voterTab(t, js)
			e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("option-1")))
			if n := run(t, voter, chromedp.Evaluate[int](`[...document.querySelectorAll('a[href$="/results"]')].filter(a => !a.closest("[hidden]")).length`)); n != 0 {
				t.Errorf("the poll page of hidden results has %d links to them", n)
			}
			if when := text(t, voter, ".results-when"); !strings.HasPrefix(when, "The results show when the poll closes, on ") {
				t.Errorf("the poll page says %q", when)
			}
			e.linksAnswer(t, voter, "before voting")
			if js { // typed, the address of the hidden results says when they show
				e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.CSS(".results-when")))
				e.check(t, voter, "results-hidden")
				e.do(t, voter, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("option-1")))
			}
			e.do(t, voter, chromedp.Click(chromedp.ID("option-1")), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("main > p.notice")))
			if notice := text(t, voter, "main > p.notice"); !strings.HasPrefix(notice, "Your vote is counted. The results show when the poll closes") {
				t.Errorf("after voting: %q", notice)
			}
			e.linksAnswer(t, voter, "after voting")
			if js {
				e.check(t, voter, "voted-hidden")
			}
			// Once closed by its creator, the same page links to the results, which open.
			res, err := http.DefaultClient.Do(func() *http.Request {
				r, _ := http.NewRequest("POST", e.base+"/api/v1/polls/"+id+"/close", nil)
				r.Header.Set("Authorization", "Bearer "+token)
				return r
			}())
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("close: %v %v", res, err)
			}
			e.do(t, voter, chromedp.Reload(), chromedp.Click(chromedp.CSS(`main > p.notice a[href$="/results"]`)), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			if total := text(t, voter, "[data-total]"); total != "1" {
				t.Errorf("results once closed: total %q", total)
			}
		})
	})

	t.Run("create with a description and choice limits", func(t *testing.T) {
		eachMode(t, func(t *testing.T, js bool) {
			tab := e.voterTab(t, js)
			e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")))
			limitsShown := func() bool {
				return run(t, tab, chromedp.Evaluate[bool](`!document.querySelector("[data-limits]").hidden`))
			}
			if shown := limitsShown(); shown == js {
				t.Errorf("choice limits shown for a single choice poll: %v (with JavaScript they hide; without, they always show)", shown)
			}
			e.do(t, tab,
				chromedp.SendKeys(chromedp.ID("question"), "Which snacks for the offsite?"),
				chromedp.SendKeys(chromedp.ID("description"), "Two or three, please.\nWe order on Monday."),
				chromedp.SendKeys(chromedp.ID("option-0"), "Fruit"),
				chromedp.SendKeys(chromedp.ID("option-1"), "Crisps"),
				chromedp.SendKeys(chromedp.ID("option-2"), "Nuts"),
				chromedp.SendKeys(chromedp.ID("option-3"), "Cake"),
				chromedp.Click(chromedp.ID("choice-multiple")),
			)
			if !limitsShown() {
				t.Fatal("choice limits hidden for a multiple choice poll")
			}
			e.do(t, tab,
				chromedp.SendKeys(chromedp.ID("min_choices"), "2"),
				chromedp.SendKeys(chromedp.ID("max_choices"), "3"),
				chromedp.Click(chromedp.CSS("button.primary")),
				chromedp.WaitVisible(chromedp.ID("share-link")),
			)
			pollURL := run(t, tab, chromedp.Value(chromedp.ID("share-link")))
			voter := e.voterTab(t, js)
			e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("option-1")))
			if got := run(t, voter, chromedp.Evaluate[string](`document.querySelector(".description").innerText`)); got != "Two or three, please.\nWe order on Monday." {
				t.Errorf("description shows as %q, want its line break kept", got)
			}
			if legend := text(t, voter, "legend"); legend != "Choose 2 to 3 options" {
				t.Errorf("legend %q", legend)
			}
			if js {
				e.check(t, voter, "poll-limits")
			}
			e.do(t, voter, chromedp.Click(chromedp.ID("option-1")), chromedp.Click(chromedp.ID("option-2")), chromedp.Click(chromedp.ID("option-3")), chromedp.Click(chromedp.ID("option-4")),
				chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("vote-error")))
			if msg := text(t, voter, "#vote-error"); msg != "Choose at most 3 options." {
				t.Errorf("four of at most three: %q", msg)
			}
			if checked := run(t, voter, chromedp.Evaluate[int](`document.querySelectorAll("input[name=option]:checked").length`)); checked != 4 {
				t.Errorf("after the error %d boxes stay checked, want the 4 chosen", checked)
			}
			if js {
				e.check(t, voter, "poll-limits-error")
			}
			e.do(t, voter, chromedp.Click(chromedp.ID("option-4")), chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			if total := text(t, voter, "[data-total]"); total != "1" {
				t.Errorf("results after a ballot of three: total %q", total)
			}
		})
	})

	t.Run("your vote, and changing it", func(t *testing.T) {
		eachMode(t, func(t *testing.T, js bool) {
			creator := e.voterTab(t, js)
			e.do(t, creator, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
				chromedp.SendKeys(chromedp.ID("question"), "Which day for the team lunch?"),
				chromedp.SendKeys(chromedp.ID("option-0"), "Tuesday"),
				chromedp.SendKeys(chromedp.ID("option-1"), "Wednesday"),
				chromedp.SendKeys(chromedp.ID("option-2"), "Thursday"),
				chromedp.Click(chromedp.ID("allow_changes")),
				chromedp.Click(chromedp.CSS("button.primary")),
				chromedp.WaitVisible(chromedp.ID("share-link")),
			)
			pollURL := run(t, creator, chromedp.Value(chromedp.ID("share-link")))
			id := pollURL[strings.LastIndex(pollURL, "/")+1:]
			voter := e.voterTab(t, js)
			e.do(t, voter, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("option-2")),
				chromedp.Click(chromedp.ID("option-2")), chromedp.Click(chromedp.CSS("form.vote button")), chromedp.WaitVisible(chromedp.ID("results-heading")),
				chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.ID("mine-heading")))
			if mine := text(t, voter, ".mine ul"); mine != "Wednesday" {
				t.Errorf("the poll page shows the vote as %q, want Wednesday", mine)
			}
			if checked := run(t, voter, chromedp.Evaluate[string](`document.querySelector("input[name=option]:checked").value`)); checked != "2" {
				t.Errorf("the change form ticks option %q, want the vote's 2", checked)
			}
			if js {
				e.check(t, voter, "poll-your-vote")
			}
			e.do(t, voter, chromedp.Click(chromedp.ID("option-3")))
			if _, err := chromedp.RunResponse(voter, chromedp.Click(chromedp.CSS("form.vote button"))); err != nil {
				t.Fatal(err)
			}
			e.do(t, voter, chromedp.WaitVisible(chromedp.ID("mine-heading")))
			if notice, mine := text(t, voter, "main > p.notice"), text(t, voter, ".mine ul"); !strings.HasPrefix(notice, "Your vote is changed.") || mine != "Thursday" {
				t.Errorf("after the change: %q and %q, want the change confirmed and Thursday", notice, mine)
			}
			res, err := http.Get(e.base + "/api/v1/polls/" + id + "/results")
			if err != nil {
				t.Fatal(err)
			}
			var results struct {
				Total   int `json:"total"`
				Options []struct {
					Votes int `json:"votes"`
				} `json:"options"`
			}
			json.NewDecoder(res.Body).Decode(&results)
			res.Body.Close()
			if got := fmt.Sprint(results.Total, results.Options); got != "1 [{0} {0} {1}]" {
				t.Errorf("results after the change: %s, want 1 [{0} {0} {1}]", got)
			}
		})
	})

	t.Run("times in the viewer's time zone", func(t *testing.T) {
		eachMode(t, func(t *testing.T, js bool) {
			tab := e.voterTab(t, js)
			if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"}); err != nil {
				t.Fatal(err)
			}
			// Winter (UTC+01:00) and summer (UTC+02:00): the offset is that of
			// the chosen date, not of today.
			for _, tc := range []struct{ typed, utcWith, utcWithout, localShown string }{
				{"2099-01-15T10:00", "2099-01-15T09:00:00Z", "2099-01-15T10:00:00Z", "15 January 2099, 10:00 UTC+01:00"},
				{"2099-07-15T10:00", "2099-07-15T08:00:00Z", "2099-07-15T10:00:00Z", "15 July 2099, 10:00 UTC+02:00"},
			} {
				e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")),
					chromedp.SendKeys(chromedp.ID("question"), "When?"),
					chromedp.SendKeys(chromedp.ID("option-0"), "Now"),
					chromedp.SendKeys(chromedp.ID("option-1"), "Later"),
					chromedp.SetValue(chromedp.ID("closes_at"), tc.typed),
					chromedp.Evaluate[chromedp.Void](`document.getElementById("closes_at").dispatchEvent(new Event("input"))`),
				)
				hint := text(t, tab, "#closes-hint")
				wantHint := "The time is in UTC (Coordinated Universal Time)."
				if js {
					wantHint = "The time is in your time zone, Europe/Paris (" + tc.localShown[strings.LastIndex(tc.localShown, " ")+1:] + ")."
				}
				if !strings.HasPrefix(hint, wantHint) {
					t.Errorf("%s: the form says %q, want %q", tc.typed, hint, wantHint)
				}
				if js && tc.typed == "2099-01-15T10:00" {
					e.check(t, tab, "create-time-zone")
				}
				e.do(t, tab, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.ID("share-link")))
				pollURL := run(t, tab, chromedp.Value(chromedp.ID("share-link")))
				id := pollURL[strings.LastIndex(pollURL, "/")+1:]
				stored := apiField(t, e.base+"/api/v1/polls/"+id, "closes_at")
				want, shown := tc.utcWithout, tc.typed[8:10]+" "+map[string]string{"01": "January", "07": "July"}[tc.typed[5:7]]+" 2099, 10:00 UTC"
				if js {
					want, shown = tc.utcWith, tc.localShown
				}
				if stored != want {
					t.Errorf("typed %s in Paris: stored %s, want %s", tc.typed, stored, want)
				}
				e.do(t, tab, chromedp.Navigate(pollURL), chromedp.WaitVisible(chromedp.CSS("time")))
				if got := strings.TrimPrefix(text(t, tab, "time"), "0"); got != shown {
					t.Errorf("the poll page shows the closing time as %q, want %q", got, shown)
				}
			}
		})
	})

	t.Run("present mode", func(t *testing.T) {
		id, _ := e.apiPoll(t, `{"question": "Which talk should close the conference?", "description": "Scan the code or type the link.", "options": ["Rust in the kernel", "Go at scale", "Postgres internals", "Accessible web apps", "Terraform without tears"]}`)
		for _, option := range []int{2, 2, 4, 1, 2, 5} {
			e.apiVote(t, id, option)
		}
		eachMode(t, func(t *testing.T, js bool) {
			tab := e.voterTab(t, js)
			e.do(t, tab, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(e.base+"/p/"+id+"/present"), chromedp.WaitVisible(chromedp.CSS(".short-link")))
			var m struct {
				ScrollH, ViewH, ScrollW, ViewW                  float64
				H1, Row, Short, QR, QRTop, QRBottom, BarsBottom float64
			}
			measure := func() {
				raw := run(t, tab, chromedp.Evaluate[[]byte](`(() => {
						const px = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
						const qr = document.querySelector(".present-join .qr").getBoundingClientRect();
						const bars = document.querySelector("ul.bars").getBoundingClientRect();
						return {ScrollH: document.documentElement.scrollHeight, ViewH: innerHeight,
							ScrollW: document.documentElement.scrollWidth, ViewW: innerWidth,
							H1: px("h1"), Row: px(".row"), Short: px(".short-link"),
							QR: qr.width, QRTop: qr.top, QRBottom: qr.bottom, BarsBottom: bars.bottom};
					})()`))
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
			}
			measure()
			t.Logf("1920x1080: question %.0fpx, options %.0fpx, link %.0fpx, QR %.0fpx; page %.0fx%.0f", m.H1, m.Row, m.Short, m.QR, m.ScrollW, m.ScrollH)
			// From the back of a room: a 1080p projector 6 m away wants text of
			// 30px and more; everything on one screen, without scrolling.
			if m.H1 < 64 || m.Row < 36 || m.Short < 40 || m.QR < 400 {
				t.Errorf("at 1920x1080: question %.0fpx (want >= 64), options %.0fpx (>= 36), link %.0fpx (>= 40), QR %.0fpx (>= 400)", m.H1, m.Row, m.Short, m.QR)
			}
			if m.ScrollH > m.ViewH || m.ScrollW > m.ViewW {
				t.Errorf("at 1920x1080 the page is %.0fx%.0f: it must fit the screen", m.ScrollW, m.ScrollH)
			}
			if js {
				e.check(t, tab, "present") // phone and desktop, axe light and dark
				e.do(t, tab, chromedp.EmulateViewport(1920, 1080))
				e.screenshot(t, tab, "present-1920x1080", 1920, 1080, false)
				e.scheme(t, tab, "dark")
				e.screenshot(t, tab, "present-1920x1080-dark", 1920, 1080, false)
				e.scheme(t, tab, "light")
				// The bars are live: a vote shows without a reload.
				e.do(t, tab, chromedp.EmulateViewport(1920, 1080), chromedp.WaitVisible(chromedp.CSS("[data-live]")), // the stream's first event arrived
					chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
				e.apiVote(t, id, 3)
				waitFor(t, tab, `document.querySelector("[data-total]").textContent === "7" && window.notReloaded === true`)
			}
			// On a phone: one column, nothing wider than the screen, the QR
			// code whole on screen width, text no smaller than 16px.
			e.do(t, tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".short-link")))
			measure()
			t.Logf("390x844: question %.0fpx, options %.0fpx, link %.0fpx, QR %.0fpx; page %.0fx%.0f", m.H1, m.Row, m.Short, m.QR, m.ScrollW, m.ScrollH)
			if m.ScrollW > m.ViewW || m.QR > m.ViewW || m.QR < 200 || m.Row < 16 || m.Short < 16 {
				t.Errorf("on a phone: page %.0fpx wide for a %.0fpx screen, QR %.0fpx (200 to the screen), options %.0fpx, link %.0fpx (>= 16)", m.ScrollW, m.ViewW, m.QR, m.Row, m.Short)
			}
			if m.QRTop < m.BarsBottom {
				t.Errorf("on a phone the QR code (top %.0f) overlaps the bars (bottom %.0f): want one column", m.QRTop, m.BarsBottom)
			}
			e.do(t, tab, chromedp.EmulateViewport(1280, 800))
		})
	})

	t.Run("share link and QR code on the poll and results pages", func(t *testing.T) {
		id, _ := e.apiPoll(t, `{"question": "Share me?", "options": ["Yes", "No"]}`)
		eachMode(t, func(t *testing.T, js bool) {
			tab := e.voterTab(t, js)
			for _, path := range []string{"/p/" + id, "/p/" + id + "/results"} {
				e.do(t, tab, chromedp.Navigate(e.base+path), chromedp.WaitVisible(chromedp.CSS("details.share summary")),
					chromedp.Click(chromedp.CSS("details.share summary")), chromedp.WaitVisible(chromedp.CSS("details.share .qr")))
				if link := run(t, tab, chromedp.Value(chromedp.ID("share-link"))); link != e.base+"/p/"+id {
					t.Errorf("%s: share link %q", path, link)
				}
				if copyShown := run(t, tab, chromedp.Evaluate[bool](`!document.querySelector("[data-copy]").hidden`)); copyShown != js {
					t.Errorf("%s: copy button shown %v (only with JavaScript)", path, copyShown)
				}
			}
			if js {
				e.check(t, tab, "results-share")
			}
		})
	})

	t.Run("dark theme", func(t *testing.T) {
		id, _ := e.apiPoll(t, `{"question": "Dark or light?", "description": "Both themes meet the same contrast.", "options": ["Dark", "Light"]}`)
		e.apiVote(t, id, 1)
		e.apiVote(t, id, 1)
		e.apiVote(t, id, 2)
		tab := e.tab(true)
		e.scheme(t, tab, "dark")
		e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
		bg := run(t, tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("main")).backgroundColor`))
		if bg != "rgb(22, 27, 34)" {
			t.Errorf("the dark theme's page background is %s", bg)
		}
		e.runAxe(t, tab, "results (dark)")
		e.screenshot(t, tab, "results-dark-desktop", 1280, 800, false)
		e.screenshot(t, tab, "results-dark-phone", 390, 844, true)
		e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("question")))
		e.runAxe(t, tab, "create (dark)")
		e.screenshot(t, tab, "create-dark-desktop", 1280, 800, false)
	})

	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.console {
		// The form errors (400) and the hidden results (403) are the
		// documents' own statuses; anything else (a script error, a CSP
		// violation, a missing asset) fails.
		document := !strings.Contains(m, "/static/") && !strings.Contains(m, "/events")
		if !document || !strings.Contains(m, "the server responded with a status of 400") && !strings.Contains(m, "the server responded with a status of 403") {
			t.Errorf("page console error: %s", m)
		}
	}
}

// apiField reads one string field of a JSON document.
func apiField(t *testing.T, url, field string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v: %s", url, err, body)
	}
	s, _ := m[field].(string)
	return s
}
