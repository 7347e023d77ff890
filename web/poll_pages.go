package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pollstack/pollstack"
)

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
	Other     string             // the voter's own answer as sent
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
	Receipt    string     // a verifiable poll's receipt, shown once after the vote
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
		Other:   r.PostForm.Get("other"),
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
	if data.Receipt == "" {
		data.Receipt = s.takeReceipt(w, r, v.Poll.ID)
	}
	if done := s.confirmation(w, r, v.Poll.ID); done != "" && formErr == nil {
		data.Confirm, data.CodeUsed = s.locale(r).t("confirm."+done), done == "code"
	}
	if v.Poll.Kiosk && data.Confirm != "" {
		// A shared device: thanks over an empty ballot (a kiosk poll's check
		// is none, so no ballot is this browser's), for the next person.
		data.Confirm = s.locale(r).t("confirm.kiosk")
	}
	s.renderPoll(w, r, status, data)
}

// votePage takes a ballot through the API's vote, then shows the results
// (or the poll, if its results are not visible yet).
func (s *Server) votePage(w http.ResponseWriter, r *http.Request) {
	s.ballotPage(w, r, false, func(id string) string {
		if v, err := s.views.get(r.Context(), id); err == nil && (v.Poll.Kiosk || !v.Poll.ResultsVisible(s.now(), true)) {
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
	receipt, err := s.vote(w, r, id, chosen, r.PostFormValue("other"), r.PostFormValue("code"), change)
	if receipt != "" {
		s.keepReceipt(w, r, id, receipt)
	}
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
		if raw == "other" { // the radio button of the voter's own answer, which comes as "other"
			continue
		}
		n, _ := strconv.Atoi(raw) // not a number: option 0, which the domain rejects with its own words
		chosen = append(chosen, n)
	}
	return chosen, nil, nil
}
