package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/pollstack/pollstack"
)

// Languages. Every word a page or an error shows comes from a catalogue,
// locales/active.<language tag>.toml, one file per language: adding a file
// adds the language. English is the source: its catalogue has every message,
// and the tests fail when another catalogue lacks one, or when the code asks
// for one that English lacks. Errors keep their English text in the code;
// the catalogues translate them by code (Error.MessageKey) and values.

//go:embed locales/active.*.toml
var localeFS embed.FS

// langCookie keeps the language chosen in the menu.
const langCookie = "pollstack_lang"

// rtlScripts are the scripts written right to left, for <html dir>.
var rtlScripts = []string{"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg", "Mand", "Samr"}

// locale is one language of the catalogues.
type locale struct {
	Code string // its tag: the lang attribute, ?lang= and the cookie
	Name string // its name in itself, for the menu
	Dir  string // "ltr" or "rtl"
	// MenuOptions are the language menu's <option>s with this language
	// selected, made once.
	MenuOptions template.HTML

	localizer *i18n.Localizer
	plain     map[string]string // the messages that take no values, made once
	group     string            // the digits' group separator (format.group), "" for none
	groupFrom int               // the fewest digits a grouped number has (format.group_from)
	own       map[string]bool   // the messages of its own catalogue
	messages  map[string]*i18n.Message
	source    bool // English, whose error messages are the code's own words
	missing   func(id string)
}

// locales are the languages, English first.
type locales struct {
	list    []*locale
	byCode  map[string]*locale
	matcher language.Matcher
	ids     []string // every message ID, from the English catalogue
}

var (
	loadedLocales     *locales
	loadedLocalesOnce sync.Once
)

// allLocales reads the embedded catalogues once.
func allLocales() *locales {
	loadedLocalesOnce.Do(func() { loadedLocales = mustLoadLocales(localeFS) })
	return loadedLocales
}

// mustLoadLocales reads every catalogue of fsys: a broken one stops the server.
func mustLoadLocales(fsys fs.FS) *locales {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "locales/active.*.toml")
	if err != nil {
		panic(err)
	}
	// English first: the matcher falls back to the first language.
	slices.SortStableFunc(files, func(a, b string) int {
		return boolInt(!strings.HasSuffix(a, ".en.toml")) - boolInt(!strings.HasSuffix(b, ".en.toml"))
	})
	ls := &locales{byCode: map[string]*locale{}}
	var tags []language.Tag
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		mf, err := bundle.ParseMessageFileBytes(data, path.Base(f))
		if err != nil {
			panic(fmt.Sprintf("web: catalogue %s: %v", f, err))
		}
		l := &locale{Code: mf.Tag.String(), Dir: direction(mf.Tag), source: mf.Tag == language.English,
			localizer: i18n.NewLocalizer(bundle, mf.Tag.String()),
			plain:     map[string]string{}, own: map[string]bool{}, messages: map[string]*i18n.Message{}}
		if l.source {
			for _, m := range mf.Messages {
				ls.ids = append(ls.ids, m.ID)
			}
			slices.Sort(ls.ids)
		}
		for _, m := range mf.Messages {
			l.own[m.ID], l.messages[m.ID] = true, m
			if !strings.Contains(m.Other, "{{") && m.One == "" && m.Two == "" && m.Few == "" && m.Many == "" && m.Zero == "" {
				l.plain[m.ID] = m.Other
			}
		}
		l.Name = l.plain["lang.name"]
		ls.list = append(ls.list, l)
		ls.byCode[l.Code] = l
		tags = append(tags, mf.Tag)
	}
	if len(ls.list) == 0 || !ls.list[0].source {
		panic("web: no English catalogue (locales/active.en.toml)")
	}
	// A language missing a message falls back to the English words.
	for _, l := range ls.list[1:] {
		for id, text := range ls.list[0].plain {
			if !l.own[id] {
				l.plain[id] = text
			}
		}
		for id, m := range ls.list[0].messages {
			if !l.own[id] {
				l.messages[id] = m
			}
		}
	}
	ls.matcher = language.NewMatcher(tags)
	for _, l := range ls.list {
		l.group = l.plain["format.group"]
		if l.groupFrom, _ = strconv.Atoi(l.plain["format.group_from"]); l.groupFrom < 4 {
			l.groupFrom = 4
		}
		var menu strings.Builder
		for _, o := range ls.list {
			selected := ""
			if o == l {
				selected = " selected"
			}
			fmt.Fprintf(&menu, `<option value="%s" lang="%s"%s>%s</option>`, template.HTMLEscapeString(o.Code),
				template.HTMLEscapeString(o.Code), selected, template.HTMLEscapeString(o.Name))
		}
		l.MenuOptions = template.HTML(menu.String())
	}
	return ls
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// direction is "rtl" for a language written right to left.
func direction(tag language.Tag) string {
	script, _ := tag.Script()
	if slices.Contains(rtlScripts, script.String()) {
		return "rtl"
	}
	return "ltr"
}

// match is the language that the tag s asks for, or nil.
func (ls *locales) match(s string) *locale {
	if s == "" || len(s) > 35 {
		return nil
	}
	tag, err := language.Parse(s)
	if err != nil {
		return nil
	}
	_, i, conf := ls.matcher.Match(tag)
	if conf == language.No {
		return nil
	}
	return ls.list[i]
}

// forRequest chooses the language of a response: ?lang=, then the menu's
// cookie (for pages), then Accept-Language, then English.
func (ls *locales) forRequest(r *http.Request, useCookie bool) *locale {
	if q := r.URL.RawQuery; q != "" && strings.Contains(q, "lang=") {
		if l := ls.match(r.URL.Query().Get("lang")); l != nil {
			return l
		}
	}
	if useCookie {
		if c, err := r.Cookie(langCookie); err == nil {
			if l := ls.match(c.Value); l != nil {
				return l
			}
		}
	}
	if accept := r.Header.Get("Accept-Language"); accept != "" {
		if tags, _, err := language.ParseAcceptLanguage(accept); err == nil && len(tags) > 0 {
			if _, i, conf := ls.matcher.Match(tags...); conf != language.No {
				return ls.list[i]
			}
		}
	}
	return ls.list[0]
}

// locale is the language of the page or API answer to r.
func (s *Server) locale(r *http.Request) *locale {
	return s.locales.forRequest(r, !isAPI(r))
}

// localize renders the message id with data, counting by count when it is
// not nil (the plural form). A message the catalogues lack comes back as its
// ID, and is reported to l.missing (tests fail on it).
func (l *locale) localize(id string, data map[string]any, count any) string {
	if data == nil && count == nil {
		if text, ok := l.plain[id]; ok {
			return text
		}
	}
	text, err := l.localizer.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && text == "" {
		if l.missing != nil {
			l.missing(id)
		}
		return id
	}
	return text
}

// pairs reads a template's key, value, key, value... into template data:
// integers written as the language writes numbers.
func (l *locale) pairs(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = l.value(kv[i+1])
	}
	return data
}

// value is a value as a message shows it in l.
func (l *locale) value(v any) any {
	switch v := v.(type) {
	case int:
		return l.num(v)
	case pollstack.Term:
		return l.localize("term."+v.Key, nil, nil)
	}
	return v
}

// t is a message, with values given as key, value pairs.
func (l *locale) t(id string, kv ...any) string {
	return l.localize(id, l.pairs(kv), nil)
}

// tn is a message that counts: its plural form follows count, which it
// shows as {{.Count}}.
func (l *locale) tn(id string, count int, kv ...any) string {
	data := l.pairs(kv)
	if data == nil {
		data = map[string]any{}
	}
	data["Count"] = l.num(count)
	return l.localize(id, data, count)
}

// th is a message with values that are HTML (a <time>, a link): the
// message's own words are escaped, each value escaped unless it is
// template.HTML already.
func (l *locale) th(id string, kv ...any) template.HTML {
	marks := make(map[string]any, len(kv)/2)
	values := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		mark := "\x1f" + key + "\x1f"
		marks[key] = mark
		switch v := kv[i+1].(type) {
		case template.HTML:
			values[mark] = string(v)
		default:
			values[mark] = template.HTMLEscapeString(fmt.Sprint(l.value(v)))
		}
	}
	out := template.HTMLEscapeString(l.localize(id, marks, nil))
	for mark, v := range values {
		out = strings.ReplaceAll(out, mark, v)
	}
	return template.HTML(out)
}

// num is a whole number as the language writes it, as browsers' Intl
// does (current CLDR): Latin digits in each of the catalogues' languages,
// Arabic included, so that a count keeps its digits when app.js updates
// it, grouped by threes with the catalogue's separator. (x/text/message
// would write the same, but its number tables cost the image more than
// its size budget leaves.)
func (l *locale) num(n int) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	if l.group == "" || len(digits) < l.groupFrom {
		return sign + digits
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dateParts are a date's words in l: the day and year in digits, the month
// and weekday named (short: abbreviated).
func (l *locale) dateParts(t time.Time, short bool) map[string]any {
	month, weekday := "month.", "weekday."
	if short {
		month, weekday = "month_short.", "weekday_short."
	}
	return map[string]any{
		"Day": strconv.Itoa(t.Day()), "Year": strconv.Itoa(t.Year()), "Time": t.Format("15:04"),
		"Month":   l.localize(month+strconv.Itoa(int(t.Month())), nil, nil),
		"Weekday": l.localize(weekday+strconv.Itoa(int(t.Weekday())), nil, nil),
	}
}

// dateTime is an instant in UTC, in words.
func (l *locale) dateTime(t time.Time) string {
	return l.localize("format.datetime_utc", l.dateParts(t.UTC(), false), nil)
}

// timeTag is an instant as a <time> element in UTC; app.js shows it in the
// viewer's time zone.
func (l *locale) timeTag(t time.Time) template.HTML {
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" data-local>` +
		template.HTMLEscapeString(l.dateTime(t)) + `</time>`)
}

// slotText is a meeting slot as read in loc (pollstack.Slot.In, in l's
// words): a date as itself, a time slot by its start and end, zone named.
func (l *locale) slotText(s pollstack.Slot, loc *time.Location) string {
	if s.AllDay() {
		d, _ := time.Parse(pollstack.DateLayout, s.Date)
		return l.localize("format.date_short", l.dateParts(d, true), nil)
	}
	start, end := s.Start.In(loc), s.End.In(loc)
	when := func(t time.Time) string { return l.localize("format.datetime_short", l.dateParts(t, true), nil) }
	if start.Format(pollstack.DateLayout) == end.Format(pollstack.DateLayout) && start.Format("MST") == end.Format("MST") {
		return when(start) + "–" + end.Format("15:04 MST")
	}
	return when(start) + " " + start.Format("MST") + " – " + when(end) + " " + end.Format("MST")
}

// choiceRule says, in words for voters, how many options a ballot takes.
func (l *locale) choiceRule(p *pollstack.Poll) string {
	r := p.Rule()
	switch r.Kind {
	case pollstack.RuleBetween:
		return l.tn("rule.between", r.Max, "Min", r.Min)
	case pollstack.RuleRankedUpTo, pollstack.RuleExactly, pollstack.RuleUpTo:
		return l.tn("rule."+string(r.Kind), r.Max)
	case pollstack.RuleAtLeast:
		return l.tn("rule.at_least", r.Min)
	}
	return l.t("rule." + string(r.Kind))
}

// answerText is a meeting answer in words.
func (l *locale) answerText(a pollstack.Answer) string {
	return l.t("answer." + string(a))
}

// localizeError is e in l's words; English keeps the code's own.
func (l *locale) localizeError(e *pollstack.Error) *pollstack.Error {
	if l.source {
		return e
	}
	data := make(map[string]any, len(e.Args))
	var count any
	for i, a := range e.Args {
		if n, ok := a.(int); ok && count == nil {
			count = n
		}
		data["P"+strconv.Itoa(i+1)] = l.value(a)
	}
	out := *e
	out.Message = l.localize("error."+e.MessageKey(), data, count)
	return &out
}

// link is an <a> to a path of this site; target "_blank" opens a new tab.
func link(href, text, target string) template.HTML {
	a := `<a href="` + template.HTMLEscapeString(href) + `"`
	if target != "" {
		a += ` target="` + template.HTMLEscapeString(target) + `" rel="noopener"`
	}
	return template.HTML(a + ">" + template.HTMLEscapeString(text) + "</a>")
}

// userText is text that people typed, as an element whose direction is
// its own (dir="auto"), for a message that quotes it.
func userText(text string) template.HTML {
	return template.HTML(`<span dir="auto">` + template.HTMLEscapeString(text) + "</span>")
}

// strong is text as <strong class="class">.
func strong(class, text string) template.HTML {
	return template.HTML(`<strong class="` + template.HTMLEscapeString(class) + `">` + template.HTMLEscapeString(text) + "</strong>")
}

// code is text as <code>.
func code(text string) template.HTML {
	return template.HTML("<code>" + template.HTMLEscapeString(text) + "</code>")
}

// pluralAttrs are data-<name>-<form> attributes with the message id's
// plural forms, {n} where the number goes, for app.js (Intl.PluralRules).
func (l *locale) pluralAttrs(id, name string) template.HTMLAttr {
	m := l.messages[id]
	if m == nil {
		if l.missing != nil {
			l.missing(id)
		}
		return ""
	}
	var b strings.Builder
	for _, f := range []struct{ form, text string }{{"zero", m.Zero}, {"one", m.One}, {"two", m.Two}, {"few", m.Few}, {"many", m.Many}, {"other", m.Other}} {
		if f.text != "" {
			text := strings.ReplaceAll(f.text, "{{.Count}}", "{n}")
			b.WriteString(" data-" + name + "-" + f.form + `="` + template.HTMLEscapeString(text) + `"`)
		}
	}
	return template.HTMLAttr(b.String())
}

// plainCall is a template's call of t with a message ID alone; pluralCall
// of pluralAttrs, which takes no values either.
var (
	plainCall  = regexp.MustCompile(`\{\{t "([A-Za-z0-9_.-]+)"\}\}`)
	pluralCall = regexp.MustCompile(`\{\{pluralAttrs "([A-Za-z0-9_.-]+)" "([a-z-]+)"\}\}`)
)

// inlineMessages writes every {{t "id"}} of a message that takes no values
// into a template's source as its text, escaped for HTML (the calls sit in
// element text or in quoted attribute values, where that escaping holds).
func (l *locale) inlineMessages(src []byte) []byte {
	src = pluralCall.ReplaceAllFunc(src, func(call []byte) []byte {
		m := pluralCall.FindSubmatch(call)
		if l.messages[string(m[1])] == nil {
			return call // missing: the call reports it when it runs
		}
		return []byte(l.pluralAttrs(string(m[1]), string(m[2])))
	})
	return plainCall.ReplaceAllFunc(src, func(call []byte) []byte {
		text, ok := l.plain[string(plainCall.FindSubmatch(call)[1])]
		if !ok || strings.Contains(text, "{{") {
			return call
		}
		return []byte(template.HTMLEscapeString(text))
	})
}

// funcs are the template functions of pages in l.
func (l *locale) funcs() template.FuncMap {
	return template.FuncMap{
		"t": l.t, "tn": l.tn, "th": l.th, "num": l.num, "timeTag": l.timeTag,
		"choiceRule": l.choiceRule, "answerText": l.answerText, "pluralAttrs": l.pluralAttrs,
		"link": link, "code": code, "userText": userText, "strong": strong,
		"slotText": func(s pollstack.Slot) string { return l.slotText(s, time.UTC) },
	}
}

// chooseLanguage is the language menu's form: it keeps the choice in a
// cookie for a year and goes back to the page it was sent from.
func (s *Server) chooseLanguage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	l := s.locales.match(r.PostForm.Get("lang"))
	if l == nil {
		s.writeError(w, r, pollstack.Invalid("lang", "lang_unknown", "Choose one of the languages offered."))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l.Code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r)})
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}

// localPath is next when it is a path on this site, else "/": the menu
// never sends anyone to another site.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return u.RequestURI()
}

// here is the page the language menu comes back to: for a GET, the
// request's path and query without lang; for a form post, the nearest page
// above its path (a vote's /p/ID/vote comes back to /p/ID).
func (s *Server) here(r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		for path := r.URL.Path; path != ""; path = path[:strings.LastIndex(path, "/")] {
			if _, pattern := s.pageRoutes.Handler(&http.Request{Method: http.MethodGet, Host: r.Host, URL: &url.URL{Path: path}}); pattern != "" {
				return path
			}
		}
		return "/"
	}
	if r.URL.RawQuery == "" {
		return r.URL.Path
	}
	q := r.URL.Query()
	q.Del("lang")
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}
