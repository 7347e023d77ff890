package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// The pages of a meeting poll, without JavaScript: a create form with rows
// of a date and optional times, and the poll page with the slots best
// first, everyone's answers, and an answer form per slot. Times are drawn
// in UTC with the zone named; app.js rewrites them to the viewer's zone.

const blankSlotRows = 5

// meetingForm is the data of the meeting create form.
type meetingForm struct {
	Question, Description string
	TZ                    string // the IANA zone the times are in
	Rows                  []slotRow
	HideNames             bool
	Error                 *pollstack.Error
	ErrorRow              int // the row the error is about; -1: none
}

// slotRow is one row of the form: a date and optional start and end times.
type slotRow struct{ Date, Start, End string }

// FieldError is the message for a field of the form other than the rows.
func (f meetingForm) FieldError(field string) string {
	if f.Error != nil && f.Error.Field == field {
		return f.Error.Message
	}
	return ""
}

// RowError is the message for row i.
func (f meetingForm) RowError(i int) string {
	if f.Error != nil && f.ErrorRow == i {
		return f.Error.Message
	}
	return ""
}

// FormError is the message of an error that belongs to no field drawn.
func (f meetingForm) FormError() string {
	if f.Error == nil || f.ErrorRow >= 0 {
		return ""
	}
	switch f.Error.Field {
	case "question", "description", "tz":
		return ""
	}
	return f.Error.Message
}

// MaxSlots is the domain's limit, for the form.
func (meetingForm) MaxSlots() int { return pollstack.MaxSlots }

func (s *Server) meetingNewPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "meeting-new", "", meetingForm{TZ: "UTC", Rows: make([]slotRow, blankSlotRows), ErrorRow: -1})
}

// meetingCreatePage creates a meeting poll through the API's createPoll,
// or shows the form again with the broken rule; "Add a row" adds a row.
func (s *Server) meetingCreatePage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := meetingForm{Question: r.PostFormValue("question"), Description: r.PostFormValue("description"),
		TZ: strings.TrimSpace(r.PostFormValue("tz")), HideNames: r.PostFormValue("hide_names") == "yes", ErrorRow: -1}
	dates, starts, ends := r.PostForm["date"], r.PostForm["start"], r.PostForm["end"]
	for i := range dates {
		f.Rows = append(f.Rows, slotRow{Date: strings.TrimSpace(dates[i]), Start: strings.TrimSpace(at(starts, i)), End: strings.TrimSpace(at(ends, i))})
	}
	if r.PostForm.Has("add_slot") {
		if len(f.Rows) < pollstack.MaxSlots {
			f.Rows = append(f.Rows, slotRow{})
		}
		s.render(w, r, http.StatusOK, "meeting-new", "", f)
		return
	}
	req := createPollRequest{Question: f.Question, Description: f.Description, Kind: string(pollstack.PollMeeting), HideNames: f.HideNames}
	var rowOf []int // the form row of each slot: blank rows are skipped
	slots, err := f.slots(&rowOf)
	req.Slots = slots
	var p *pollstack.Poll
	var secrets pollstack.Secrets
	if err == nil {
		p, secrets, err = s.createPoll(r, req)
	}
	if err != nil {
		s.formError(w, r, err, func(e *pollstack.Error, status int) {
			f.Error = e
			var i int
			if n, _ := fmt.Sscanf(e.Field, "slots[%d]", &i); n == 1 && i < len(rowOf) {
				f.ErrorRow = rowOf[i]
			}
			s.render(w, r, http.StatusBadRequest, "meeting-new", "", f)
		})
		return
	}
	s.keepForPage(w, r, createdPath(p.ID), shownOnce{Token: secrets.AdminToken, Codes: secrets.Codes})
	http.Redirect(w, r, createdPath(p.ID), http.StatusSeeOther)
}

func at(values []string, i int) string {
	if i < len(values) {
		return values[i]
	}
	return ""
}

// slots turns the form's rows into the API's slots: a date alone is an
// all-day date; with times, the start and end on that date in the form's
// zone, with the offset that zone has then (summer time included).
func (f meetingForm) slots(rowOf *[]int) ([]slotRequest, error) {
	loc, err := time.LoadLocation(f.TZ)
	if err != nil || f.TZ == "" || strings.EqualFold(f.TZ, "local") {
		return nil, pollstack.Invalid("tz", "tz_invalid", "The time zone must be a name such as UTC, Europe/Berlin or America/New_York.")
	}
	var out []slotRequest
	for i, row := range f.Rows {
		if row.Date == "" && row.Start == "" && row.End == "" {
			continue
		}
		*rowOf = append(*rowOf, i)
		field := fmt.Sprintf("slots[%d].start", len(out))
		switch {
		case row.Start == "" && row.End == "":
			out = append(out, slotRequest{Date: row.Date})
			continue
		case row.Start == "" || row.End == "":
			return nil, pollstack.Invalid(field, "slot_times_both", "Row %d: give both a start and an end time, or neither for a whole day.", i+1)
		}
		start, err1 := time.ParseInLocation("2006-01-02 15:04", row.Date+" "+row.Start, loc)
		end, err2 := time.ParseInLocation("2006-01-02 15:04", row.Date+" "+row.End, loc)
		if err1 != nil || err2 != nil {
			return nil, pollstack.Invalid(field, "slot_time_invalid", "Row %d: the date must be YYYY-MM-DD and the times HH:MM.", i+1)
		}
		out = append(out, slotRequest{Start: start.Format(time.RFC3339), End: end.Format(time.RFC3339)})
	}
	return out, nil
}

// meetingView is the data of a meeting poll's page.
type meetingView struct {
	Poll       *pollstack.Poll
	Closed     bool
	Decided    *meetingSlot // the creator's pick
	ShowGrid   bool         // results are visible to this viewer
	Slots      []meetingSlot
	Best       []meetingSlot // the same, best first
	Names      []string      // the participants, in the order they answered; none when hidden
	Voted      bool
	CanChange  bool
	Changed    bool
	Code       string
	Name       string
	Mine       map[int]pollstack.Answer // the answers to select: as sent, or the voter's ballot
	Error      *pollstack.Error
	Access     resultsAccess
	Share      share
	AnswerList []pollstack.Answer
}

// meetingSlot is one slot as the page draws it, with its totals and each
// participant's answer (in the order of meetingView.Names).
type meetingSlot struct {
	ID            int
	Slot          pollstack.Slot
	Yes, IfNeedBe int
	Answers       []pollstack.Answer
	Top           bool // among the best (most yes, then most if need be)
}

// UTCStart and UTCEnd are a time slot's start and end in UTC, for the
// "time" template.
func (m meetingSlot) UTCStart() time.Time { return m.Slot.Start.UTC() }
func (m meetingSlot) UTCEnd() time.Time   { return m.Slot.End.UTC() }

// FieldError is the message for a field of the answer form.
func (v meetingView) FieldError(field string) string {
	if v.Error != nil && v.Error.Field == field {
		return v.Error.Message
	}
	return ""
}

// OtherError is an error about no field the form draws.
func (v meetingView) OtherError() string {
	if v.Error == nil || v.Error.Field == "name" || v.Error.Field == "code" {
		return ""
	}
	return v.Error.Message
}

// meetingPage shows a meeting poll: the decision, the grid and the form.
func (s *Server) meetingPage(w http.ResponseWriter, r *http.Request, v view, status int, sent *meetingView) {
	// The code comes only in a posted form: a link carries it in its
	// fragment, which app.js copies into the form (see codes.go).
	code := r.PostForm.Get("code")
	b, err := s.ballotOf(w, r, v.Poll, code)
	if err != nil && !errors.Is(err, pollstack.ErrInvalidCode) {
		s.writeError(w, r, err)
		return
	}
	voted, yours, now := b.Voted, b.Mine != nil, s.now()
	data := meetingView{Poll: v.Poll, Closed: v.Poll.Closed(now), Voted: voted, CanChange: yours && s.canChange(v.Poll),
		Changed: r.URL.Query().Has("changed"), Code: code, Mine: v.Poll.DecodeAnswers(b.Mine),
		ShowGrid: v.Poll.ResultsVisible(now, voted), Access: accessOf(v.Poll, v.Poll.ResultsVisible(now, voted)), AnswerList: pollstack.Answers}
	if yours {
		if data.Name, err = s.myName(r, v.Poll, code); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if sent != nil {
		data.Name, data.Mine, data.Error = sent.Name, sent.Mine, sent.Error
	}
	totals := v.Poll.SlotTotals(v.Results)
	for _, b := range v.Participants {
		data.Names = append(data.Names, b.Name)
	}
	bySlot := make(map[int]*meetingSlot, len(totals))
	for _, t := range totals {
		data.Slots = append(data.Slots, meetingSlot{ID: t.OptionID, Slot: t.Slot, Yes: t.Yes, IfNeedBe: t.IfNeedBe})
	}
	for i := range data.Slots {
		bySlot[data.Slots[i].ID] = &data.Slots[i]
	}
	for _, b := range v.Participants {
		for id, a := range v.Poll.DecodeAnswers(b.OptionIDs) {
			bySlot[id].Answers = append(bySlot[id].Answers, a)
		}
	}
	best := pollstack.BestSlots(totals)
	for _, t := range best {
		m := *bySlot[t.OptionID]
		m.Top = (t.Yes > 0 || t.IfNeedBe > 0) && t.Yes == best[0].Yes && t.IfNeedBe == best[0].IfNeedBe
		data.Best = append(data.Best, m)
	}
	if v.Poll.Decided > 0 {
		data.Decided = bySlot[v.Poll.Decided]
	}
	if data.Share, err = s.share(r, v.Poll); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, status, "meeting", v.Poll.Question, data)
}

// meetingBallotPage takes the answer form through the API's cast, or shows
// the page again with what was wrong and what was sent.
func (s *Server) meetingBallotPage(w http.ResponseWriter, r *http.Request, v view, change bool) {
	req := voteRequest{Name: r.PostFormValue("name"), Code: r.PostFormValue("code"), Answers: map[string]string{}}
	sent := &meetingView{Name: req.Name, Mine: map[int]pollstack.Answer{}}
	for _, o := range v.Poll.Options {
		key := strconv.Itoa(o.ID)
		a := r.PostFormValue("slot-" + key)
		if a == "" {
			a = string(pollstack.AnswerNo)
		}
		req.Answers[key], sent.Mine[o.ID] = a, pollstack.Answer(a)
	}
	name, ids, err := meetingBallot(v.Poll, req)
	if err == nil {
		_, err = s.cast(w, r, pollstack.Ballot{PollID: v.Poll.ID, Name: name, OptionIDs: ids, Change: change}, req.Code)
	} else if !change {
		s.countVote(err)
	}
	if err != nil {
		if e, status := publicError(err); e.Field == "code" {
			sent.Error = e
			s.meetingPage(w, r, v, status, sent)
			return
		}
		s.formError(w, r, err, func(e *pollstack.Error, status int) {
			sent.Error = e
			s.meetingPage(w, r, v, status, sent)
		})
		return
	}
	next := "/p/" + v.Poll.ID
	if change {
		next += "?changed"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// meetingOf returns the poll's view when it is a meeting poll; pages of the
// other kinds go on as before (an error is theirs to show).
func (s *Server) meetingOf(r *http.Request) (view, bool) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	return v, err == nil && v.Poll.Meeting
}
