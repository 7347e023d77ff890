package pollstack

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the broad class of an error. Transports map kinds to status codes
// (web maps them to HTTP statuses); codes name the exact condition.
type Kind string

const (
	KindInvalid      Kind = "invalid"      // the input breaks a rule
	KindNotFound     Kind = "not_found"    // no such poll
	KindConflict     Kind = "conflict"     // the request clashes with stored state
	KindUnauthorized Kind = "unauthorized" // a credential is missing
	KindForbidden    Kind = "forbidden"    // a credential is wrong, or the caller may not see this
	KindUnavailable  Kind = "unavailable"  // a dependency (the database) is down; retry later
	KindStale        Kind = "stale"        // the request was made against an older version
)

// Error is an error meant for the person or program that made the request:
// its Message is safe to show, Code is stable for programs, Field names the
// input that caused it when there is one.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	// Key names the message in the translations when one Code has several
	// wordings; "" means Code itself.
	Key string
	// Args are the values Message was made from, in order, for a translation
	// to fill in: integers as they are (each language writes numbers its own
	// way), Terms as words to translate, anything else as Message shows it.
	Args []any
}

// MessageKey is the key of e's message in the translations.
func (e *Error) MessageKey() string {
	if e.Key != "" {
		return e.Key
	}
	return e.Code
}

// Keyed is e under another translation key: a second wording of its Code.
func (e *Error) Keyed(key string) *Error {
	k := *e
	k.Key = key
	return &k
}

// Term is a word or phrase of the product put into a message (a field's
// name, what was done): Text in English, Key in the translations.
type Term struct{ Key, Text string }

func (t Term) String() string { return t.Text }

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errors that stores and the web layer share. Compare with errors.Is.
var (
	ErrPollNotFound  = &Error{Kind: KindNotFound, Code: "poll_not_found", Message: "There is no poll at this address. It may have been deleted."}
	ErrAlreadyVoted  = &Error{Kind: KindConflict, Code: "already_voted", Message: "You have already voted in this poll."}
	ErrInvalidCode   = &Error{Kind: KindForbidden, Code: "invalid_code", Field: "code", Message: "This poll needs a valid voter code. Check the code you were given."}
	ErrCodeUsed      = &Error{Kind: KindConflict, Code: "code_used", Field: "code", Message: "This voter code has already been used."}
	ErrNotCodePoll   = &Error{Kind: KindConflict, Code: "not_code_poll", Field: "voter_codes", Message: "This poll does not use voter codes."}
	ErrNotVoted      = &Error{Kind: KindNotFound, Code: "no_ballot", Message: "You have not voted in this poll yet."}
	ErrNoChanges     = &Error{Kind: KindConflict, Code: "changes_not_allowed", Message: "This poll does not let voters change their vote."}
	ErrPollClosed    = &Error{Kind: KindConflict, Code: "poll_closed", Message: "This poll is closed and takes no more votes."}
	ErrResultsHidden = &Error{Kind: KindForbidden, Code: "results_hidden", Message: "The results of this poll are not visible yet."}
	ErrTokenMissing  = &Error{Kind: KindUnauthorized, Code: "admin_token_required", Message: "This action needs the poll's admin token as a Bearer token."}
	ErrTokenWrong    = &Error{Kind: KindForbidden, Code: "admin_token_invalid", Message: "The admin token does not match this poll."}
	ErrUnavailable   = &Error{Kind: KindUnavailable, Code: "unavailable", Message: "The service is briefly unavailable. Please try again in a few seconds."}
)

// ErrBallotsOpen refuses the ballot file of a poll whose creator published
// the ballots to someone other than the creator while the poll is open
// (Poll.BallotsOpenToAll).
var ErrBallotsOpen = &Error{Kind: KindForbidden, Code: "ballots_not_yet_public", Message: "This poll's ballots are published once it closes, and it is still open. Until then only its creator can download them, with the admin token."}

// ErrAddressVoted and ErrCodeVoted answer someone who shares a ballot's key
// (an address, a code) but not the browser that cast it: they learn that the
// ballot exists, never what it chose, and cannot change it.
var (
	ErrAddressVoted = &Error{Kind: KindForbidden, Code: "ballot_not_yours", Message: "This address has voted. Only the browser that cast the ballot can see or change it."}
	ErrCodeVoted    = &Error{Kind: KindForbidden, Code: "ballot_not_yours", Key: "ballot_not_yours.code", Field: "code", Message: "This code has voted. Only the browser that cast the ballot can see it."}
)

// Invalid returns a KindInvalid error about one input field.
func Invalid(field, code, format string, args ...any) *Error {
	e := NewError(KindInvalid, code, format, args...)
	e.Field = field
	return e
}

// NewError returns an error of kind whose Message is format filled with
// args, which it keeps for translations (see Error.Args).
func NewError(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), Args: translatableArgs(format, args)}
}

// translatableArgs keeps integers (%d) and Terms as they are and writes
// every other argument as its verb in format does (%q quotes, %U names a
// character), so that a translation shows it as the English does.
func translatableArgs(format string, args []any) []any {
	if len(args) == 0 {
		return nil
	}
	out := make([]any, len(args))
	i := 0
	for j := 0; j < len(format) && i < len(args); j++ {
		if format[j] != '%' {
			continue
		}
		j++
		if j < len(format) && format[j] == '%' {
			continue
		}
		start := j
		for j < len(format) && strings.IndexByte("+-# 0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			break
		}
		switch a := args[i].(type) {
		case Term:
			out[i] = a
		case int:
			if format[j] == 'd' {
				out[i] = a
				break
			}
			out[i] = fmt.Sprintf("%"+format[start:j+1], a)
		default:
			out[i] = fmt.Sprintf("%"+format[start:j+1], a)
		}
		i++
	}
	return out
}

// ErrorOf returns the *Error inside err, or nil when err is an internal error
// whose details must not reach the caller.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Unavailable wraps a dependency failure so that callers see ErrUnavailable
// (and can retry) while logs keep the cause.
func Unavailable(cause error) error {
	return &unavailableError{cause: cause}
}

type unavailableError struct{ cause error }

func (e *unavailableError) Error() string   { return "unavailable: " + e.cause.Error() }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }
