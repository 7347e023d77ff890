package web

import (
	"errors"
	"net/http"

	"github.com/pollstack/pollstack"
)

// presentRefresh is how often (seconds) present mode reloads while the
// results are hidden, so that a projector shows them once the poll closes,
// with or without JavaScript.
const presentRefresh = 30

// presentView is the data of present mode.
type presentView struct {
	Poll *pollstack.Poll
	resultsView
	Share   share
	Access  resultsAccess
	Refresh int // seconds; 0: no reload
	// Owner: this browser manages the poll (its creator cookie), so the
	// page offers to reveal hidden results; Revealed: it shows them.
	Owner, Revealed bool
}

// presentPage is the poll for a projector: the question, a large QR code
// and short link, and the live bars. A room is everyone, so the bars follow
// the rule for someone who has not voted: an after_vote poll shows them
// once it closes.
//
// The poll's owner may reveal hidden results on the projector (?reveal):
// only with the admin right, which the creator cookie carries (see
// presentReveal for a browser without it); anyone else gets the page as the
// public sees it.
func (s *Server) presentPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err == nil && !v.Poll.Presentable() {
		err = errPresentUnmoderated
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := presentView{Poll: v.Poll, resultsView: s.resultsView(v), Access: accessOf(v.Poll, v.Poll.ResultsVisible(s.now(), false))}
	data.Access.UntilVote = false // the room never votes as one
	if !data.Access.Visible {
		data.Owner = s.ownsPoll(r, v.Poll.ID)
		data.Revealed = data.Owner && r.URL.Query().Has("reveal")
		data.Access.Visible = data.Revealed
	}
	if !data.Access.Visible {
		data.Refresh = presentRefresh
	}
	if data.Share, err = s.share(r, v.Poll); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "present", v.Poll.Question, data)
}

// ownsPoll reports whether the request's creator cookie holds the poll's
// admin token, checked against the store.
func (s *Server) ownsPoll(r *http.Request, id string) bool {
	token := s.ownerToken(r, id)
	return token != "" && s.authorize(r, id, token) == nil
}

// presentReveal is the admin page's "present with the results" form: the
// admin token posted (from the admin link, on a projector's browser that
// did not create the poll) is checked and kept in this browser's creator
// cookie, which present mode and its live stream then read.
func (s *Server) presentReveal(w http.ResponseWriter, r *http.Request) {
	id, token, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	s.rememberPoll(w, r, id, token)
	http.Redirect(w, r, "/p/"+id+"/present?reveal", http.StatusSeeOther)
}

// joinPage takes a room to a poll by its join code: /j/CODE as shown on the
// projector (a trailing slash or full stop forgiven), or the home page's box
// (/j?code=). An unknown code is a 404 that says so.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	typed := r.PathValue("code")
	if typed == "" {
		typed = r.URL.Query().Get("code")
	}
	code, ok := pollstack.NormalizeJoinCode(typed)
	var id string
	var err error = errJoinCodeUnknown
	if ok {
		id, err = s.store.PollIDByJoinCode(r.Context(), code)
	}
	if errors.Is(err, pollstack.ErrPollNotFound) {
		err = errJoinCodeUnknown
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, "/p/"+id, http.StatusSeeOther)
}

var errJoinCodeUnknown = &pollstack.Error{Kind: pollstack.KindNotFound, Code: "join_code_unknown", Field: "code",
	Message: "No poll has that code. Check the six characters shown on the screen (letters and digits, any case)."}
