package web

import (
	"net/http"
	"strconv"

	"github.com/pollstack/pollstack"
)

// Voters' own answers (allow_other) that wait for the creator: the admin
// page and the API list them and approve or reject them. Nothing else ever
// reads a pending answer: the store leaves it out of the poll's options and
// its results.

// errPresentUnmoderated answers present mode for a poll whose voters' new
// answers show at once: nothing unchecked goes onto a room's screen.
var errPresentUnmoderated = &pollstack.Error{Kind: pollstack.KindConflict, Code: "present_needs_approval", Field: "other_approval",
	Message: "Present mode shows the poll to a room, so a poll that takes voters' own answers needs the creator to approve them first (other_approval \"creator\"); this poll shows new answers at once."}

type answerJSON struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
	Votes int    `json:"votes"`
}

type pendingJSON struct {
	Answers []answerJSON `json:"answers"`
}

type reviewRequest struct {
	Decision string `json:"decision"` // approve or reject
}

// apiAnswers lists the answers that wait for approval, to the creator.
func (s *Server) apiAnswers(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pending, err := s.pendingAnswers(r, id, bearerToken(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := pendingJSON{Answers: []answerJSON{}}
	for _, a := range pending {
		out.Answers = append(out.Answers, answerJSON{ID: a.ID, Label: a.Label, Votes: a.Votes})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiReviewAnswer approves or rejects one waiting answer and answers with
// the poll as it now is.
func (s *Server) apiReviewAnswer(w http.ResponseWriter, r *http.Request) {
	var req reviewRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.writePollAfter(w, r, id, s.reviewAnswer(r, id, bearerToken(r), r.PathValue("option"), req.Decision))
}

// reviewAnswerPage is the admin page's approve and reject buttons; it
// shows the admin page again.
func (s *Server) reviewAnswerPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	token := s.adminToken(r)
	if err := s.reviewAnswer(r, r.PathValue("id"), token, r.PostFormValue("option_id"), r.PostFormValue("decision")); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.renderAdmin(w, r, "admin", token)
}

func (s *Server) pendingAnswers(r *http.Request, id, token string) ([]pollstack.StoredOption, error) {
	if err := s.authorize(r, id, token); err != nil {
		return nil, err
	}
	return s.store.PendingAnswers(r.Context(), id)
}

// reviewAnswer checks the token and the decision, then stores it.
func (s *Server) reviewAnswer(r *http.Request, id, token, option, decision string) error {
	if err := s.authorize(r, id, token); err != nil {
		return err
	}
	optionID, err := strconv.Atoi(option)
	if err != nil || optionID < 1 {
		return pollstack.Invalid("option_id", "option_id_invalid", "The answer to review is named by its option ID, a positive whole number.")
	}
	if decision != "approve" && decision != "reject" {
		return pollstack.Invalid("decision", "decision_invalid", "The decision must be approve or reject.")
	}
	if err := s.store.ReviewAnswer(r.Context(), id, optionID, decision == "approve"); err != nil {
		return err
	}
	s.views.invalidate(id)
	s.log.Info("answer reviewed", "request_id", requestID(r.Context()), "poll_id", id, "option_id", optionID, "decision", decision)
	return nil
}
