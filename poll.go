// Package pollstack holds the domain of the polling product: polls, ballots,
// the rules they obey, the errors they raise and the Store that keeps them.
// Adapters (sqlite, postgres, web, secret, doctor) import this package; it
// imports none of them.
package pollstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"
	"unicode/utf8"
)

// The rules for a poll, in one place: the API and the HTML forms report them
// with the same words.
const (
	MaxQuestionLen    = 300
	MaxDescriptionLen = 1000
	MinOptions        = 2
	MaxOptions        = 20
	MaxOptionLen      = 120
)

// Visibility says when a poll's results may be seen.
type Visibility string

const (
	ResultsAlways     Visibility = "always"      // anyone, at any time
	ResultsAfterVote  Visibility = "after_vote"  // people who voted, or anyone once the poll is closed
	ResultsAfterClose Visibility = "after_close" // anyone, once the poll is closed
)

// Visibilities lists the valid values, in the order forms offer them.
var Visibilities = []Visibility{ResultsAlways, ResultsAfterVote, ResultsAfterClose}

// PollKind is the shape of a poll's ballot.
type PollKind string

const (
	PollSingle   PollKind = "single"   // one option
	PollMultiple PollKind = "multiple" // several options
	PollRanked   PollKind = "ranked"   // options in order of preference, counted by instant runoff
	PollMeeting  PollKind = "meeting"  // time slots or dates, each answered yes, if need be or no (meeting.go)
)

// PollKinds lists the valid values, in the order forms offer them.
var PollKinds = []PollKind{PollSingle, PollMultiple, PollRanked, PollMeeting}

// Poll is a question with options that people vote on.
type Poll struct {
	ID          string
	Question    string
	Description string // plain text under the question; line breaks are "\n"
	Options     []Option
	Multiple    bool // several options may be chosen in one ballot (true of a ranked poll too)
	// Ranked: a ballot ranks options, most preferred first, and the poll is
	// counted by instant runoff (ranked.go); MaxChoices is then the most
	// options one ballot may rank (max_rankings), MinChoices 1.
	Ranked bool
	// Meeting: options are slots (labels written by Slot.Label), a ballot
	// answers each under a display name (Ballot.Name, option IDs as
	// EncodeAnswers writes them), and the poll allows changes. Its choice
	// limits are those of a single choice poll, unused.
	Meeting bool
	// HideNames: a meeting poll shows totals only, never who answered what.
	HideNames bool
	// Decided is the option (slot) the creator of a meeting poll picked,
	// which closed it; 0 while undecided.
	Decided int
	// MinChoices and MaxChoices bound the options of one ballot: both 1 for
	// a single choice poll, 1..len(Options) for a multiple choice one.
	MinChoices   int
	MaxChoices   int
	AllowChanges bool // a voter may change their ballot while the poll is open
	Visibility   Visibility
	ClosesAt     *time.Time // when it closes by itself; nil: only when closed by hand
	ClosedAt     *time.Time // when it was closed by hand
	Created      time.Time
	// DuplicateCheck is how the poll tells voters apart; never changes.
	DuplicateCheck DuplicateCheck
	// EmbedOrigins are the sites that may frame the poll's embed page:
	// https origins, or AnyOrigin alone; none: no site may.
	EmbedOrigins []string
	// AllowOther: a voter may write one answer of their own (other.go);
	// OtherApproval then says whether it shows at once or waits for the
	// creator. Options holds only approved options, so its IDs may have gaps.
	AllowOther    bool
	OtherApproval OtherApproval
	// BallotsPublic: anyone may download the ballot file once the poll has
	// closed (BallotsOpenToAll); otherwise only the creator may.
	BallotsPublic bool
	// Verifiable: each new ballot gets a receipt, shown once to its voter,
	// whose digest (ReceiptDigest) the store keeps and the ballot file lists;
	// the receipt finds the ballot again (Store.BallotByReceipt).
	Verifiable bool

	// AdminTokenHash is the SHA-256 of the admin token; the token itself is
	// shown once, to the creator, and never stored.
	AdminTokenHash []byte

	// Version counts the creator's edits (Store.EditPoll); the API shows it
	// as the poll's ETag, so that a stale edit is refused.
	Version int
	// Relabels is the public change log: options relabelled after votes.
	Relabels []Relabel
	// Kiosk: the poll runs on a shared device; after each vote the page
	// resets to an empty ballot for the next person and never shows the
	// last voter's choice or the results. Its duplicate check is none.
	Kiosk bool
	// JoinCode is the short code a room types to reach the poll (/j/CODE);
	// empty for a poll made before join codes.
	JoinCode string
	// LastOptionID is the highest option ID the poll ever had: a new
	// option gets the next, so that no ID means two options in turn.
	LastOptionID int
}

// Option is one answer of a poll. IDs are 1..n in the order given.
type Option struct {
	ID    int
	Label string
}

// Kind returns the shape of the poll's ballot.
func (p *Poll) Kind() PollKind {
	switch {
	case p.Meeting:
		return PollMeeting
	case p.Ranked:
		return PollRanked
	case p.Multiple:
		return PollMultiple
	default:
		return PollSingle
	}
}

// Closed reports whether the poll takes no more votes at time now.
func (p *Poll) Closed(now time.Time) bool {
	return p.ClosedAt != nil || (p.ClosesAt != nil && !now.Before(*p.ClosesAt))
}

// BallotsOpenToAll reports whether anyone, not only the creator, may
// download the ballot file at time now: when the creator chose so, once
// the poll has closed and no ballot can change.
func (p *Poll) BallotsOpenToAll(now time.Time) bool {
	return p.BallotsPublic && p.Closed(now)
}

// ResultsVisible reports whether a person who has (or has not) voted may see
// the results at time now.
func (p *Poll) ResultsVisible(now time.Time, hasVoted bool) bool {
	switch p.Visibility {
	case ResultsAfterVote:
		return hasVoted || p.Closed(now)
	case ResultsAfterClose:
		return p.Closed(now)
	default:
		return true
	}
}

// PollDraft is what a person asks for when creating a poll.
type PollDraft struct {
	Question    string
	Description string
	Options     []string
	Multiple    bool
	// Kind is the ballot's shape; empty means single, or multiple when
	// Multiple is set.
	Kind PollKind
	// MaxRankings is the most options a ranked ballot may rank; 0 means
	// every option.
	MaxRankings int
	// Slots are a meeting poll's options, in place of Options; HideNames
	// hides who answered what.
	Slots     []SlotDraft
	HideNames bool
	// MinChoices and MaxChoices limit a multiple choice ballot; 0 means no
	// limit of its own (at least 1, at most every option).
	MinChoices   int
	MaxChoices   int
	AllowChanges bool
	ClosesAt     *time.Time
	Visibility   Visibility // empty means ResultsAlways
	// DuplicateCheck is how voters are told apart; empty means CheckBrowser.
	DuplicateCheck DuplicateCheck
	// VoterCodes is how many voter codes a "code" poll starts with.
	VoterCodes int
	// EmbedOrigins are the sites that may frame the poll (see
	// validateEmbedOrigins); none: the poll is never framed.
	EmbedOrigins []string
	// AllowOther lets voters write an answer of their own; OtherApproval
	// (empty: auto) says whether the creator approves new answers first.
	AllowOther    bool
	OtherApproval OtherApproval
	// BallotsPublic lets anyone download the ballot file once the poll has
	// closed.
	BallotsPublic bool
	// Verifiable gives each voter a receipt (Poll.Verifiable).
	Verifiable bool
	// Kiosk runs the poll on a shared device (Poll.Kiosk); the duplicate
	// check is then none, or must be.
	Kiosk bool
}

// Secrets are what a new poll's creator is shown once; the store keeps only
// their hashes.
type Secrets struct {
	AdminToken string
	Codes      CodeBatch // the first voter codes of a "code" poll
}

// NewPoll checks the draft against the rules and makes the poll to store:
// its ID, option IDs and creation time, and the secrets to give the
// creator (the admin token, the first voter codes).
// The question and the options are checked and normalised by cleanText.
func (n PollDraft) NewPoll(now time.Time) (*Poll, Secrets, error) {
	question, err := validateQuestion(n.Question)
	if err != nil {
		return nil, Secrets{}, err
	}
	description, err := validateDescription(n.Description)
	if err != nil {
		return nil, Secrets{}, err
	}
	kind, err := n.kind()
	if err != nil {
		return nil, Secrets{}, err
	}
	options, err := n.options(kind)
	if err != nil {
		return nil, Secrets{}, err
	}
	limits := n.choiceLimits
	if kind == PollRanked {
		limits = n.rankLimits
	}
	minChoices, maxChoices, err := limits(len(options))
	if err != nil {
		return nil, Secrets{}, err
	}
	results := n.Visibility
	if results == "" {
		results = ResultsAlways
	}
	if !validVisibility(results) {
		return nil, Secrets{}, Invalid("results", "results_invalid", "Results visibility must be one of always, after_vote or after_close.")
	}
	if n.ClosesAt != nil && !n.ClosesAt.After(now) {
		return nil, Secrets{}, Invalid("closes_at", "closes_at_past", "The closing time must be in the future.")
	}
	if n.Kiosk {
		switch {
		case n.DuplicateCheck == "":
			n.DuplicateCheck = CheckNone
		case n.DuplicateCheck != CheckNone:
			return nil, Secrets{}, Invalid("kiosk", "kiosk_check", "A kiosk poll counts every vote made on the shared device, so its duplicate check is none.")
		}
		if kind == PollMeeting {
			return nil, Secrets{}, Invalid("kiosk", "kiosk_meeting", "A meeting poll cannot run as a kiosk: participants come back to their answers.")
		}
	}
	check, err := n.duplicateCheck(results)
	if err != nil {
		return nil, Secrets{}, err
	}
	switch {
	case kind == PollMeeting && check == CheckNone:
		return nil, Secrets{}, Invalid("duplicate_check", "meeting_check_none", "A meeting poll lets participants edit their answers, so it needs a check that knows who answered (browser, address or code).")
	case n.AllowChanges && check == CheckNone:
		return nil, Secrets{}, Invalid("allow_changes", "allow_changes_kiosk", "Changing a vote needs a check that knows who voted (browser or address); a poll that counts every submission cannot offer it.")
	case n.AllowChanges && check == CheckCode && kind != PollMeeting:
		return nil, Secrets{}, Invalid("allow_changes", "allow_changes_code", "A poll with voter codes takes no changes: whoever holds a code, and the creator holds them all, could change its ballot. Choose the browser or address check to let voters change their vote.")
	}
	embedOrigins, err := validateEmbedOrigins(n.EmbedOrigins)
	if err != nil {
		return nil, Secrets{}, err
	}
	otherApproval, err := n.validateOther(kind)
	if err != nil {
		return nil, Secrets{}, err
	}
	secrets := Secrets{AdminToken: RandomToken(16)}
	if check == CheckCode {
		if secrets.Codes, err = MintCodes(n.VoterCodes); err != nil {
			return nil, Secrets{}, err
		}
	}
	poll := &Poll{
		ID:             RandomToken(12),
		Question:       question,
		Description:    description,
		Options:        options,
		Multiple:       kind == PollMultiple || kind == PollRanked,
		Ranked:         kind == PollRanked,
		MinChoices:     minChoices,
		MaxChoices:     maxChoices,
		AllowChanges:   n.AllowChanges || kind == PollMeeting,
		Meeting:        kind == PollMeeting,
		HideNames:      n.HideNames,
		Visibility:     results,
		ClosesAt:       utcMicros(n.ClosesAt),
		Created:        now.UTC().Truncate(time.Microsecond),
		AdminTokenHash: HashToken(secrets.AdminToken),
		DuplicateCheck: check,
		EmbedOrigins:   embedOrigins,
		AllowOther:     n.AllowOther,
		OtherApproval:  otherApproval,
		BallotsPublic:  n.BallotsPublic,
		Verifiable:     n.Verifiable,
		Version:        1,
		LastOptionID:   len(options),
		JoinCode:       NewJoinCode(),
		Kiosk:          n.Kiosk,
	}
	return poll, secrets, nil
}

// duplicateCheck checks the duplicate check and the voter codes it needs.
// Results shown "after voting" need to know who voted, which a kiosk ("none")
// cannot and a code poll can only while the code is at hand.
func (n PollDraft) duplicateCheck(results Visibility) (DuplicateCheck, error) {
	check := n.DuplicateCheck
	if check == "" {
		check = CheckBrowser
	}
	switch {
	case !validDuplicateCheck(check):
		return "", Invalid("duplicate_check", "duplicate_check_invalid", "The duplicate check must be one of browser, ip, code or none.")
	case check != CheckCode && n.VoterCodes != 0:
		return "", Invalid("voter_codes", "voter_codes_unexpected", "Voter codes are only for polls that use the code check.")
	case results == ResultsAfterVote && (check == CheckNone || check == CheckCode):
		return "", Invalid("results", "results_after_vote_unknown", "Results after voting need the browser or address check, which know who voted; choose another results setting.")
	}
	return check, nil
}

// ValidPollID reports whether id has the form of a poll ID (16 base64url
// characters), so that anything else is turned away before any lookup.
func ValidPollID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validateDescription checks a description as people's text (cleanText:
// line breaks allowed, written "\n" whatever the client sent) and its
// length once normalised.
func validateDescription(raw string) (string, error) {
	text, _, err := cleanText("description", raw, true)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(text) > MaxDescriptionLen {
		return "", Invalid("description", "description_too_long", "The description can be at most %d characters.", MaxDescriptionLen)
	}
	return text, nil
}

// kind checks the kind against the other settings that choose one.
func (d PollDraft) kind() (PollKind, error) {
	kind := d.Kind
	if kind == "" {
		kind = PollSingle
		if d.Multiple {
			kind = PollMultiple
		}
	}
	switch {
	case kind != PollSingle && kind != PollMultiple && kind != PollRanked && kind != PollMeeting:
		return "", Invalid("kind", "kind_invalid", "The kind must be one of single, multiple, ranked or meeting.")
	case d.Multiple && kind != PollMultiple:
		return "", Invalid("multiple", "multiple_kind", "multiple is for kind \"multiple\"; a %s poll leaves it out.", kind)
	case d.MaxRankings != 0 && kind != PollRanked:
		return "", Invalid("max_rankings", "max_rankings_unranked", "max_rankings applies only to ranked polls.")
	case d.HideNames && kind != PollMeeting:
		return "", Invalid("hide_names", "hide_names_not_meeting", "hide_names applies only to meeting polls.")
	case d.BallotsPublic && kind == PollMeeting:
		return "", Invalid("ballots_public", "ballots_public_meeting", "A meeting poll has no ballot file to publish: its answers carry names.")
	case d.Verifiable && kind == PollMeeting:
		return "", Invalid("verifiable", "verifiable_meeting", "A meeting poll needs no receipts: its answers stand under names.")
	}
	return kind, nil
}

// options checks the options of a poll of the kind: slots for a meeting
// poll, labels for the others.
func (d PollDraft) options(kind PollKind) ([]Option, error) {
	if kind != PollMeeting {
		if len(d.Slots) > 0 {
			return nil, Invalid("slots", "slots_not_meeting", "slots are for kind \"meeting\"; a %s poll has options.", kind)
		}
		return validateOptions(d.Options)
	}
	if len(d.Options) > 0 {
		return nil, Invalid("options", "options_meeting", "A meeting poll has slots, not options.")
	}
	return validateSlots(d.Slots)
}

// rankLimits returns the fewest and most options of one ranked ballot, for
// a poll with n options: from 1 to MaxRankings (0: every option).
func (d PollDraft) rankLimits(n int) (lo, hi int, err error) {
	if d.MinChoices != 0 || d.MaxChoices != 0 {
		field := "min_choices"
		if d.MinChoices == 0 {
			field = "max_choices"
		}
		return 0, 0, Invalid(field, "choices_ranked", "A ranked poll limits its ballots with max_rankings.")
	}
	hi = d.MaxRankings
	if hi == 0 {
		hi = n
	}
	if hi < 1 || hi > n {
		return 0, 0, Invalid("max_rankings", "max_rankings_range", "The most rankings must be between 1 and the number of options (%d).", n)
	}
	return 1, hi, nil
}

// choiceLimits returns the fewest and most options of one ballot, for a
// poll with n options.
func (d PollDraft) choiceLimits(n int) (lo, hi int, err error) {
	if !d.Multiple {
		if d.MinChoices > 1 || d.MaxChoices > 1 {
			field := "min_choices"
			if d.MinChoices <= 1 {
				field = "max_choices"
			}
			return 0, 0, Invalid(field, "choices_single", "Choice limits apply only when voters may choose several options.")
		}
		return 1, 1, nil
	}
	lo, hi = max(d.MinChoices, 1), d.MaxChoices
	if hi == 0 {
		hi = n
	}
	switch {
	case d.MinChoices < 0 || lo > n:
		return 0, 0, Invalid("min_choices", "min_choices_range", "The fewest choices must be between 1 and the number of options (%d).", n)
	case hi < 0 || hi > n:
		return 0, 0, Invalid("max_choices", "max_choices_range", "The most choices must be between 1 and the number of options (%d).", n)
	case hi < lo:
		return 0, 0, Invalid("max_choices", "max_choices_below_min", "The most choices cannot be fewer than the fewest (%d).", lo)
	}
	return lo, hi, nil
}

func validateOptions(labels []string) ([]Option, error) {
	var options []Option
	seen := make(map[string]string, len(labels)) // the same text's key -> its first label
	for _, raw := range labels {
		label, visible, err := cleanText("options", raw, false)
		if err != nil {
			return nil, err
		}
		if !visible {
			return nil, Invalid("options", "option_empty", "Options cannot be empty.")
		}
		if utf8.RuneCountInString(label) > MaxOptionLen {
			return nil, Invalid("options", "option_too_long", "Each option can be at most %d characters.", MaxOptionLen)
		}
		key := sameTextKey(label)
		if first, ok := seen[key]; ok {
			if first == label {
				return nil, Invalid("options", "option_duplicate", "Each option must be different: “%s” appears twice.", label)
			}
			return nil, Invalid("options", "option_duplicate", "Each option must be different: “%s” and “%s” count as the same option.", first, label).Keyed("option_duplicate.same")
		}
		seen[key] = label
		options = append(options, Option{ID: len(options) + 1, Label: label})
	}
	switch {
	case len(options) < MinOptions:
		return nil, Invalid("options", "options_too_few", "Give at least %d options.", MinOptions)
	case len(options) > MaxOptions:
		return nil, Invalid("options", "options_too_many", "A poll can have at most %d options.", MaxOptions)
	}
	return options, nil
}

func validVisibility(v Visibility) bool {
	for _, ok := range Visibilities {
		if v == ok {
			return true
		}
	}
	return false
}

func utcMicros(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// RandomToken returns n random bytes, base64url-encoded without padding:
// 12 bytes give a 96-bit poll ID, 16 bytes a 128-bit admin token.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error; it crashes the program if randomness is unavailable
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 of a token. The admin token has 128 random
// bits, so a fast unsalted hash is enough: there is nothing to guess.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// TokenMatches compares a presented token with a stored hash in constant time.
func TokenMatches(token string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashToken(token), hash) == 1
}

// Results are the counts of a poll: Total ballots, and Counts[optionID]
// choices per option (a multiple choice ballot counts once for each option).
// They also carry ClosedAt, when the poll was closed by hand: the one part
// of a stored poll that changes after it is created, so that a reader that
// holds the poll can refresh both with one read of the results.
type Results struct {
	Total    int
	Counts   map[int]int
	ClosedAt *time.Time
	// Rankings are a ranked poll's ballots, as counts per distinct ranking
	// (kept beside its ballots in the same transaction); CountRanked counts
	// them. Counts of a ranked poll are how many ballots rank each option.
	Rankings []Ranking
	// IfNeedBe[optionID] counts a meeting poll's "if need be" answers per
	// slot; Counts then counts its "yes" answers.
	IfNeedBe map[int]int
	// Decided is the slot picked for a meeting poll (Poll.Decided), which
	// changes with ClosedAt.
	Decided  int
	LastVote *time.Time // when the latest ballot was stored; nil: none yet
	// Version is the poll's (Poll.Version): a reader holding an older poll
	// reads it again, since the creator edited it.
	Version int
}

// DeletesAt is when the retention job deletes the poll with its ballots and
// codes, given when it last got a ballot: retention after its end (when it
// was closed, or is to close) or after its last activity (creation, the
// latest ballot), whichever is later. Stores select expired polls by the same
// rule (DeleteExpired).
func (p *Poll) DeletesAt(lastVote *time.Time, retention time.Duration) time.Time {
	last := p.Created
	if lastVote != nil && lastVote.After(last) {
		last = *lastVote
	}
	end := p.ClosedAt
	if end == nil {
		end = p.ClosesAt
	}
	if end != nil && end.After(last) {
		last = *end
	}
	return last.Add(retention)
}

// Store keeps polls and ballots. Every implementation passes storetest.
type Store interface {
	// CreatePoll stores a validated poll with the keys (CodeKey) of its
	// first voter codes: one or more for a "code" poll, none otherwise.
	CreatePoll(ctx context.Context, p *Poll, codes []string) error
	// AddVoterCodes stores more voter codes (their keys) for a "code" poll:
	// ErrPollNotFound, ErrNotCodePoll, or an invalid "voter_codes" error past
	// MaxPollVoterCodes.
	AddVoterCodes(ctx context.Context, pollID string, codes []string) error
	// PollIDByJoinCode returns the ID of the poll with the join code
	// (NormalizeJoinCode's form), or ErrPollNotFound. CreatePoll answers
	// ErrJoinCodeTaken when a poll has the new poll's code.
	PollIDByJoinCode(ctx context.Context, code string) (string, error)
	// Poll returns the poll or ErrPollNotFound.
	Poll(ctx context.Context, id string) (*Poll, error)
	// Vote stores a ballot once it has committed, or with Change replaces
	// the voter's ballot, the counters moving in the same transaction;
	// ErrAlreadyVoted, ErrCodeUsed, ErrInvalidCode, ErrNotVoted, ErrNoChanges,
	// ErrPollClosed or ErrPollNotFound say why it was not stored.
	Vote(ctx context.Context, b Ballot) error
	// BallotByReceipt returns the poll's ballot whose receipt has the digest
	// (ReceiptDigest), or ErrReceiptUnknown.
	BallotByReceipt(ctx context.Context, pollID string, digest []byte) (CastBallot, error)
	// BallotOf returns the options of the poll's ballot under the voter key
	// (Poll.VoterKey), or ErrNotVoted.
	BallotOf(ctx context.Context, pollID, voterKey string) ([]int, error)
	// NameOf returns the name on the poll's ballot under the voter key (a
	// meeting participant's; empty for the other kinds), or ErrNotVoted.
	NameOf(ctx context.Context, pollID, voterKey string) (string, error)
	// Ballots calls each with every ballot of the poll, in the order they
	// were cast, reading them as it goes (constant memory), or returns
	// ErrPollNotFound. An error from each stops it and is returned.
	Ballots(ctx context.Context, pollID string, each func(CastBallot) error) error
	// HasVoted reports whether the poll has a ballot under the voter key
	// (Poll.VoterKey).
	HasVoted(ctx context.Context, pollID, voterKey string) (bool, error)
	// Results returns the counts of a poll, equal to its stored ballots.
	Results(ctx context.Context, pollID string) (Results, error)
	// EditPoll applies the creator's edit (Poll.Edit) to the poll under its
	// lock, against its counts at that moment, so that no ballot admitted
	// under the old rules commits after it; it bumps Version and returns the
	// poll as stored. ifVersion 0 edits any version; another that is not
	// the stored one gives ErrVersionStale.
	EditPoll(ctx context.Context, id string, ifVersion int, edit PollEdit, now time.Time) (*Poll, error)
	// ClosePoll closes a poll by hand at time now; closing twice keeps the first time.
	ClosePoll(ctx context.Context, id string, now time.Time) error
	// Decide records the slot (option ID, checked by Poll.CheckDecision)
	// picked for a meeting poll and closes it at time now, as ClosePoll
	// does; deciding again changes the slot. ErrPollNotFound when there is
	// no such meeting poll.
	Decide(ctx context.Context, id string, optionID int, now time.Time) error
	// PendingAnswers returns the voters' own answers of the poll that wait
	// for the creator (AnswerPending), with their votes, in ID order, or
	// ErrPollNotFound.
	PendingAnswers(ctx context.Context, pollID string) ([]StoredOption, error)
	// ReviewAnswer approves or rejects a pending answer (option ID), or
	// returns ErrAnswerNotPending; an approved answer is an option from then
	// on, a rejected one is never shown.
	ReviewAnswer(ctx context.Context, pollID string, optionID int, approve bool) error
	// DeletePoll removes a poll and its ballots.
	DeletePoll(ctx context.Context, id string) error
	// DeleteExpired takes one bounded step of the retention job in one
	// transaction: it finds a poll whose DeletesAt is before cutoff, closes
	// it (at its end, so that no vote starts a half-deleted poll again), and
	// deletes at most maxRows of its ballots and voter codes, or, when none
	// are left, the poll itself, which the change feed then tells of. It
	// returns the polls it deleted, and whether any expired poll was found
	// (false: nothing left to do). Nothing else is touched.
	DeleteExpired(ctx context.Context, cutoff time.Time, maxRows int) (deleted []string, found bool, err error)
	// Watch calls changed with the IDs of polls whose counts or state
	// changed (ballots committed, closed, deleted), once the change has
	// committed, whichever process sharing the store made it. A nil slice
	// means any poll may have changed: the feed was (re)connected and may
	// have missed changes. changed runs on the store's own goroutine: it
	// must return at once and must not call stop. stop ends the watch.
	Watch(changed func(pollIDs []string)) (stop func())
	// Ping reports whether the store can answer.
	Ping(ctx context.Context) error
	// Close flushes pending writes and releases the store.
	Close() error
}
