package web

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// Pages: every action is a plain form post answered by a redirect
// (post/redirect/get), so that everything works without JavaScript; the one
// script, /static/app.js, only adds live results and copying the link.

// pageCSP is the policy of every HTML page: scripts, styles and fetches from
// this origin only, no inline script, never framed. Images may be data: URLs
// (none are today; inline SVG needs no source).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// blankOptionRows is how many option rows a new form offers without JavaScript.
const blankOptionRows = 4

// page is what every template gets: the page's name (its template, which
// the body's class names for the stylesheet), its title and its own data.
type page struct {
	Name  string
	Title string
	Data  any
}

// render writes a page with its status. Pages are personal (votes, tokens)
// and live, so they are not stored by caches; they send no Referer, so a
// poll or admin address never leaks to another site.
func (s *Server) render(w http.ResponseWriter, status int, name, title string, data any) {
	s.renderFramed(w, status, name, title, data, pageCSP)
}

// renderFramed is render with a policy of the page's own: the embed page's
// frame-ancestors.
func (s *Server) renderFramed(w http.ResponseWriter, status int, name, title string, data any, policy string) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", page{Name: name, Title: title, Data: data}); err != nil {
		s.log.Error("render page", "page", name, "error", err.Error())
		http.Error(w, "Something went wrong on our side. It has been logged.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", policy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the data of the page that says what went wrong.
type errorPage struct {
	Heading string
	Message string
	PollID  string         // the poll the request was about, for a link back to it
	Access  *resultsAccess // and to its results, or when they will show; nil: unknown
}

// errorHeadings title the error pages by status.
var errorHeadings = map[int]string{
	http.StatusBadRequest:            "Something is wrong with the request",
	http.StatusUnauthorized:          "Admin link needed",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not allowed here",
	http.StatusConflict:              "Cannot vote",
	http.StatusRequestEntityTooLarge: "The form is too large",
	http.StatusTooManyRequests:       "Slow down",
	http.StatusServiceUnavailable:    "Try again soon",
}

// renderError answers an error as a page; writeError chooses it for every
// path outside /api/.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, e *pollstack.Error, status int) {
	data := errorPage{Heading: errorHeadings[status], Message: forPage(e).Message}
	if data.Heading == "" {
		data.Heading = "Something went wrong"
	}
	if e.Kind != pollstack.KindNotFound {
		data.PollID = r.PathValue("id")
	}
	if data.PollID != "" {
		data.Access = s.errorAccess(r, data.PollID)
	}
	s.render(w, status, "error", data.Heading, data)
}

// errorAccess is the voter's access to the results of the poll an error
// page is about, or nil when the poll cannot be read (the page then offers
// no results link rather than one that may be refused).
func (s *Server) errorAccess(r *http.Request, id string) *resultsAccess {
	v, err := s.views.get(r.Context(), id)
	if err != nil {
		return nil
	}
	a, err := s.resultsAccess(r, v.Poll)
	if err != nil {
		return nil
	}
	return &a
}

// parseForm reads a form body (of at most maxBody bytes: see bodies), in
// UTF-8 (browsers send the page's charset; anything else is refused rather
// than misread). Only the POST handlers that expect a form call it.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if err := checkMediaType(r, "application/x-www-form-urlencoded"); err == errCharset {
		return err
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return pollstack.Invalid("", "form_unreadable", "The form could not be read.")
	}
	return nil
}

// createForm is the poll creation form, as typed, with the rule it broke.
type createForm struct {
	Question     string
	Description  string
	Options      []string
	Multiple     bool
	Ranked       bool
	MaxRankings  string // as typed; blank: every option
	MinChoices   string // as typed; blank: no limit of its own
	MaxChoices   string
	AllowChanges bool
	ClosesAt     string // a datetime-local value: 2030-01-02T15:04
	TZ           string // the browser's offset from UTC in minutes, filled in by app.js
	Results      string
	Check        string // the duplicate check
	VoterCodes   string // how many codes, as typed
	EmbedOrigins string // the sites that may frame the poll, as typed: spaces, commas or lines between
	Error        *pollstack.Error
	Errors       []*pollstack.Error // every broken rule, when the domain refused the poll (formerrors.go)
	Deleted      bool               // a poll was just deleted
	MaxOptions   int
	Added        bool   // "Add option" was pressed: focus the new row
	RetryAfter   string // refused by the rate limit: app.js sends the form again after so many seconds
}

// echoValidUTF8 replaces invalid UTF-8 in what is shown back in the form,
// after the domain refused it, so that the page itself stays valid.
func (f *createForm) echoValidUTF8() {
	f.Question = strings.ToValidUTF8(f.Question, "\uFFFD")
	f.EmbedOrigins = strings.ToValidUTF8(f.EmbedOrigins, "\uFFFD")
	for i, o := range f.Options {
		f.Options[i] = strings.ToValidUTF8(o, "\uFFFD")
	}
}

// OptionFocus is the option row to focus: the new one after "Add option",
// the first after an error about the options, none (-1) otherwise.
func (f createForm) OptionFocus() int {
	switch {
	case f.Added:
		return len(f.Options) - 1
	case f.FieldError("options") != "":
		return 0
	}
	return -1
}

// MaxDescriptionLen is the domain's limit, for the form's hint.
func (f createForm) MaxDescriptionLen() int { return pollstack.MaxDescriptionLen }

// Visibilities lists the choices of results visibility, in the domain's order.
func (f createForm) Visibilities() []pollstack.Visibility { return pollstack.Visibilities }

// Checks lists the duplicate checks, in the domain's order.
func (f createForm) Checks() []pollstack.DuplicateCheck { return pollstack.DuplicateChecks }

// MaxVoterCodes is the domain's limit, for the form.
func (f createForm) MaxVoterCodes() int { return pollstack.MaxVoterCodes }

// CheckOrDefault is the duplicate check to tick.
func (f createForm) CheckOrDefault() string {
	if f.Check == "" {
		return string(pollstack.CheckBrowser)
	}
	return f.Check
}

// FieldError is the message for one field, when the error is about it.
func (f createForm) FieldError(field string) string {
	for _, e := range append(f.Errors, f.Error) {
		if e != nil && e.Field == field {
			return e.Message
		}
	}
	return ""
}

// FormError is the message of an error that names no field of the form.
func (f createForm) FormError() string {
	if f.Error == nil {
		return ""
	}
	switch f.Error.Field {
	case "question", "description", "options", "min_choices", "max_choices", "max_rankings", "allow_changes", "closes_at", "results", "duplicate_check", "voter_codes", "embed_origins":
		return ""
	}
	return f.Error.Message
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	f := createForm{Options: make([]string, blankOptionRows), Results: string(pollstack.ResultsAlways),
		Deleted: r.URL.Query().Has("deleted"), MaxOptions: pollstack.MaxOptions}
	s.render(w, http.StatusOK, "home", "Create a poll", f)
}

// createPollPage handles the creation form. "Add option" re-renders the
// form with one more row, keeping what was typed; "Create" makes the poll
// through the API's createPoll, or shows the broken rule next to its field.
//
// The admin token (and a code poll's voter codes) go to the next page in a
// cookie that lives ten minutes, is HttpOnly, SameSite=Strict and scoped to
// that page's path (keepForPage): they never appear in a URL the browser
// keeps in its history, and the created page deletes it once shown.
// (Rendering on the POST response itself would show them too, but a reload
// would then ask to post the form again.)
func (s *Server) createPollPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := createForm{
		Question:     r.PostFormValue("question"),
		Description:  r.PostFormValue("description"),
		Options:      r.PostForm["option"],
		Multiple:     r.PostFormValue("choice") == "multiple",
		Ranked:       r.PostFormValue("choice") == "ranked",
		MaxRankings:  strings.TrimSpace(r.PostFormValue("max_rankings")),
		MinChoices:   strings.TrimSpace(r.PostFormValue("min_choices")),
		MaxChoices:   strings.TrimSpace(r.PostFormValue("max_choices")),
		ClosesAt:     strings.TrimSpace(r.PostFormValue("closes_at")),
		TZ:           r.PostFormValue("tz"),
		Results:      r.PostFormValue("results"),
		AllowChanges: r.PostFormValue("allow_changes") == "yes",
		Check:        r.PostFormValue("duplicate_check"),
		VoterCodes:   strings.TrimSpace(r.PostFormValue("voter_codes")),
		EmbedOrigins: r.PostFormValue("embed_origins"),
		MaxOptions:   pollstack.MaxOptions,
	}
	if r.PostForm.Has("add_option") {
		if len(f.Options) < pollstack.MaxOptions {
			f.Options, f.Added = append(f.Options, ""), true
		}
		s.render(w, http.StatusOK, "home", "Create a poll", f)
		return
	}
	req := createPollRequest{Question: f.Question, Description: f.Description, Multiple: f.Multiple, Results: f.Results, AllowChanges: f.AllowChanges,
		MinChoices: choiceLimit(f.MinChoices), MaxChoices: choiceLimit(f.MaxChoices), DuplicateCheck: f.Check,
		EmbedOrigins: typedOrigins(f.EmbedOrigins)}
	if f.Ranked { // the choice limits are for "several options"; a ranked poll has its own
		req.Kind, req.MaxRankings, req.MinChoices, req.MaxChoices = string(pollstack.PollRanked), choiceLimit(f.MaxRankings), 0, 0
	}
	if f.Check == string(pollstack.CheckCode) { // the count is typed only for codes; other checks ignore the box
		req.VoterCodes = choiceLimit(f.VoterCodes)
	}
	for _, o := range f.Options {
		if strings.TrimSpace(o) != "" { // a blank row is not an option
			req.Options = append(req.Options, o)
		}
	}
	var typed *pollstack.Error // a closing time that is no date and time
	if f.ClosesAt != "" {
		if closes, ok := closingTime(f.ClosesAt, f.TZ); ok {
			req.ClosesAt = &closes
		} else {
			typed = pollstack.Invalid("closes_at", "closes_at_invalid", "Write the closing time as a date and a time, such as 2030-01-02 15:04.")
		}
	}
	var p *pollstack.Poll
	var secrets pollstack.Secrets
	var err error
	if typed != nil {
		err = typed
	} else {
		p, secrets, err = s.createPoll(r, req)
	}
	if err != nil {
		s.formError(w, r, err, func(e *pollstack.Error, status int) {
			f.Error = e
			if e.Kind == pollstack.KindInvalid {
				f.Errors = allFormErrors(req, s.now())
				if typed != nil { // the form's last field
					f.Errors = append(f.Errors, typed)
				}
			}
			f.echoValidUTF8()
			for len(f.Options) < pollstack.MinOptions {
				f.Options = append(f.Options, "")
			}
			f.RetryAfter = w.Header().Get("Retry-After")
			s.render(w, status, "home", "Create a poll", f)
		})
		return
	}
	s.keepForPage(w, r, createdPath(p.ID), shownOnce{Token: secrets.AdminToken, Codes: secrets.Codes})
	s.rememberPoll(w, r, p.ID, secrets.AdminToken)
	http.Redirect(w, r, createdPath(p.ID), http.StatusSeeOther)
}

// choiceLimit reads a typed choice limit: blank is no limit of its own (0);
// anything but a whole number is -1, which the domain refuses in its own words.
func choiceLimit(typed string) int {
	if typed == "" {
		return 0
	}
	n, err := strconv.Atoi(typed)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// formError shows a broken rule in the form (rerender), and so a refusal by
// a rate limit, which keeps what was chosen or typed (with Retry-After, which
// app.js waits for before it sends the form again); any other error as its
// own page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, rerender func(e *pollstack.Error, status int)) {
	e, status := publicError(err)
	switch {
	case status == http.StatusBadRequest && e.Kind == pollstack.KindInvalid:
		rerender(e, status)
	case e.Kind == kindRateLimited && setRetryAfter(w, err):
		rerender(e, status)
	default:
		s.writeError(w, r, err)
	}
}

// closingTime turns a datetime-local value (or, from a browser without a
// date picker, the same typed with a space) and the browser's offset
// (minutes east of UTC; UTC without JavaScript) into the API's RFC 3339
// form; false when it is no date and time.
func closingTime(local, tz string) (string, bool) {
	offset, err := strconv.Atoi(tz)
	if err != nil || offset < -14*60 || offset > 14*60 {
		offset = 0
	}
	zone := time.FixedZone("", offset*60)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, local, zone); err == nil {
			return t.Format(time.RFC3339), true
		}
	}
	return "", false
}

func createdPath(id string) string { return "/p/" + id + "/created" }

// createdPage shows the creator the share link, its QR code and, once, the
// admin link.
func (s *Server) createdPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := struct {
		Poll     *pollstack.Poll
		Share    share
		Access   resultsAccess
		AdminURL string     // empty once shown, unless this browser keeps it
		Kept     bool       // the admin link comes from this browser's creator cookie
		Codes    *codesView // a code poll's first codes; nil once shown
	}{Poll: v.Poll}
	if data.Share, err = s.share(r, v.Poll); err == nil {
		data.Access, err = s.resultsAccess(r, v.Poll)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if secrets, ok := s.takeForPage(w, r, createdPath(v.Poll.ID), v.Poll); ok {
		data.AdminURL, data.Codes = s.adminURL(r, v.Poll.ID, secrets.Token), newCodesView(v.Poll, secrets)
	}
	if token := s.ownerToken(r, v.Poll.ID); data.AdminURL == "" && pollstack.TokenMatches(token, v.Poll.AdminTokenHash) {
		data.AdminURL, data.Kept = s.adminURL(r, v.Poll.ID, token), true
	}
	s.render(w, http.StatusOK, "created", "Your poll is ready", data)
}

// adminURL is the admin link of a poll. The token is in the fragment,
// which a browser never sends: no server, proxy, load balancer or WAF log
// can record it. The admin page asks for the token in a form, which its
// script fills in from the fragment and posts.
func (s *Server) adminURL(r *http.Request, id, token string) string {
	return s.absURL(r, "/p/"+id+"/admin") + "#" + token
}

// absURL is path on the site's public address (--public-url). Without one
// the request's own host is used only when it is a loopback name or
// address, which no one else can point at; otherwise the link stays
// relative: a Host header never decides where a link sends people.
func (s *Server) absURL(r *http.Request, path string) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL + path
	}
	if !loopbackHost(r.Host) {
		return path
	}
	scheme := "http"
	if s.isTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// loopbackHost reports whether a Host header names this machine only.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && addr.IsLoopback()
}

// pollPage shows the question and the vote form.
func (s *Server) pollPage(w http.ResponseWriter, r *http.Request) {
	if v, ok := s.meetingOf(r); ok {
		s.meetingPage(w, r, v, http.StatusOK, nil)
		return
	}
	s.showPoll(w, r, http.StatusOK, nil, nil)
}

// pollView is the data of the poll page.
type pollView struct {
	Poll      *pollstack.Poll
	Closed    bool
	Voted     bool               // a ballot is stored under the voter's key
	Yours     bool               // and this browser cast it (else its choice is not shown)
	Mine      []pollstack.Option // the options of the voter's ballot, when Yours
	CanChange bool               // the voter may change it now
	Changed   bool               // the voter just changed it
	Code      string             // the voter code the page came with, for a code poll
	Chosen    map[int]bool       // the boxes to tick: as sent, or the voter's ballot
	Ranks     map[int]string     // a ranked ballot's ranks by option: as sent, or the voter's ballot
	Error     *pollstack.Error
	Access    resultsAccess
	Share     share
	// RetryAfter: the ballot was refused by the rate limit; app.js sends it
	// again after so many seconds.
	RetryAfter string
	Confirm    string     // the vote just made, confirmed once (standing.go)
	CodeUsed   bool       // a code vote was just made: its code cannot vote again
	ClosedOn   *time.Time // when it closed; nil while open
	DeletesAt  *time.Time // when the retention job deletes the poll; nil: never
	Extends    bool       // a vote before DeletesAt moves it later (the poll has no end yet)
}

// BallotError is the error about the ballot itself, shown above the options.
func (v pollView) BallotError() *pollstack.Error {
	if v.Error != nil && v.Error.Field != "code" {
		return v.Error
	}
	return nil
}

// CodeError is the error about the voter code, shown next to its field.
func (v pollView) CodeError() string {
	if v.Error != nil && v.Error.Field == "code" {
		return v.Error.Message
	}
	return ""
}

func (s *Server) showPoll(w http.ResponseWriter, r *http.Request, status int, chosen []int, formErr *pollstack.Error) {
	s.showPollWith(w, r, status, chosen, formErr, nil)
}

// showPollWith is showPoll, with edit (when set) changing the page's data
// before it is drawn.
func (s *Server) showPollWith(w http.ResponseWriter, r *http.Request, status int, chosen []int, formErr *pollstack.Error, edit func(*pollView)) {
	id := r.PathValue("id")
	v, err := s.views.get(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The code comes only in a posted form: a link carries it in its
	// fragment, which app.js copies into the form (see codes.go).
	code := r.PostForm.Get("code")
	b, err := s.ballotOf(w, r, v.Poll, code)
	if err != nil && !errors.Is(err, pollstack.ErrInvalidCode) {
		s.writeError(w, r, err)
		return
	}
	mine := b.Mine
	data := pollView{Poll: v.Poll, Closed: v.Poll.Closed(s.now()), Voted: b.Voted, Yours: mine != nil, CanChange: mine != nil && s.canChange(v.Poll), Code: code,
		Changed: r.URL.Query().Has("changed"),
		Chosen:  map[int]bool{}, Error: formErr, Access: accessOf(v.Poll, v.Poll.ResultsVisible(s.now(), b.Voted))}
	if s.cfg.Retention > 0 {
		at := v.Poll.DeletesAt(v.Results.LastVote, s.cfg.Retention)
		data.DeletesAt, data.Extends = &at, v.Poll.ClosedAt == nil && v.Poll.ClosesAt == nil
	}
	for _, o := range v.Poll.Options {
		if slices.Contains(mine, o.ID) {
			data.Mine = append(data.Mine, o)
		}
	}
	if chosen == nil {
		chosen = mine
	}
	for _, c := range chosen {
		data.Chosen[c] = true
	}
	if v.Poll.Ranked {
		data.Mine, data.Ranks = inRankOrder(v.Poll, mine), typedRanks(chosen)
	}
	if edit != nil {
		edit(&data)
	}
	if data.Share, err = s.share(r, v.Poll); err != nil {
		s.writeError(w, r, err)
		return
	}
	data.RetryAfter = w.Header().Get("Retry-After")
	data.ClosedOn = closedOn(v.Poll, s.now())
	if done := s.confirmation(w, r, v.Poll.ID); done != "" && formErr == nil {
		data.Confirm, data.CodeUsed = confirmations[done], done == "code"
	}
	s.renderPoll(w, r, status, data)
}

// votePage takes a ballot through the API's vote, then shows the results
// (or the poll, if its results are not visible yet).
func (s *Server) votePage(w http.ResponseWriter, r *http.Request) {
	s.ballotPage(w, r, false, func(id string) string {
		if v, err := s.views.get(r.Context(), id); err == nil && !v.Poll.ResultsVisible(s.now(), true) {
			return "/p/" + id
		}
		return "/p/" + id + "/results"
	})
}

// changePage replaces the voter's ballot, then shows the poll page with
// the new choices.
func (s *Server) changePage(w http.ResponseWriter, r *http.Request) {
	s.ballotPage(w, r, true, func(id string) string { return "/p/" + id + "?changed" })
}

// ballotPage reads a ballot form and stores it, or shows the broken rule on
// the poll page.
func (s *Server) ballotPage(w http.ResponseWriter, r *http.Request, change bool, next func(id string) string) {
	if err := parseForm(w, r); err != nil {
		if !change {
			s.countVote(err)
		}
		s.writeError(w, r, err)
		return
	}
	if v, ok := s.meetingOf(r); ok {
		s.meetingBallotPage(w, r, v, change)
		return
	}
	id := r.PathValue("id")
	chosen, typed, err := s.postedBallot(r, id)
	if err != nil {
		if !change {
			s.countVote(err)
		}
		s.showPollWith(w, r, http.StatusBadRequest, nil, pollstack.ErrorOf(err), func(d *pollView) { d.Ranks = typed })
		return
	}
	err = s.vote(w, r, id, chosen, r.PostFormValue("code"), change)
	if err == nil && !change { // the next page reads the same view: it is loaded once
		if v, err := s.views.get(r.Context(), id); err == nil {
			s.confirm(w, r, id, doneKind(v.Poll))
		}
	}
	if err != nil {
		if e, status := publicError(err); e.Field == "code" { // missing, unknown or used: say so next to the field
			s.showPoll(w, r, status, chosen, e)
			return
		}
		s.formError(w, r, err, func(e *pollstack.Error, status int) { s.showPoll(w, r, status, chosen, e) })
		return
	}
	http.Redirect(w, r, next(id), http.StatusSeeOther)
}

// postedBallot is the ballot a form posted: the options it ticked or, for
// a ranked poll, the ranking its rank selects give, with the ranks as typed
// to show again beside a broken rule. The poll page and the embedded frame
// read their forms with it.
func (s *Server) postedBallot(r *http.Request, id string) (chosen []int, typed map[int]string, err error) {
	if v, err := s.views.get(r.Context(), id); err == nil && v.Poll.Ranked {
		typed, chosen, err := rankingOf(v.Poll, r)
		return chosen, typed, err
	}
	chosen = []int{}
	for _, raw := range r.PostForm["option"] {
		n, _ := strconv.Atoi(raw) // not a number: option 0, which the domain rejects with its own words
		chosen = append(chosen, n)
	}
	return chosen, nil, nil
}

// resultRow is one option's line on the results page: the API's line and
// its percentage.
type resultRow struct {
	resultOptionJSON
	Percent int
	Yours   bool // one of the voter's own choices (standing.go)
}

// resultsPage shows the counts, from the API's visibleResults and resultsJSON.
func (s *Server) resultsPage(w http.ResponseWriter, r *http.Request) {
	if v, ok := s.meetingOf(r); ok { // its page is its results
		s.meetingPage(w, r, v, http.StatusOK, nil)
		return
	}
	v, err := s.visibleResults(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := struct {
		Poll *pollstack.Poll
		resultsView
		Share   share
		Confirm string // the vote just made, confirmed once
	}{Poll: v.Poll, resultsView: s.resultsView(v)}
	if data.Share, err = s.share(r, v.Poll); err != nil {
		s.writeError(w, r, err)
		return
	}
	mine, err := s.yourChoices(r, v.Poll)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	markYours(data.Rows, mine)
	data.Confirm = confirmations[s.confirmation(w, r, v.Poll.ID)]
	s.render(w, http.StatusOK, "results", "Results: "+v.Poll.Question, data)
}

// resultsView is the counts as the pages draw them: the API's results with
// each option's percentage.
type resultsView struct {
	Total    int
	Closed   bool
	ClosedOn *time.Time // when it closed; nil while open
	Rows     []resultRow
	Rounds   *roundsTable // a ranked poll's count
}

func (s *Server) resultsView(v view) resultsView {
	res := s.resultsJSON(v)
	out := resultsView{Total: res.Total, Closed: res.Closed, ClosedOn: closedOn(v.Poll, s.now()), Rounds: newRoundsTable(v.Poll, res)}
	for _, o := range res.Options {
		out.Rows = append(out.Rows, resultRow{resultOptionJSON: o, Percent: percent(o.Votes, res.Total)})
	}
	return out
}

// percent is votes as a whole percentage of the ballots; 0 when there are
// none (no invented even split). app.js rounds the same way.
func percent(votes, total int) int {
	if total == 0 {
		return 0
	}
	return int(math.Round(float64(votes) * 100 / float64(total)))
}

// adminView is the data of the admin page and of the delete confirmation:
// the creator sees the counts whatever the poll's visibility.
type adminView struct {
	Poll  *pollstack.Poll
	Token string
	resultsView
	Access resultsAccess // what the public results page shows this browser
	Embed  string        // the <iframe> for other sites; empty: the poll allows none
}

// MaxVoterCodes is the domain's limit on codes added at a time, for the form.
func (adminView) MaxVoterCodes() int { return pollstack.MaxVoterCodes }

// adminPage asks for the admin token: the admin link carries it in its
// fragment, which app.js puts into this form and posts; without JavaScript
// the creator pastes it. A token in the query is never read.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	if token := s.ownerToken(r, r.PathValue("id")); token != "" && s.authorize(r, r.PathValue("id"), token) == nil {
		s.renderAdmin(w, r, "admin", "Manage: ", token)
		return
	}
	s.showAdminLogin(w, r, http.StatusOK, nil)
}

// adminLogin checks the posted token and shows the admin page, or the form
// again with what was wrong.
func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	err := s.authorize(r, r.PathValue("id"), token)
	if e := pollstack.ErrorOf(err); e == pollstack.ErrTokenMissing || e == pollstack.ErrTokenWrong {
		_, status := publicError(err)
		s.showAdminLogin(w, r, status, forPage(e))
		return
	}
	if err == nil {
		s.rememberPoll(w, r, r.PathValue("id"), token)
	}
	s.renderAdmin(w, r, "admin", "Manage: ", token)
}

func (s *Server) showAdminLogin(w http.ResponseWriter, r *http.Request, status int, e *pollstack.Error) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, status, "admin-login", "Manage: "+v.Poll.Question, struct {
		Poll  *pollstack.Poll
		Error *pollstack.Error
	}{v.Poll, e})
}

// renderAdmin shows one of the creator's pages, once the token is checked.
func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, name, title, token string) {
	v, err := s.creatorResults(r, r.PathValue("id"), token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	access, err := s.resultsAccess(r, v.Poll)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, http.StatusOK, name, title+v.Poll.Question, adminView{Poll: v.Poll, Token: token, resultsView: s.resultsView(v), Access: access,
		Embed: s.embedSnippet(r, v.Poll, embedWidth, embedHeight(v.Poll))})
}

// closePage and deletePage are the admin page's forms, through the API's
// closePoll and deletePoll; the token comes in the form body.
func (s *Server) closePage(w http.ResponseWriter, r *http.Request) {
	s.adminAction(w, r, s.closePoll, func(id string) string { return "/p/" + id + "/results" })
}

// deletePage deletes only what was confirmed: the admin page's button leads
// to a page that says what will be lost and asks again, with a form of its
// own, so that the step works without JavaScript.
func (s *Server) deletePage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.renderAdmin(w, r, "delete", "Delete: ", s.adminToken(r))
		return
	}
	s.adminAction(w, r, s.deletePoll, func(string) string { return "/?deleted" })
}

func (s *Server) adminAction(w http.ResponseWriter, r *http.Request, act func(*http.Request, string, string) error, next func(id string) string) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := act(r, id, s.adminToken(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, next(id), http.StatusSeeOther)
}

// errCrossOrigin answers a form post or API call that a browser sent from
// another site.
var errCrossOrigin = &pollstack.Error{Kind: pollstack.KindForbidden, Code: "cross_origin",
	Message: "This request came from another site and was refused. Use the form on this site."}

// crossOrigin refuses non-safe requests that a browser marks as coming from
// another origin (Sec-Fetch-Site, or Origin against Host): every form post
// and API call. Clients that send neither header, like curl, pass.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			s.writeError(w, r, fmt.Errorf("%w: %v", errCrossOrigin, err))
			return
		}
		next.ServeHTTP(w, r)
	})
}
