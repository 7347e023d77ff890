package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/pollstack/pollstack"
)

// Meeting polls through the API: slots in the create request, answers and
// a name in the votes resource, totals (and participants, unless the
// creator hides names) in the results, the creator's decision, and the
// decided slot as a calendar file (ics.go).

// slotRequest is one slot of a meeting poll: start and end (RFC 3339 with
// the creator's offset), or an all-day date (YYYY-MM-DD).
type slotRequest struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Date  string `json:"date"`
}

func slotDrafts(in []slotRequest) []pollstack.SlotDraft {
	var out []pollstack.SlotDraft
	for _, s := range in {
		out = append(out, pollstack.SlotDraft{Start: s.Start, End: s.End, Date: s.Date})
	}
	return out
}

// slotJSON is a slot as the API shows it: the date, or start and end in the
// creator's offset.
type slotJSON struct {
	ID    int    `json:"id"`
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	Date  string `json:"date,omitempty"`
}

func newSlotJSON(id int, s pollstack.Slot) slotJSON {
	if s.AllDay() {
		return slotJSON{ID: id, Date: s.Date}
	}
	return slotJSON{ID: id, Start: s.Start.Format(time.RFC3339), End: s.End.Format(time.RFC3339)}
}

func slotsJSON(p *pollstack.Poll) []slotJSON {
	var out []slotJSON
	for i, s := range p.Slots() {
		out = append(out, newSlotJSON(i+1, s))
	}
	return out
}

// meetingBallot reads a vote request against its poll: a meeting poll takes
// a name and answers (and no option_ids), the other kinds neither.
func meetingBallot(p *pollstack.Poll, req voteRequest) (name string, ids []int, err error) {
	if !p.Meeting {
		switch {
		case req.Answers != nil:
			return "", nil, pollstack.Invalid("answers", "answers_not_meeting", "answers are for meeting polls; this poll takes option_ids.")
		case req.Name != "":
			return "", nil, pollstack.Invalid("name", "name_not_meeting", "name is for meeting polls; this poll's ballots are anonymous.")
		}
		return "", req.OptionIDs, nil
	}
	if req.OptionIDs != nil {
		return "", nil, pollstack.Invalid("option_ids", "option_ids_meeting", "A meeting poll takes answers per slot, not option_ids.")
	}
	if name, err = pollstack.CleanName(req.Name); err != nil {
		return "", nil, err
	}
	answers := make(map[int]pollstack.Answer, len(req.Answers))
	for key, a := range req.Answers {
		id, err := strconv.Atoi(key)
		if err != nil || strconv.Itoa(id) != key {
			return "", nil, pollstack.Invalid("answers", "slot_unknown", "Answers are keyed by slot ID; %q is not one.", key).Keyed("slot_unknown.key")
		}
		answers[id] = pollstack.Answer(a)
	}
	ids, err = p.EncodeAnswers(answers)
	return name, ids, err
}

// answersJSON is a meeting ballot's answer per slot, keyed by slot ID.
func answersJSON(p *pollstack.Poll, ids []int) map[string]string {
	out := make(map[string]string, len(p.Options))
	for id, a := range p.DecodeAnswers(ids) {
		out[strconv.Itoa(id)] = string(a)
	}
	return out
}

// meetingResultsJSON is what results add for a meeting poll.
type meetingResultsJSON struct {
	Slots []slotTotalJSON `json:"slots,omitempty"` // in option order
	Best  []int           `json:"best,omitempty"`  // slot IDs, best first
	// Participants, in the order they answered; absent when names are hidden.
	Participants *[]participantJSON `json:"participants,omitempty"`
	HideNames    bool               `json:"hide_names,omitempty"`
	Decided      int                `json:"decided,omitempty"` // the slot the creator picked
}

type slotTotalJSON struct {
	slotJSON
	Yes      int `json:"yes"`
	IfNeedBe int `json:"if_need_be"`
}

type participantJSON struct {
	Name    string            `json:"name"`
	Answers map[string]string `json:"answers"`
}

func (out *meetingResultsJSON) add(v view) {
	totals := v.Poll.SlotTotals(v.Results)
	for _, t := range totals {
		out.Slots = append(out.Slots, slotTotalJSON{slotJSON: newSlotJSON(t.OptionID, t.Slot), Yes: t.Yes, IfNeedBe: t.IfNeedBe})
	}
	for _, t := range pollstack.BestSlots(totals) {
		out.Best = append(out.Best, t.OptionID)
	}
	out.HideNames, out.Decided = v.Poll.HideNames, v.Poll.Decided
	if v.Poll.HideNames {
		return
	}
	participants := []participantJSON{}
	for _, b := range v.Participants {
		participants = append(participants, participantJSON{Name: b.Name, Answers: answersJSON(v.Poll, b.OptionIDs)})
	}
	out.Participants = &participants
}

// withParticipants adds a meeting poll's ballots to its view, unless the
// poll hides names: then they are never read, so never shown.
func (s *Server) withParticipants(ctx context.Context, v view) (view, error) {
	if !v.Poll.Meeting || v.Poll.HideNames {
		return v, nil
	}
	err := s.store.Ballots(ctx, v.Poll.ID, func(b pollstack.CastBallot) error {
		v.Participants = append(v.Participants, b)
		return nil
	})
	return v, err
}

// decisionRequest is the body of POST /api/v1/polls/{id}/decision.
type decisionRequest struct {
	OptionID int `json:"option_id"`
}

// apiDecide records the creator's pick of a meeting poll's slot, which
// closes the poll.
func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request) {
	var req decisionRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	s.writePollAfter(w, r, id, s.decide(r, id, bearerToken(r), req.OptionID))
}

// decide checks the admin token and the slot, then records the decision;
// the admin page uses it too.
func (s *Server) decide(r *http.Request, id, token string, optionID int) error {
	if err := s.authorize(r, id, token); err != nil {
		return err
	}
	p, err := s.store.Poll(r.Context(), id)
	if err != nil {
		return err
	}
	if err := p.CheckDecision(optionID); err != nil {
		return err
	}
	if err := s.store.Decide(r.Context(), id, optionID, s.now()); err != nil {
		return err
	}
	s.views.invalidate(id)
	s.log.Info("meeting decided", "request_id", requestID(r.Context()), "poll_id", id, "option_id", optionID)
	return nil
}

// decidePage is the admin page's form for the decision, through decide;
// the token and the slot come in the form body.
func (s *Server) decidePage(w http.ResponseWriter, r *http.Request) {
	decide := func(r *http.Request, id, token string) error {
		optionID, err := strconv.Atoi(r.PostFormValue("option_id"))
		if err != nil {
			return pollstack.Invalid("option_id", "slot_required", "Pick one of the slots.")
		}
		return s.decide(r, id, token, optionID)
	}
	s.adminAction(w, r, decide, func(id string) string { return "/p/" + id + "/results" })
}
