package web

import (
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
}

// presentPage is the poll for a projector: the question, a large QR code
// and short link, and the live bars. A room is everyone, so the bars follow
// the rule for someone who has not voted: an after_vote poll shows them
// once it closes.
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
		data.Refresh = presentRefresh
	}
	if data.Share, err = s.share(r, v.Poll); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "present", v.Poll.Question, data)
}
