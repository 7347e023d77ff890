package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// blankOptionRows is how many option rows a new form offers without JavaScript.
const blankOptionRows = 4

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
	AllowOther   string // voters' own answers: "" none, "auto" or "creator" (their approval)
	Public       bool   // ballots_public: anyone may download the ballots once the poll closes
	Verifiable   bool   // each voter gets a receipt
	ClosesAt     string // a datetime-local value: 2030-01-02T15:04
	TZ           string // the browser's offset from UTC in minutes, filled in by app.js
	Results      string
	Check        string // the duplicate check
	VoterCodes   string // how many codes, as typed
	EmbedOrigins string // the sites that may frame the poll, as typed: spaces, commas or lines between
	Kiosk        bool   // a shared device: one vote per submission, the page resets
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
	case "question", "description", "options", "min_choices", "max_choices", "max_rankings", "allow_changes", "closes_at", "results", "duplicate_check", "voter_codes", "embed_origins", "allow_other", "other_approval", "ballots_public", "verifiable", "kiosk":
		return ""
	}
	return f.Error.Message
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	f := createForm{Options: make([]string, blankOptionRows), Results: string(pollstack.ResultsAlways),
		Deleted: r.URL.Query().Has("deleted"), MaxOptions: pollstack.MaxOptions}
	s.render(w, r, http.StatusOK, "home", "", f)
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
		AllowOther:   r.PostFormValue("allow_other"),
		Public:       r.PostFormValue("ballots_public") == "yes",
		Verifiable:   r.PostFormValue("verifiable") == "yes",
		Check:        r.PostFormValue("duplicate_check"),
		VoterCodes:   strings.TrimSpace(r.PostFormValue("voter_codes")),
		EmbedOrigins: r.PostFormValue("embed_origins"),
		Kiosk:        r.PostFormValue("kiosk") == "yes",
		MaxOptions:   pollstack.MaxOptions,
	}
	if r.PostForm.Has("add_option") {
		if len(f.Options) < pollstack.MaxOptions {
			f.Options, f.Added = append(f.Options, ""), true
		}
		s.render(w, r, http.StatusOK, "home", "", f)
		return
	}
	req := createPollRequest{Question: f.Question, Description: f.Description, Multiple: f.Multiple, Results: f.Results, AllowChanges: f.AllowChanges,
		MinChoices: choiceLimit(f.MinChoices), MaxChoices: choiceLimit(f.MaxChoices), DuplicateCheck: f.Check,
		EmbedOrigins: typedOrigins(f.EmbedOrigins), BallotsPublic: f.Public, Verifiable: f.Verifiable, Kiosk: f.Kiosk}
	if f.AllowOther != "" {
		req.AllowOther, req.OtherApproval = true, f.AllowOther
	}
	if f.Kiosk { // the form's kiosk box stands for its duplicate check
		req.DuplicateCheck = string(pollstack.CheckNone)
	}
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
			typed = pollstack.Invalid("closes_at", "closes_at_invalid", "Write the closing time as a date and a time, such as 2030-01-02 15:04.").Keyed("closes_at_invalid.form")
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
				l := s.locale(r)
				for i, e := range f.Errors {
					f.Errors[i] = l.localizeError(e)
				}
			}
			f.echoValidUTF8()
			for len(f.Options) < pollstack.MinOptions {
				f.Options = append(f.Options, "")
			}
			f.RetryAfter = w.Header().Get("Retry-After")
			s.render(w, r, status, "home", "", f)
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
	s.render(w, r, http.StatusOK, "created", data.Poll.Question, data)
}

// adminURL is the admin link of a poll. The token is in the fragment,
// which a browser never sends: no server, proxy, load balancer or WAF log
// can record it. The admin page asks for the token in a form, which its
// script fills in from the fragment and posts.
func (s *Server) adminURL(r *http.Request, id, token string) string {
	return s.absURL(r, "/p/"+id+"/admin") + "#" + token
}
