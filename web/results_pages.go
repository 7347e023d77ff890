package web

import (
	"math"
	"net/http"
	"time"

	"github.com/pollstack/pollstack"
)

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
		Receipt string // a verifiable poll's receipt, shown once after the vote
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
	if done := s.confirmation(w, r, v.Poll.ID); done != "" {
		data.Confirm = s.locale(r).t("confirm." + done)
	}
	data.Receipt = s.takeReceipt(w, r, v.Poll.ID)
	s.render(w, r, http.StatusOK, "results", v.Poll.Question, data)
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
