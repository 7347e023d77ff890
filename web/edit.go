package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// editPollRequest is the body of PATCH /api/v1/polls/{id}: a field left
// out stays as it is.
type editPollRequest struct {
	Question       *string             `json:"question"`
	Description    *string             `json:"description"`
	Options        []editOptionRequest `json:"options"` // the whole new list: {id, label} kept, {label} new
	ClosesAt       optionalTime        `json:"closes_at"`
	Reopen         bool                `json:"reopen"`
	Results        *string             `json:"results"`
	AllowChanges   *bool               `json:"allow_changes"`
	Kind           *string             `json:"kind"`
	MinChoices     *int                `json:"min_choices"`
	MaxChoices     *int                `json:"max_choices"`
	DuplicateCheck *string             `json:"duplicate_check"`
	ConfirmRelabel bool                `json:"confirm_relabel"`
}

type editOptionRequest struct {
	ID    int    `json:"id"` // 0 or absent: a new option
	Label string `json:"label"`
}

// optionalTime tells a time left out from one set to null (none).
type optionalTime struct {
	set bool
	raw []byte
}

func (t *optionalTime) UnmarshalJSON(b []byte) error {
	t.set, t.raw = true, bytes.Clone(b)
	return nil
}

// edit turns the request into the domain's PollEdit.
func (req editPollRequest) edit() (pollstack.PollEdit, error) {
	e := pollstack.PollEdit{Question: req.Question, Description: req.Description, Reopen: req.Reopen, AllowChanges: req.AllowChanges,
		MinChoices: req.MinChoices, MaxChoices: req.MaxChoices, ConfirmRelabel: req.ConfirmRelabel}
	if req.Options != nil {
		e.Options = make([]pollstack.OptionEdit, len(req.Options))
		for i, o := range req.Options {
			e.Options[i] = pollstack.OptionEdit{ID: o.ID, Label: o.Label}
		}
	}
	if req.Results != nil {
		v := pollstack.Visibility(*req.Results)
		e.Visibility = &v
	}
	if req.Kind != nil {
		k := pollstack.PollKind(*req.Kind)
		e.Kind = &k
	}
	if req.DuplicateCheck != nil {
		c := pollstack.DuplicateCheck(*req.DuplicateCheck)
		e.DuplicateCheck = &c
	}
	if req.ClosesAt.set {
		e.SetClosesAt = true
		if string(req.ClosesAt.raw) != "null" {
			var s string
			t, err := time.Time{}, error(nil)
			if err = decodeJSON(req.ClosesAt.raw, &s); err == nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				return e, pollstack.Invalid("closes_at", "closes_at_invalid", "The closing time must be a date and time with its offset from UTC, such as 2030-01-02T15:04:05Z, or null for none.").Keyed("closes_at_invalid.edit")
			}
			e.ClosesAt = &t
		}
	}
	return e, nil
}

// apiEditPoll applies a creator's edit; If-Match, when sent, must name the
// poll's current ETag.
func (s *Server) apiEditPoll(w http.ResponseWriter, r *http.Request) {
	var req editPollRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	edit, err := req.edit()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	version, err := ifMatchVersion(r.Header.Get("If-Match"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.editPoll(r, r.PathValue("id"), bearerToken(r), version, edit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(p))
	writeJSON(w, http.StatusOK, s.pollJSON(p))
}

// editPoll checks the admin token and applies the edit; the admin page uses
// it too.
func (s *Server) editPoll(r *http.Request, id, token string, version int, edit pollstack.PollEdit) (*pollstack.Poll, error) {
	if err := s.authorize(r, id, token); err != nil {
		return nil, err
	}
	p, err := s.store.EditPoll(r.Context(), id, version, edit, s.now())
	if err != nil {
		return nil, err
	}
	s.views.invalidate(id)
	s.log.Info("poll edited", "request_id", requestID(r.Context()), "poll_id", id, "version", p.Version)
	return p, nil
}

// etag is the poll's version as a strong entity tag.
func etag(p *pollstack.Poll) string { return `"` + strconv.Itoa(p.Version) + `"` }

// ifMatchVersion reads an If-Match header: absent or "*" edits any version
// (0); one entity tag names the version; anything else matches no version.
func ifMatchVersion(header string) (int, error) {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return 0, nil
	}
	if n, err := strconv.Atoi(strings.Trim(header, `"`)); err == nil && n > 0 && strings.HasPrefix(header, `"`) && strings.HasSuffix(header, `"`) {
		return n, nil
	}
	return 0, pollstack.ErrVersionStale
}

// editForm is the admin page's edit form: the poll as it is, or as the
// creator typed it, shown again with what was wrong.
type editForm struct {
	Version      int
	Question     string
	Description  string
	Options      []pollstack.Option // labels as typed, by option ID
	Delete       map[int]bool
	NewOptions   string // one a line
	ClosesAt     string // UTC, as the datetime-local input takes it
	Results      string
	AllowChanges bool
	Reopen       bool
	Confirm      bool // confirm_relabel
	Error        *pollstack.Error
	Saved        bool
}

const editTimeLayout = "2006-01-02T15:04"

func newEditForm(p *pollstack.Poll) *editForm {
	f := &editForm{Version: p.Version, Question: p.Question, Description: p.Description, Options: p.Options,
		Results: string(p.Visibility), AllowChanges: p.AllowChanges}
	if p.ClosesAt != nil {
		f.ClosesAt = p.ClosesAt.UTC().Format(editTimeLayout)
	}
	return f
}

// Visibilities are the choices of the results select.
func (f *editForm) Visibilities() []pollstack.Visibility { return pollstack.Visibilities }

// editFormOf reads the posted edit form against the poll it edits.
func editFormOf(r *http.Request, p *pollstack.Poll) *editForm {
	f := &editForm{Question: r.PostFormValue("question"), Description: r.PostFormValue("description"), Delete: map[int]bool{},
		NewOptions: r.PostFormValue("new_options"), ClosesAt: strings.TrimSpace(r.PostFormValue("closes_at")), Results: r.PostFormValue("results"),
		AllowChanges: r.PostFormValue("allow_changes") == "yes", Reopen: r.PostFormValue("reopen") == "yes", Confirm: r.PostFormValue("confirm_relabel") == "yes"}
	f.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	for _, o := range p.Options {
		id := strconv.Itoa(o.ID)
		f.Options = append(f.Options, pollstack.Option{ID: o.ID, Label: r.PostFormValue("option-" + id)})
		f.Delete[o.ID] = r.PostFormValue("delete-"+id) == "yes"
	}
	return f
}

// request is what the form asks of the API: the texts, the options (a
// meeting poll's slots stay), the closing time when it changed (in UTC,
// empty: none), reopening, visibility and changes.
func (f *editForm) request(p *pollstack.Poll) editPollRequest {
	req := editPollRequest{Question: &f.Question, Description: &f.Description, Results: &f.Results, Reopen: f.Reopen, ConfirmRelabel: f.Confirm}
	if !p.Meeting {
		req.AllowChanges = &f.AllowChanges
		req.Options = []editOptionRequest{}
		for _, o := range f.Options {
			if !f.Delete[o.ID] {
				req.Options = append(req.Options, editOptionRequest{ID: o.ID, Label: o.Label})
			}
		}
		for _, line := range strings.Split(f.NewOptions, "\n") {
			if strings.TrimSpace(line) != "" {
				req.Options = append(req.Options, editOptionRequest{Label: line})
			}
		}
	}
	if was := newEditForm(p).ClosesAt; f.ClosesAt != was {
		req.ClosesAt.set, req.ClosesAt.raw = true, []byte("null")
		if f.ClosesAt != "" {
			closes, ok := closingTime(f.ClosesAt, "0")
			if !ok {
				closes = f.ClosesAt // the API's error names the field
			}
			req.ClosesAt.raw = strconv.AppendQuote(nil, closes)
		}
	}
	return req
}

// editPage is the admin page's edit form, through the API's editPoll: the
// admin page again, saying it is saved, or the form as typed with what was
// wrong.
func (s *Server) editPage(w http.ResponseWriter, r *http.Request) {
	id, token, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	p, err := s.store.Poll(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := editFormOf(r, p)
	edit, err := f.request(p).edit()
	if err == nil {
		_, err = s.editPoll(r, id, token, f.Version, edit)
	}
	if err != nil {
		e, status := publicError(err)
		if e.Kind != pollstack.KindInvalid && e.Kind != pollstack.KindConflict && e.Kind != pollstack.KindStale {
			s.writeError(w, r, err)
			return
		}
		f.Error = s.locale(r).localizeError(forPage(e))
		if e.Kind == pollstack.KindStale { // start again from the poll as it now is
			f = newEditForm(p)
			f.Error = s.locale(r).localizeError(&pollstack.Error{Kind: e.Kind, Code: e.Code, Key: "version_stale.page",
				Message: "Someone saved other changes to this poll since you opened this page. The form now shows the poll as it is; make your changes again."})
		}
		s.renderAdminPage(w, r, status, token, f)
		return
	}
	s.renderAdminPage(w, r, http.StatusOK, token, &editForm{Saved: true})
}
