//go:build integration

package browser

// Meeting polls in a real browser, with JavaScript and without: create one
// from dates and times typed in New York's zone across its change to summer
// time, see each slot at the right local time in New York and in Berlin,
// answer as three participants, edit one answer, hide names, decide on the
// admin page and download the calendar file. Each page is checked with
// axe-core in both themes and saved at phone and desktop width.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// inZone makes the tab's clock read in the IANA zone.
func inZone(t *testing.T, tab context.Context, zone string) {
	t.Helper()
	if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		t.Fatal(err)
	}
}

// answerMeeting fills and sends the answer form of the poll in the tab:
// answers[i] for slot i+1.
func (e *browserEnv) answerMeeting(t *testing.T, tab context.Context, name string, answers ...string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.ID("name")), chromedp.SetValue(chromedp.ID("name"), name)}
	for i, a := range answers {
		actions = append(actions, chromedp.Click(chromedp.ID("slot-"+string(rune('1'+i))+"-"+a)))
	}
	// The page that answers is a new document: wait for it, not for the
	// one the form was on.
	actions = append(actions, chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.sent = "1"`),
		chromedp.Click(chromedp.CSS("form.meeting-answers button.primary")))
	e.do(t, tab, actions...)
	newPage := `!document.documentElement.dataset.sent && document.readyState === "complete" && !!document.querySelector(".notice")`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// An evaluation that meets the navigation fails: ask again.
		if done, err := chromedp.Run(tab, chromedp.Evaluate[bool](newPage)); err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's answers: no page after the form", name)
		}
	}
}

// gridText is the meeting grid's text, spaces folded.
const gridText = `document.querySelector(".meeting-grid table").innerText.replace(/\s+/g, " ").trim()`

// pickByKeyboard moves the month grid's focus to the day by keyboard
// (Page Up and Down by month, arrows by day) and chooses it with Enter.
func pickByKeyboard(t *testing.T, e *browserEnv, tab context.Context, day string) {
	t.Helper()
	e.do(t, tab, chromedp.Focus(chromedp.CSS(`.calendar button[data-date][tabindex="0"]`)))
	for range 400 {
		at := run(t, tab, chromedp.Evaluate[string](`document.activeElement.getAttribute("data-date") || ""`))
		key := ""
		switch {
		case at == "":
			t.Fatalf("the focus left the month grid on the way to %s", day)
		case at == day:
			e.do(t, tab, chromedp.KeyEvent(kb.Enter))
			return
		case at[:7] < day[:7]:
			key = kb.PageDown
		case at[:7] > day[:7]:
			key = kb.PageUp
		case at < day:
			key = kb.ArrowRight
		default:
			key = kb.ArrowLeft
		}
		e.do(t, tab, chromedp.KeyEvent(key))
	}
	t.Fatalf("the keyboard never reached %s", day)
}

func TestBrowserMeeting(t *testing.T) {
	e := startBrowserEnv(t)
	if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	eachMode(t, func(t *testing.T, js bool) {
		creator := e.tab(false) // the default browser context: downloads go to a folder we choose
		if !js {
			if _, err := chromedp.Call(creator, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatal(err)
			}
		}
		inZone(t, creator, "America/New_York")
		e.do(t, creator, chromedp.Navigate(e.base+"/meeting"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("question"), "Team offsite"))
		if js {
			// The dates come from the month grid: one by keyboard, one by
			// mouse (chosen again, which takes it back, and once more).
			if zone := run(t, creator, chromedp.Value(chromedp.ID("tz"))); zone != "America/New_York" {
				t.Errorf("the zone box says %q, want the browser's America/New_York", zone)
			}
			pickByKeyboard(t, e, creator, "2026-03-08")
			pickByKeyboard(t, e, creator, "2026-12-31")
			for range 2 {
				e.do(t, creator, chromedp.Click(chromedp.CSS(`.calendar button[data-date="2026-12-31"]`)))
			}
			dates := run(t, creator, chromedp.Evaluate[string](`[...document.querySelectorAll("input[name=date]")].map(i => i.value).join(",")`))
			if !strings.HasPrefix(dates, "2026-03-08,2026-12-31,") {
				t.Errorf("after picking on the grid the rows' dates are %q", dates)
			}
			if pressed := run(t, creator, chromedp.Evaluate[string](`document.querySelector('.calendar button[data-date="2026-12-31"]').getAttribute("aria-pressed")`)); pressed != "true" {
				t.Errorf("the chosen day is not marked: aria-pressed=%q", pressed)
			}
		} else {
			e.do(t, creator, chromedp.SetValue(chromedp.ID("tz"), "America/New_York"),
				chromedp.SetValue(chromedp.ID("date-0"), "2026-03-08"), chromedp.SetValue(chromedp.ID("date-1"), "2026-12-31"))
		}
		e.do(t, creator, chromedp.SetValue(chromedp.ID("start-0"), "01:00"), chromedp.SetValue(chromedp.ID("end-0"), "04:00"))
		if js {
			e.check(t, creator, "meeting-new")
		}
		e.do(t, creator, chromedp.Click(chromedp.CSS("form.create button.primary")), chromedp.WaitVisible(chromedp.ID("admin-link")))
		adminURL := run(t, creator, chromedp.Value(chromedp.ID("admin-link")))
		id := adminURL[strings.Index(adminURL, "/p/")+3 : strings.Index(adminURL, "/admin")]
		token := adminURL[strings.Index(adminURL, "#")+1:]

		// The slot across New York's change to summer time, at its local
		// time in New York and in Berlin (JavaScript), in UTC without; the
		// all-day date the same at UTC-10 and at UTC+14.
		for zone, want := range map[string][2]string{
			"America/New_York":   {"8 March 2026, 01:00 UTC-05:00", "8 March 2026, 04:00 UTC-04:00"},
			"Europe/Berlin":      {"8 March 2026, 07:00 UTC+01:00", "8 March 2026, 09:00 UTC+01:00"},
			"Pacific/Honolulu":   {"7 March 2026, 20:00 UTC-10:00", "7 March 2026, 22:00 UTC-10:00"},
			"Pacific/Kiritimati": {"8 March 2026, 20:00 UTC+14:00", "8 March 2026, 22:00 UTC+14:00"},
		} {
			tab := e.voterTab(t, js)
			inZone(t, tab, zone)
			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("name")))
			if !js {
				want = [2]string{"8 March 2026, 06:00 UTC", "8 March 2026, 08:00 UTC"}
			}
			legend := text(t, tab, "fieldset.slot-answer legend")
			if !strings.Contains(legend, want[0]) || !strings.Contains(legend, want[1]) {
				t.Errorf("in %s: the slot reads %q, want %s to %s", zone, legend, want[0], want[1])
			}
			if all := text(t, tab, "fieldset.slot-answer:nth-of-type(2) legend"); !strings.Contains(all, "Thu 31 Dec 2026 (all day)") {
				t.Errorf("in %s: the date reads %q, want Thu 31 Dec 2026", zone, all)
			}
		}

		// Three participants; the last edits an answer. The first one's
		// page stays open.
		var first, last context.Context
		for _, p := range []struct{ name, slot1, slot2 string }{{"Ada", "yes", "if_need_be"}, {"Bob", "no", "yes"}, {"Cy", "yes", "yes"}} {
			last = e.voterTab(t, js)
			e.do(t, last, chromedp.Navigate(e.base+"/p/"+id))
			e.answerMeeting(t, last, p.name, p.slot1, p.slot2)
			if first == nil {
				first = last
			}
		}
		if name := run(t, last, chromedp.Value(chromedp.ID("name"))); name != "Cy" {
			t.Errorf("the edit form offers the name %q, want Cy", name)
		}
		e.answerMeeting(t, last, "Cy", "no", "yes")
		if notice := text(t, last, ".notice"); notice != "Your answers are changed." {
			t.Errorf("after the edit: %q", notice)
		}
		if best := text(t, last, ".meeting-grid tbody tr:first-child th"); !strings.Contains(best, "31 Dec 2026") {
			t.Errorf("best slot %q, want 31 December (3 yes)", best)
		}
		if row := text(t, last, ".meeting-grid tbody tr:first-child"); !strings.Contains(row, "Yes") || !strings.Contains(text(t, last, ".meeting-grid thead"), "Ada") {
			t.Errorf("grid row %q lacks the answers or the names", row)
		}
		if js {
			e.check(t, last, "meeting")
			// Ada's page, loaded before the others answered, has redrawn its
			// grid live into what the server draws now.
			fresh := run(t, last, chromedp.Evaluate[string](gridText))
			waitFor(t, first, gridText+` === `+strconv.Quote(fresh))
		}

		// The creator decides on the admin page and downloads the calendar file.
		downloads := t.TempDir()
		if _, err := chromedp.CallBrowser(creator, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: "allow", DownloadPath: downloads}); err != nil {
			t.Fatal(err)
		}
		e.openAdmin(t, creator, id, token, js)
		e.do(t, creator, chromedp.Click(chromedp.ID("decide-2")), chromedp.Click(chromedp.CSS("form.decide button")),
			chromedp.WaitVisible(chromedp.CSS(".decision")))
		if decision := text(t, creator, ".decision"); !strings.Contains(decision, "Decided: Thu 31 Dec 2026 (all day).") {
			t.Errorf("decision %q", decision)
		}
		if js {
			e.check(t, creator, "meeting-decided")
			// Ada's open page hears of the decision.
			waitFor(t, first, `!document.querySelector('[data-state="closed"]').hidden && document.querySelector("form.vote button").disabled`)
		}
		e.do(t, creator, chromedp.Click(chromedp.CSS(`.decision a[href$="/event.ics"]`)))
		var ics []byte
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && ics == nil; time.Sleep(50 * time.Millisecond) {
			ics, _ = os.ReadFile(filepath.Join(downloads, "meeting-"+id+".ics"))
		}
		if !strings.Contains(string(ics), "DTSTART;VALUE=DATE:20261231\r\n") || !strings.Contains(string(ics), "UID:meeting-"+id+"@pollstack\r\n") {
			t.Errorf("downloaded calendar file:\n%s", ics)
		}

		// Hidden names, chosen on the form: another viewer sees the totals only.
		e.do(t, creator, chromedp.Navigate(e.base+"/meeting"), chromedp.WaitVisible(chromedp.ID("question")),
			chromedp.SendKeys(chromedp.ID("question"), "Quiet lunch"), chromedp.SetValue(chromedp.ID("date-0"), "2026-04-01"),
			chromedp.Click(chromedp.ID("hide_names")), chromedp.Click(chromedp.CSS("form.create button.primary")), chromedp.WaitVisible(chromedp.ID("admin-link")))
		adminURL = run(t, creator, chromedp.Value(chromedp.ID("admin-link")))
		hidden := adminURL[strings.Index(adminURL, "/p/")+3 : strings.Index(adminURL, "/admin")]
		voter := e.voterTab(t, js)
		e.do(t, voter, chromedp.Navigate(e.base+"/p/"+hidden))
		e.answerMeeting(t, voter, "Secret Person", "yes")
		viewer := e.voterTab(t, js)
		e.do(t, viewer, chromedp.Navigate(e.base+"/p/"+hidden), chromedp.WaitVisible(chromedp.CSS(".meeting-grid")))
		if grid := text(t, viewer, ".meeting-grid"); strings.Contains(grid, "Secret") || !strings.Contains(grid, "1") {
			t.Errorf("grid with names hidden: %q", grid)
		}
		if js {
			e.check(t, viewer, "meeting-hidden-names")
		}

		// Thirty slots on a phone: the page keeps to the screen's width (the
		// grid scrolls sideways in its own region) and every answer is in reach.
		var slots []string
		for i := range 30 {
			slots = append(slots, fmt.Sprintf(`{"start": "2026-05-%02dT09:00:00+02:00", "end": "2026-05-%02dT10:00:00+02:00"}`, i+1, i+1))
		}
		many, _ := e.apiPoll(t, `{"question": "A month of mornings", "kind": "meeting", "slots": [`+strings.Join(slots, ",")+`]}`)
		for _, name := range []string{"Ada", "Bob", "Cy"} {
			res, err := http.Post(e.base+"/api/v1/polls/"+many+"/votes", "application/json", strings.NewReader(`{"name": "`+name+`", "answers": {"1": "yes", "30": "if_need_be"}}`))
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("%s's answers: %v %v", name, res, err)
			}
			res.Body.Close()
		}
		phone := e.voterTab(t, js)
		e.do(t, phone, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(e.base+"/p/"+many), chromedp.WaitVisible(chromedp.ID("name")))
		if wide := run(t, phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
			t.Error("with 30 slots the page is wider than the phone's screen")
		}
		if outside := run(t, phone, chromedp.Evaluate[int](`[...document.querySelectorAll("form.meeting-answers input[type=radio]")].filter(r => {
			const b = r.getBoundingClientRect(); return b.left < 0 || b.right > window.innerWidth || b.width < 10;
		}).length`)); outside != 0 {
			t.Errorf("%d answer buttons lie off the phone's screen or are too small", outside)
		}
		if js {
			e.check(t, phone, "meeting-30-slots")
		}
	})
}
