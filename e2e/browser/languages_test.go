//go:build integration

package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLanguages walks the create, poll, results, present and admin
// pages in each language, chosen with the page's own language menu: the
// page says its language and direction, lays out right to left in Arabic,
// is axe-clean in both themes, and app.js writes counts, plurals and dates
// with Intl in the page's language.
func TestBrowserLanguages(t *testing.T) {
	e := startBrowserEnv(t)
	for _, tc := range []struct{ lang, dir string }{{"de", "ltr"}, {"ar", "rtl"}, {"es", "ltr"}, {"fr", "ltr"}, {"en", "ltr"}} {
		t.Run(tc.lang, func(t *testing.T) {
			tab := e.tab(true)
			e.do(t, tab, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.ID("language-choice")),
				chromedp.SetValue(chromedp.ID("language-choice"), tc.lang),
				chromedp.Click(chromedp.CSS(".language-menu button")),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+tc.lang+`"] #question`)))
			e.saysLanguage(t, tab, "create", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" create")

			e.do(t, tab, chromedp.SendKeys(chromedp.ID("question"), "Tee oder Kaffee? شاي أم قهوة؟"),
				chromedp.SendKeys(chromedp.ID("option-0"), "Tee"), chromedp.SendKeys(chromedp.ID("option-1"), "قهوة"),
				chromedp.Click(chromedp.CSS("form.create button.primary")), chromedp.WaitVisible(chromedp.ID("share-link")))
			e.saysLanguage(t, tab, "created", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" created")
			link := run(t, tab, chromedp.Value(chromedp.ID("share-link")))
			id := link[strings.LastIndex(link, "/p/")+3:]

			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id), chromedp.WaitVisible(chromedp.ID("option-1")))
			e.saysLanguage(t, tab, "poll", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" poll")
			e.do(t, tab, chromedp.Click(chromedp.ID("option-1")), chromedp.Click(chromedp.CSS("form.vote button.primary")),
				chromedp.WaitVisible(chromedp.CSS(".notice.confirm")))
			e.axeBothThemes(t, tab, tc.lang+" voted")

			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/results"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			e.saysLanguage(t, tab, "results", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" results")
			// The server writes the count as the browser's Intl does, so that
			// app.js's updates never change its digits.
			if same := run(t, tab, chromedp.Evaluate[bool](`fetch(location.href).then(r => r.text()).then(page => {
				const m = page.match(/<span data-total>([^<]*)<\/span>/);
				return m !== null && m[1] === new Intl.NumberFormat(document.documentElement.lang).format(1);
			})`, chromedp.EvalAwaitPromise)); !same {
				t.Errorf("the server writes the count otherwise than Intl.NumberFormat(%q)", tc.lang)
			}
			// Live: another vote arrives; app.js writes the count and its
			// word as the language does (Intl.NumberFormat, PluralRules).
			waitFor(t, tab, `!document.querySelector("[data-live]").hidden`)
			e.apiVote(t, id, 2)
			waitFor(t, tab, `(() => {
				const lang = document.documentElement.lang, total = document.querySelector("[data-total]");
				const form = new Intl.PluralRules(lang).select(2);
				const word = total.parentNode.getAttribute("data-label-" + form) || total.parentNode.getAttribute("data-label-other");
				return total.textContent === new Intl.NumberFormat(lang).format(2) &&
					document.querySelector("[data-total-label]").textContent === word && word !== "";
			})()`)

			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/present"), chromedp.WaitVisible(chromedp.CSS(".present")))
			e.saysLanguage(t, tab, "present", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" present")

			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"/admin"), chromedp.WaitVisible(chromedp.CSS("[data-total]")))
			e.saysLanguage(t, tab, "admin", tc.lang, tc.dir)
			e.axeBothThemes(t, tab, tc.lang+" admin")
		})
	}

	// The closing time, shown by app.js in the viewer's zone, is written
	// with the language's month name (Intl) in every language.
	t.Run("dates", func(t *testing.T) {
		id, _ := e.apiPoll(t, `{"question": "Q", "options": ["A", "B"], "closes_at": "2099-03-15T10:00:00Z"}`)
		for _, lang := range []string{"de", "ar", "fr"} {
			tab := e.tab(true)
			e.do(t, tab, chromedp.Navigate(e.base+"/p/"+id+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("time[data-local]")))
			waitFor(t, tab, `(() => {
				const el = document.querySelector("time[data-local]"), d = new Date(el.getAttribute("datetime"));
				const month = new Intl.DateTimeFormat(document.documentElement.lang, {day: "numeric", month: "long", year: "numeric"})
					.formatToParts(d).find(p => p.type === "month").value;
				return el.title !== "" && el.textContent.includes(month) && el.textContent.includes("2099");
			})()`)
		}
	})
}

// saysLanguage checks the page's lang and dir, that the browser lays it out
// in that direction (the header's "your polls" link sits at the line's
// end: left in Arabic; present mode hides the header), and that the language menu shows the language.
func (e *browserEnv) saysLanguage(t *testing.T, tab context.Context, page, lang, dir string) {
	t.Helper()
	var got struct {
		Lang, Dir, Direction, Menu string
		LinkAtEnd                  bool
	}
	raw := run(t, tab, chromedp.Evaluate[map[string]any](`(() => {
		const brand = document.querySelector(".brand"), mine = document.querySelector(".my-polls");
		const atEnd = mine.offsetParent === null || (getComputedStyle(document.documentElement).direction === "rtl"
			? mine.getBoundingClientRect().right < brand.getBoundingClientRect().left
			: mine.getBoundingClientRect().left > brand.getBoundingClientRect().right);
		return {lang: document.documentElement.lang, dir: document.documentElement.dir,
			direction: getComputedStyle(document.body).direction, menu: document.getElementById("language-choice").value, atEnd};
	})()`))
	got.Lang, _ = raw["lang"].(string)
	got.Dir, _ = raw["dir"].(string)
	got.Direction, _ = raw["direction"].(string)
	got.Menu, _ = raw["menu"].(string)
	got.LinkAtEnd, _ = raw["atEnd"].(bool)
	if got.Lang != lang || got.Dir != dir || got.Direction != dir || got.Menu != lang || !got.LinkAtEnd {
		t.Errorf("%s page: %+v, want lang %s, dir and direction %s, the menu on %s, the header's link at the line's end", page, got, lang, dir, lang)
	}
}
