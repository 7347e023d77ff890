package pollstack

import (
	"unicode/utf8"
)

// OtherApproval says whether a voter's own answer (allow_other) shows at
// once or waits for the creator.
type OtherApproval string

const (
	OtherAuto    OtherApproval = "auto"    // a new answer becomes an option at once
	OtherCreator OtherApproval = "creator" // a new answer waits until the creator approves it
)

// AnswerStatus is where a stored option stands. Options the creator wrote
// are approved; a voter's new answer is approved at once or pending.
type AnswerStatus string

const (
	AnswerApproved AnswerStatus = "approved" // shown and counted in public
	AnswerPending  AnswerStatus = "pending"  // only the creator sees it, until approved or rejected
	AnswerRejected AnswerStatus = "rejected" // never shown; the same text again merges into it
)

// StoredOption is an option with its status, as stores keep every option
// of a poll. Poll.Options holds only the approved ones.
type StoredOption struct {
	Option
	Status AnswerStatus
	Votes  int
}

// Errors of voters' own answers.
var (
	ErrOtherFull = &Error{Kind: KindConflict, Code: "other_full", Field: "other",
		Message: "This poll has no room for another answer; choose one of its options."}
	ErrAnswerNotPending = &Error{Kind: KindNotFound, Code: "answer_not_pending", Field: "option_id",
		Message: "There is no answer waiting for approval under this ID."}
)

// validateOther checks the draft's write-in settings for a poll of the kind.
// Ranked and meeting ballots have no place for an answer of one's own, and a
// change could add a new answer each time; a present-mode screen needs
// approval (see Poll.Presentable).
func (d PollDraft) validateOther(kind PollKind) (OtherApproval, error) {
	switch {
	case d.OtherApproval != "" && !d.AllowOther:
		return "", Invalid("other_approval", "other_approval_without_other", "other_approval applies only when allow_other is set.")
	case !d.AllowOther:
		return "", nil
	case kind == PollRanked || kind == PollMeeting:
		return "", Invalid("allow_other", "allow_other_kind", "Answers of one's own are for single and multiple choice polls; a %s poll cannot take them.", kind)
	case d.AllowChanges:
		return "", Invalid("allow_other", "allow_other_changes", "Answers of one's own cannot be combined with allow_changes: each change could add another answer.")
	}
	switch d.OtherApproval {
	case "", OtherAuto:
		return OtherAuto, nil
	case OtherCreator:
		return OtherCreator, nil
	}
	return "", Invalid("other_approval", "other_approval_invalid", "other_approval must be auto or creator.")
}

// Presentable reports whether the poll may be shown in present mode: a
// projector shows to a room what nobody has checked, so a poll that takes
// voters' own answers must have the creator approve them first.
func (p *Poll) Presentable() bool {
	return !p.AllowOther || p.OtherApproval == OtherCreator
}

// CleanOther checks and normalises a voter's own answer as options are
// (cleanText); empty (or only invisible characters) means none.
func CleanOther(raw string) (string, error) {
	text, visible, err := cleanText("other", raw, false)
	switch {
	case err != nil:
		return "", err
	case !visible:
		return "", nil
	case utf8.RuneCountInString(text) > MaxOptionLen:
		return "", Invalid("other", "other_too_long", "Your answer can be at most %d characters.", MaxOptionLen)
	}
	return text, nil
}

// PlaceOther decides where a voter's answer goes among every option of the
// poll (options, whatever their status): into the option with the same
// text (sameTextKey: case and width folded), or a new option (added, with
// the next ID) approved or pending as the poll says, or nowhere when the poll
// has MaxOptions already (ErrOtherFull). Stores call it inside the vote
// transaction with the poll locked, so that two voters writing the same new
// answer make one option.
func PlaceOther(p *Poll, options []StoredOption, text string) (id int, added *StoredOption, err error) {
	key, next := sameTextKey(text), p.LastOptionID+1 // IDs are never reused (Poll.Edit)
	for _, o := range options {
		if sameTextKey(o.Label) == key {
			return o.ID, nil, nil
		}
		next = max(next, o.ID+1)
	}
	if len(options) >= MaxOptions || next > maxOptionID {
		return 0, nil, ErrOtherFull
	}
	status := AnswerApproved
	if p.OtherApproval == OtherCreator {
		status = AnswerPending
	}
	return next, &StoredOption{Option: Option{ID: next, Label: text}, Status: status}, nil
}

// WithOther returns the ballot's options with the option its answer went
// to, once.
func WithOther(optionIDs []int, id int) []int {
	for _, have := range optionIDs {
		if have == id {
			return optionIDs
		}
	}
	return append(append([]int(nil), optionIDs...), id)
}
