package pollstack

import (
	"slices"
	"time"
	"unicode/utf8"
)

// PollEdit is what a poll's creator changes after creating it; a nil field
// (or an unset flag) leaves that part as it is.
type PollEdit struct {
	Question    *string
	Description *string
	// Options, when not nil, is the whole new list: an existing option by
	// its ID (relabelled if the label differs), a new one with ID 0; an
	// existing option left out is deleted.
	Options []OptionEdit
	// SetClosesAt changes the closing time to ClosesAt (nil: none).
	SetClosesAt bool
	ClosesAt    *time.Time
	// Reopen opens a poll that was closed by hand (or decided).
	Reopen       bool
	Visibility   *Visibility
	AllowChanges *bool
	// Kind (single or multiple), the choice limits and the duplicate check
	// may change only while the poll has no ballot.
	Kind           *PollKind
	MinChoices     *int
	MaxChoices     *int
	DuplicateCheck *DuplicateCheck
	// ConfirmRelabel accepts that an option with votes gets a new label,
	// which the poll's public change log then records.
	ConfirmRelabel bool
}

// OptionEdit is one option of an edit: ID 0 for a new one.
type OptionEdit struct {
	ID    int
	Label string
}

// Relabel is an entry of a poll's public change log: an option that had
// votes when its label changed.
type Relabel struct {
	At       time.Time `json:"at"`
	OptionID int       `json:"option_id"`
	From     string    `json:"from"`
	To       string    `json:"to"`
}

// MaxRelabels bounds a poll's change log; the oldest entries go first.
const MaxRelabels = 50

// maxOptionID is the highest option ID the stores accept.
const maxOptionID = 100

// Errors of an edit.
var (
	ErrVersionStale       = &Error{Kind: KindStale, Code: "version_stale", Field: "If-Match", Message: "The poll has changed since you loaded it. Reload it, check the changes and edit again."}
	ErrRelabelUnconfirmed = &Error{Kind: KindConflict, Code: "relabel_unconfirmed", Field: "confirm_relabel", Message: "An option you renamed already has votes: the people who voted for it chose the old wording. Confirm the new label; the change is shown publicly on the poll."}
)

// frozen answers an edit of a rule that ballots were cast under.
// choiceLimits names the choice limits in frozen's message.
var choiceLimits = Term{Key: "choice_limits", Text: "choice limits"}

func frozen(field string, what Term) *Error {
	e := NewError(KindConflict, "frozen_after_votes", "The poll has votes, so its %s can no longer change.", what)
	e.Field = field
	return e
}

// Edit returns the poll as the edit leaves it, checked against the rules of
// a new poll and against its counts: once it has a ballot, its kind, choice
// limits and duplicate check stay, and an option with votes stays. The
// caller holds the poll's lock, so the counts are those the edit commits with.
func (p *Poll) Edit(e PollEdit, counts Results, now time.Time) (*Poll, error) {
	q := *p
	q.Options, q.Relabels = slices.Clone(p.Options), slices.Clone(p.Relabels)
	if err := q.editText(e); err != nil {
		return nil, err
	}
	if err := q.editRules(e, counts.Total > 0); err != nil {
		return nil, err
	}
	if e.Options != nil {
		if err := q.editOptions(e, counts.Counts, now); err != nil {
			return nil, err
		}
	}
	if err := q.fitLimits(len(p.Options), counts.Total > 0, e); err != nil {
		return nil, err
	}
	if err := q.editTimes(e, now); err != nil {
		return nil, err
	}
	return &q, nil
}

func (q *Poll) editText(e PollEdit) error {
	if e.Question != nil {
		question, err := validateQuestion(*e.Question)
		if err != nil {
			return err
		}
		q.Question = question
	}
	if e.Description != nil {
		description, err := validateDescription(*e.Description)
		if err != nil {
			return err
		}
		q.Description = description
	}
	return nil
}

// editRules changes the settings voters act under: visibility and changes
// at any time, the kind and the duplicate check only before any ballot.
func (q *Poll) editRules(e PollEdit, voted bool) error {
	if e.Kind != nil && *e.Kind != q.Kind() {
		switch {
		case voted:
			return frozen("kind", Term{Key: "the_kind", Text: "kind"})
		case q.Ranked || q.Meeting || (*e.Kind != PollSingle && *e.Kind != PollMultiple):
			return Invalid("kind", "kind_fixed", "Only a single choice poll and a multiple choice poll can become one another.")
		}
		q.Multiple = *e.Kind == PollMultiple
		if q.Multiple { // as at creation: any number of options, unless limits come with it
			q.MinChoices, q.MaxChoices = 1, len(q.Options)
		}
	}
	if e.DuplicateCheck != nil && *e.DuplicateCheck != q.DuplicateCheck {
		check := *e.DuplicateCheck
		switch {
		case voted:
			return frozen("duplicate_check", Term{Key: "the_duplicate_check", Text: "duplicate check"})
		case q.DuplicateCheck == CheckCode || check == CheckCode || q.Meeting || !validDuplicateCheck(check):
			return Invalid("duplicate_check", "duplicate_check_fixed", "The duplicate check can change only among browser, ip and none, and not for a poll with voter codes or a meeting poll.")
		}
		q.DuplicateCheck = check
	}
	if e.Visibility != nil {
		if !validVisibility(*e.Visibility) {
			return Invalid("results", "results_invalid", "Results visibility must be one of always, after_vote or after_close.")
		}
		q.Visibility = *e.Visibility
	}
	if e.AllowChanges != nil && !q.Meeting {
		q.AllowChanges = *e.AllowChanges
	}
	draft := PollDraft{AllowChanges: q.AllowChanges, DuplicateCheck: q.DuplicateCheck}
	if _, err := draft.duplicateCheck(q.Visibility); err != nil {
		return err
	}
	switch {
	case q.AllowChanges && q.DuplicateCheck == CheckNone:
		return Invalid("allow_changes", "allow_changes_kiosk", "Changing a vote needs a check that knows who voted (browser or address); a poll that counts every submission cannot offer it.")
	case q.AllowChanges && q.DuplicateCheck == CheckCode && !q.Meeting:
		return Invalid("allow_changes", "allow_changes_code", "A poll with voter codes takes no changes. Choose the browser or address check to let voters change their vote.").Keyed("allow_changes_code.edit")
	}
	return nil
}

// editOptions applies the new option list: labels checked as at creation,
// an option with votes never deleted and relabelled only when confirmed,
// which the change log records.
func (q *Poll) editOptions(e PollEdit, votes map[int]int, now time.Time) error {
	if q.Meeting {
		return Invalid("options", "options_meeting", "A meeting poll's slots cannot be edited.").Keyed("options_meeting.edit")
	}
	labels := make([]string, len(e.Options))
	for i, o := range e.Options {
		labels[i] = o.Label
	}
	checked, err := validateOptions(labels)
	if err != nil {
		return err
	}
	old := make(map[int]string, len(q.Options))
	for _, o := range q.Options {
		old[o.ID] = o.Label
	}
	kept := make(map[int]bool, len(e.Options))
	var options []Option
	for i, o := range e.Options {
		label := checked[i].Label
		if o.ID == 0 {
			continue
		}
		before, ok := old[o.ID]
		switch {
		case !ok || kept[o.ID]:
			return Invalid("options", "option_unknown", "Option %d is not an option of this poll.", o.ID).Keyed("option_unknown.edit")
		case before != label && votes[o.ID] > 0 && !e.ConfirmRelabel:
			return ErrRelabelUnconfirmed
		case before != label && votes[o.ID] > 0:
			q.Relabels = append(q.Relabels, Relabel{At: now.UTC().Truncate(time.Microsecond), OptionID: o.ID, From: before, To: label})
		}
		kept[o.ID] = true
		options = append(options, Option{ID: o.ID, Label: label})
	}
	for _, o := range q.Options {
		if !kept[o.ID] && q.Ranked {
			// A ranked ballot form and the ballot file place options by
			// their IDs 1..n, which a deletion would leave with a gap.
			return Invalid("options", "option_ranked_delete", "Options of a ranked poll can be renamed or added, not deleted.")
		}
		if !kept[o.ID] && votes[o.ID] > 0 {
			e := NewError(KindConflict, "option_has_votes", "“%s” has votes, so it cannot be deleted.", o.Label)
			e.Field = "options"
			return e
		}
	}
	for i, o := range e.Options {
		if o.ID == 0 {
			if q.LastOptionID >= maxOptionID {
				return Invalid("options", "options_edited_too_often", "This poll has had %d options in all, the most it can; create a new poll.", maxOptionID)
			}
			q.LastOptionID++
			options = append(options, Option{ID: q.LastOptionID, Label: checked[i].Label})
		}
	}
	slices.SortFunc(options, func(a, b Option) int { return a.ID - b.ID })
	q.Options = options
	if n := len(q.Relabels); n > MaxRelabels {
		q.Relabels = q.Relabels[n-MaxRelabels:]
	}
	return nil
}

// fitLimits checks the choice limits against the options (the most choices
// that were "every option" stay so), and refuses an explicit change once
// the poll has votes.
func (q *Poll) fitLimits(oldOptions int, voted bool, e PollEdit) error {
	if voted && (e.MinChoices != nil && *e.MinChoices != q.MinChoices || e.MaxChoices != nil && *e.MaxChoices != q.MaxChoices) {
		field := "min_choices"
		if e.MinChoices == nil || *e.MinChoices == q.MinChoices {
			field = "max_choices"
		}
		return frozen(field, choiceLimits)
	}
	if q.Meeting {
		return nil
	}
	draft := PollDraft{Multiple: q.Multiple, MinChoices: q.MinChoices, MaxChoices: q.MaxChoices}
	if draft.MaxChoices == oldOptions {
		draft.MaxChoices = 0
	}
	if !q.Multiple {
		draft.MinChoices, draft.MaxChoices = 0, 0
	}
	if e.MinChoices != nil {
		draft.MinChoices = *e.MinChoices
	}
	if e.MaxChoices != nil {
		draft.MaxChoices = *e.MaxChoices
	}
	limits := draft.choiceLimits
	if q.Ranked {
		draft.MaxRankings, draft.MinChoices, draft.MaxChoices = draft.MaxChoices, 0, 0
		limits = draft.rankLimits
	}
	lo, hi, err := limits(len(q.Options))
	if err != nil {
		return err
	}
	if voted && (lo != q.MinChoices || hi != q.MaxChoices && q.MaxChoices != oldOptions) {
		return frozen("options", choiceLimits)
	}
	q.MinChoices, q.MaxChoices = lo, hi
	return nil
}

// editTimes changes the closing time and reopens: a poll that is to be
// open again needs a closing time in the future, or none.
func (q *Poll) editTimes(e PollEdit, now time.Time) error {
	if e.SetClosesAt {
		if e.ClosesAt != nil && !e.ClosesAt.After(now) {
			return Invalid("closes_at", "closes_at_past", "The closing time must be in the future.")
		}
		q.ClosesAt = utcMicros(e.ClosesAt)
	}
	if e.Reopen {
		if q.ClosesAt != nil && !q.ClosesAt.After(now) {
			return Invalid("closes_at", "reopen_closes_at_past", "The poll closed at its closing time: give a new closing time in the future, or none, to reopen it.")
		}
		q.ClosedAt, q.Decided = nil, 0
	}
	return nil
}

// validateQuestion checks a question as people's text and its length.
func validateQuestion(raw string) (string, error) {
	question, visible, err := cleanText("question", raw, true)
	switch {
	case err != nil:
		return "", err
	case !visible:
		return "", Invalid("question", "question_required", "Write a question.")
	case utf8.RuneCountInString(question) > MaxQuestionLen:
		return "", Invalid("question", "question_too_long", "The question can be at most %d characters.", MaxQuestionLen)
	}
	return question, nil
}
