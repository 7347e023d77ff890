package web

import (
	"strconv"
	"time"

	"github.com/pollstack/pollstack"
)

// maxFormErrors bounds the rounds of allFormErrors: one per field the
// domain checks.
const maxFormErrors = 12

// allFormErrors lists every rule a poll request breaks, in the domain's
// order, so that the form shows them all at once. The domain stops at the
// first broken rule; here each broken field is set aside (given a value the
// domain accepts) and the request checked again, until it passes or a
// field cannot be set aside. The domain stays the one place of the rules.
func allFormErrors(req createPollRequest, now time.Time) []*pollstack.Error {
	var errs []*pollstack.Error
	seen := map[string]bool{}
	for range maxFormErrors {
		e := pollstack.ErrorOf(validateRequest(req, now))
		if e == nil || e.Kind != pollstack.KindInvalid || seen[e.Field] {
			break
		}
		errs, seen[e.Field] = append(errs, e), true
		if !setAside(&req, e.Field) {
			break
		}
	}
	return errs
}

func validateRequest(req createPollRequest, now time.Time) error {
	n, err := req.draft()
	if err != nil {
		return err
	}
	_, _, err = n.NewPoll(now)
	return err
}

// setAside gives a broken field a value the domain accepts, keeping what
// the other rules depend on (how many options there are, which check).
func setAside(req *createPollRequest, field string) bool {
	switch field {
	case "question":
		req.Question = "?"
	case "description":
		req.Description = ""
	case "options":
		n := min(max(len(req.Options), pollstack.MinOptions), pollstack.MaxOptions)
		req.Options = make([]string, n)
		for i := range req.Options {
			req.Options[i] = strconv.Itoa(i + 1)
		}
	case "min_choices":
		req.MinChoices = 0
	case "max_choices":
		req.MaxChoices = 0
	case "results":
		req.Results = string(pollstack.ResultsAlways)
	case "closes_at":
		req.ClosesAt = nil
	case "duplicate_check":
		req.DuplicateCheck, req.VoterCodes = string(pollstack.CheckBrowser), 0
	case "voter_codes":
		req.VoterCodes = 0
		if req.DuplicateCheck == string(pollstack.CheckCode) {
			req.VoterCodes = 1
		}
	case "allow_changes":
		req.AllowChanges = false
	case "allow_other", "other_approval":
		req.AllowOther, req.OtherApproval = false, ""
	default:
		return false
	}
	return true
}

// formErrorLink is one line of the form's list of errors: the message, and
// the id of the field it is about.
type formErrorLink struct {
	Target, Message string
}

// fieldTargets are the form's element ids for the domain's fields.
var fieldTargets = map[string]string{
	"question": "question", "description": "description", "options": "option-0",
	"min_choices": "min_choices", "max_choices": "max_choices", "closes_at": "closes_at",
	"results": "results-always", "duplicate_check": "check-browser", "voter_codes": "voter_codes",
	"allow_changes": "allow_changes", "allow_other": "allow_other-no", "other_approval": "allow_other-no",
}

// ErrorList is the list of every broken rule, linked to its field, when
// there is more than one.
func (f createForm) ErrorList() []formErrorLink {
	if len(f.Errors) < 2 {
		return nil
	}
	var out []formErrorLink
	for _, e := range f.Errors {
		out = append(out, formErrorLink{Target: fieldTargets[e.Field], Message: e.Message})
	}
	return out
}
