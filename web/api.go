package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/metrics"
)

// createPollRequest is the body of POST /api/v1/polls.
type createPollRequest struct {
	Question       string   `json:"question"`
	Description    string   `json:"description"`
	Options        []string `json:"options"`
	Multiple       bool     `json:"multiple"`
	Kind           string   `json:"kind"`         // single, multiple, ranked or meeting; empty: single, or multiple with "multiple"
	MaxRankings    int      `json:"max_rankings"` // ranked: the most options a ballot ranks; 0: every option
	MinChoices     int      `json:"min_choices"`  // 0: no limit of its own
	MaxChoices     int      `json:"max_choices"`
	AllowChanges   bool     `json:"allow_changes"`
	ClosesAt       *string  `json:"closes_at"` // RFC 3339
	Results        string   `json:"results"`
	DuplicateCheck string   `json:"duplicate_check"`
	VoterCodes     int      `json:"voter_codes"`   // how many, for a "code" poll
	EmbedOrigins   []string `json:"embed_origins"` // https origins that may frame the poll, or ["*"]
	// Slots are a meeting poll's options; HideNames shows totals only.
	Slots     []slotRequest `json:"slots"`
	HideNames bool          `json:"hide_names"`
	// AllowOther lets voters write an answer of their own; OtherApproval
	// ("auto" or "creator") says whether new answers wait for the creator.
	AllowOther    bool   `json:"allow_other"`
	OtherApproval string `json:"other_approval"`
	// BallotsPublic lets anyone download the ballot file once the poll has closed.
	BallotsPublic bool `json:"ballots_public"`
	// Verifiable gives each voter a receipt that finds their ballot again.
	Verifiable bool `json:"verifiable"`
	Kiosk      bool `json:"kiosk"` // a shared device: the page resets for the next voter; duplicate check none
}

// draft turns the request into the domain's PollDraft.
func (req createPollRequest) draft() (pollstack.PollDraft, error) {
	n := pollstack.PollDraft{Question: req.Question, Description: req.Description, Options: req.Options, Multiple: req.Multiple,
		Kind: pollstack.PollKind(req.Kind), MaxRankings: req.MaxRankings,
		MinChoices: req.MinChoices, MaxChoices: req.MaxChoices, AllowChanges: req.AllowChanges, Visibility: pollstack.Visibility(req.Results),
		DuplicateCheck: pollstack.DuplicateCheck(req.DuplicateCheck), VoterCodes: req.VoterCodes, EmbedOrigins: req.EmbedOrigins,
		Slots: slotDrafts(req.Slots), HideNames: req.HideNames, Kiosk: req.Kiosk,
		AllowOther: req.AllowOther, OtherApproval: pollstack.OtherApproval(req.OtherApproval),
		BallotsPublic: req.BallotsPublic, Verifiable: req.Verifiable}
	if req.ClosesAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ClosesAt)
		if err != nil {
			return n, pollstack.Invalid("closes_at", "closes_at_invalid", "The closing time must be a date and time with its offset from UTC, such as 2030-01-02T15:04:05Z.")
		}
		n.ClosesAt = &t
	}
	return n, nil
}

// decodeCreatePoll reads and checks a create request: the one path from
// bytes to a valid poll, shared by the handler and the fuzz test.
func decodeCreatePoll(body []byte, now time.Time) (*pollstack.Poll, string, error) {
	var req createPollRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, "", err
	}
	n, err := req.draft()
	if err != nil {
		return nil, "", err
	}
	p, secrets, err := n.NewPoll(now)
	return p, secrets.AdminToken, err
}

type optionJSON struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

type pollJSON struct {
	ID             string              `json:"id"`
	Question       string              `json:"question"`
	Description    string              `json:"description"`
	Options        []optionJSON        `json:"options"`
	Multiple       bool                `json:"multiple"`
	Kind           string              `json:"kind"`
	MaxRankings    int                 `json:"max_rankings,omitempty"` // ranked polls only
	MinChoices     int                 `json:"min_choices"`
	MaxChoices     int                 `json:"max_choices"`
	AllowChanges   bool                `json:"allow_changes"`
	ClosesAt       *time.Time          `json:"closes_at"`
	Closed         bool                `json:"closed"`
	ClosedAt       *time.Time          `json:"closed_at"`
	Results        string              `json:"results"`
	DuplicateCheck string              `json:"duplicate_check"`
	CreatedAt      time.Time           `json:"created_at"`
	EmbedOrigins   []string            `json:"embed_origins,omitempty"` // absent: no site may frame the poll
	AdminToken     string              `json:"admin_token,omitempty"`
	VoterCodes     []string            `json:"voter_codes,omitempty"` // shown once, like the admin token
	Slots          []slotJSON          `json:"slots,omitempty"`       // meeting polls only, as their options
	HideNames      bool                `json:"hide_names,omitempty"`
	Decided        int                 `json:"decided,omitempty"` // the slot picked for a meeting poll
	AllowOther     bool                `json:"allow_other,omitempty"`
	OtherApproval  string              `json:"other_approval,omitempty"`
	BallotsPublic  bool                `json:"ballots_public"` // anyone may download the ballot file once the poll has closed
	Verifiable     bool                `json:"verifiable"`     // each voter gets a receipt
	Kiosk          bool                `json:"kiosk"`
	JoinCode       string              `json:"join_code,omitempty"` // the short code for /j/CODE; absent on old polls
	Version        int                 `json:"version"`             // counts the creator's edits; the ETag
	Changes        []pollstack.Relabel `json:"changes"`             // options renamed after they had votes
}

func (s *Server) pollJSON(p *pollstack.Poll) pollJSON {
	out := pollJSON{ID: p.ID, Question: p.Question, Description: p.Description, Multiple: p.Multiple, Kind: string(p.Kind()),
		MinChoices: p.MinChoices, MaxChoices: p.MaxChoices, AllowChanges: p.AllowChanges, ClosesAt: p.ClosesAt,
		Closed: p.Closed(s.now()), Results: string(p.Visibility), DuplicateCheck: string(p.DuplicateCheck), ClosedAt: closedOn(p, s.now()), CreatedAt: p.Created,
		EmbedOrigins: p.EmbedOrigins, AllowOther: p.AllowOther, OtherApproval: string(p.OtherApproval),
		BallotsPublic: p.BallotsPublic, Verifiable: p.Verifiable, Version: p.Version, Changes: p.Relabels, JoinCode: p.JoinCode, Kiosk: p.Kiosk}
	if out.Changes == nil {
		out.Changes = []pollstack.Relabel{}
	}
	for _, o := range p.Options {
		out.Options = append(out.Options, optionJSON{ID: o.ID, Label: o.Label})
	}
	if p.Ranked {
		out.MaxRankings = p.MaxChoices
	}
	if p.Meeting {
		out.Slots, out.HideNames, out.Decided = slotsJSON(p), p.HideNames, p.Decided
	}
	return out
}

type resultOptionJSON struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
	Votes int    `json:"votes"`
}

type resultsJSON struct {
	Total   int                `json:"total"`
	Options []resultOptionJSON `json:"options"`
	Closed  bool               `json:"closed"`
	rankedResultsJSON
	meetingResultsJSON
}

func (s *Server) apiCreatePoll(w http.ResponseWriter, r *http.Request) {
	var req createPollRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, secrets, err := s.createPoll(r, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := s.pollJSON(p)
	out.AdminToken, out.VoterCodes = secrets.AdminToken, secrets.Codes.Codes()
	w.Header().Set("Location", "/api/v1/polls/"+p.ID)
	writeJSON(w, http.StatusCreated, out)
}

// createPoll validates and stores a poll, within the client's rate limit;
// the pages use it too.
//
// The limit is taken once the poll is valid: a form sent back for a typo
// costs no creation.
func (s *Server) createPoll(r *http.Request, req createPollRequest) (*pollstack.Poll, pollstack.Secrets, error) {
	n, err := req.draft()
	if err != nil {
		return nil, pollstack.Secrets{}, err
	}
	p, secrets, err := n.NewPoll(s.now())
	if err == nil {
		err = s.chargeVoterCodes(r, secrets.Codes.Count)
	}
	if err != nil {
		return nil, pollstack.Secrets{}, err
	}
	if err := s.limit(r, s.creates); err != nil {
		return nil, pollstack.Secrets{}, err
	}
	err = s.store.CreatePoll(r.Context(), p, secrets.Codes.Keys())
	for try := 0; errors.Is(err, pollstack.ErrJoinCodeTaken) && try < 3; try++ { // rare: draw another
		p.JoinCode = pollstack.NewJoinCode()
		err = s.store.CreatePoll(r.Context(), p, secrets.Codes.Keys())
	}
	if err != nil {
		return nil, pollstack.Secrets{}, err
	}
	s.log.Info("poll created", "request_id", requestID(r.Context()), "poll_id", p.ID, "options", len(p.Options), "duplicate_check", string(p.DuplicateCheck))
	return p, secrets, nil
}

func (s *Server) apiGetPoll(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(v.Poll))
	writeJSON(w, http.StatusOK, s.pollJSON(v.Poll))
}

type voteRequest struct {
	OptionIDs []int  `json:"option_ids"`
	Code      string `json:"code"` // the voter code, for a "code" poll
	// A meeting poll's ballot: the participant's name, and an answer per
	// slot keyed by slot ID (a slot left out is "no").
	Name    string            `json:"name"`
	Answers map[string]string `json:"answers"`
	// Other is the voter's own answer, for a poll with allow_other.
	Other string `json:"other"`
}

// meetingVoteJSON is a meeting ballot as stored.
type meetingVoteJSON struct {
	PollID    string            `json:"poll_id"`
	Name      string            `json:"name"`
	Answers   map[string]string `json:"answers"`
	CanChange bool              `json:"can_change"`
}

type voteJSON struct {
	PollID    string `json:"poll_id"`
	OptionIDs []int  `json:"option_ids"`
	Receipt   string `json:"receipt,omitempty"` // a verifiable poll's receipt, given this once
}

func (s *Server) apiVote(w http.ResponseWriter, r *http.Request) { s.apiBallot(w, r, false) }

// apiChangeVote replaces the request's voter's ballot.
func (s *Server) apiChangeVote(w http.ResponseWriter, r *http.Request) { s.apiBallot(w, r, true) }

// apiBallot stores a vote (201) or a change of one (200).
func (s *Server) apiBallot(w http.ResponseWriter, r *http.Request, change bool) {
	req, err := readVote(w, r)
	if err != nil {
		if !change {
			s.countVote(err)
		}
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	ballot := pollstack.Ballot{PollID: id, OptionIDs: req.OptionIDs, Change: change, Other: req.Other}
	var meeting *pollstack.Poll // set when the request answers as a meeting participant
	if req.Answers != nil || req.Name != "" {
		v, err := s.views.get(r.Context(), id)
		if err == nil {
			meeting = v.Poll
			ballot.Name, ballot.OptionIDs, err = meetingBallot(v.Poll, req)
		}
		if err != nil {
			if !change {
				s.countVote(err)
			}
			s.writeError(w, r, err)
			return
		}
	}
	receipt, err := s.cast(w, r, ballot, req.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if meeting != nil {
		status := http.StatusCreated
		if change {
			status = http.StatusOK
		}
		writeJSON(w, status, meetingVoteJSON{PollID: id, Name: ballot.Name, Answers: answersJSON(meeting, ballot.OptionIDs), CanChange: s.canChange(meeting)})
		return
	}
	if change {
		writeJSON(w, http.StatusOK, myVoteJSON{PollID: id, OptionIDs: req.OptionIDs, CanChange: true})
		return
	}
	writeJSON(w, http.StatusCreated, voteJSON{PollID: id, OptionIDs: req.OptionIDs, Receipt: receipt})
}

// vote stores the request's voter's ballot, or with change replaces it,
// within the client's rate limit, and gives the browser the ballot's marker
// (see ballot.go); the pages use it too. Changes are not votes for the vote
// metrics.
func (s *Server) vote(w http.ResponseWriter, r *http.Request, pollID string, optionIDs []int, other, code string, change bool) (receipt string, err error) {
	return s.cast(w, r, pollstack.Ballot{PollID: pollID, OptionIDs: optionIDs, Change: change, Other: other}, code)
}

// cast stores the ballot as the request's voter's, as vote does: a meeting
// participant's answers come here with their name.
func (s *Server) cast(w http.ResponseWriter, r *http.Request, b pollstack.Ballot, code string) (receipt string, err error) {
	if err := s.limitVote(r); err != nil {
		return "", err
	}
	receipt, err = s.castBallot(w, r, b, code)
	if !b.Change {
		s.countVote(err)
	}
	return receipt, err
}

// castBallot stores the ballot (a change only from a browser that may make
// it) and gives the browser its marker; a new ballot of a verifiable poll
// gets a receipt, returned to be shown once.
func (s *Server) castBallot(w http.ResponseWriter, r *http.Request, b pollstack.Ballot, code string) (receipt string, err error) {
	p, err := s.views.poll(r.Context(), b.PollID)
	if err != nil {
		return "", err
	}
	if b.Other, err = pollstack.CleanOther(b.Other); err != nil {
		return "", err
	}
	if b.Change {
		if err := s.mayChange(w, r, p, code); err != nil {
			return "", err
		}
	} else if p.Verifiable {
		receipt, b.ReceiptDigest = pollstack.NewReceipt()
	}
	b.Voter = s.voter(r, b.PollID, code)
	if err := s.store.Vote(r.Context(), b); err != nil {
		return "", err
	}
	s.views.invalidate(b.PollID)
	if key := p.VoterKey(b.Voter); key != "" {
		s.markBallot(w, r, b.PollID, key, b.OptionIDs)
	}
	return receipt, nil
}

// mayChange refuses a change of an "ip" poll's ballot from any browser but
// the one that cast it: the address is shared. A browser poll's key is the
// browser itself, and the store refuses changes where the poll takes none.
func (s *Server) mayChange(w http.ResponseWriter, r *http.Request, p *pollstack.Poll, code string) error {
	if p.DuplicateCheck != pollstack.CheckAddress || !p.TakesChanges() {
		return nil
	}
	_, err := s.ownBallot(w, r, p, code)
	return err
}

// myVoteJSON is the voter's own ballot, and whether it may still change.
type myVoteJSON struct {
	PollID    string `json:"poll_id"`
	OptionIDs []int  `json:"option_ids"`
	CanChange bool   `json:"can_change"`
}

// voterCodeHeader carries the voter code of a GET, which has no body; a
// header stays out of the access logs that record URLs.
const voterCodeHeader = "X-Voter-Code"

// apiMyVote returns the request's voter's ballot.
func (s *Server) apiMyVote(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	options, err := s.ownBallot(w, r, v.Poll, r.Header.Get(voterCodeHeader))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v.Poll.Meeting {
		name, err := s.myName(r, v.Poll, r.Header.Get(voterCodeHeader))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, meetingVoteJSON{PollID: v.Poll.ID, Name: name, Answers: answersJSON(v.Poll, options), CanChange: s.canChange(v.Poll)})
		return
	}
	writeJSON(w, http.StatusOK, myVoteJSON{PollID: v.Poll.ID, OptionIDs: options, CanChange: s.canChange(v.Poll)})
}

// myKey is the request's voter's key in the poll, for a lookup of their
// ballot: ErrInvalidCode for a code poll without a code, ErrNotVoted
// where the poll keeps nobody's (a kiosk).
func (s *Server) myKey(r *http.Request, p *pollstack.Poll, code string) (string, error) {
	key := p.VoterKey(s.voter(r, p.ID, code))
	switch {
	case key == "" && p.DuplicateCheck == pollstack.CheckCode:
		return "", pollstack.ErrInvalidCode
	case key == "":
		return "", pollstack.ErrNotVoted
	}
	return key, nil
}

// myName is the name on the request's voter's meeting ballot.
func (s *Server) myName(r *http.Request, p *pollstack.Poll, code string) (string, error) {
	key, err := s.myKey(r, p, code)
	if err != nil {
		return "", err
	}
	return s.store.NameOf(r.Context(), p.ID, key)
}

// canChange reports whether a ballot of the poll may change now.
func (s *Server) canChange(p *pollstack.Poll) bool {
	return p.TakesChanges() && !p.Closed(s.now())
}

// hasVoted reports whether the request's voter has a ballot in the poll,
// under its duplicate check: never for a kiosk, nor for a code poll (no code
// at hand).
func (s *Server) hasVoted(r *http.Request, p *pollstack.Poll) (bool, error) {
	b, err := s.ballotOf(nil, r, p, "")
	if errors.Is(err, pollstack.ErrInvalidCode) {
		return false, nil
	}
	return b.Voted, err
}

// countVote records a vote's outcome: acknowledged, refused (the voter's
// mistake or a rule, by its code) or failed (ours: 5xx).
func (s *Server) countVote(err error) {
	if err == nil {
		s.cfg.Metrics.Vote(metrics.VoteAcknowledged, "")
		return
	}
	e, status := publicError(err)
	if status >= 500 {
		s.cfg.Metrics.Vote(metrics.VoteFailed, e.Code)
		return
	}
	s.cfg.Metrics.Vote(metrics.VoteRefused, e.Code)
}

func (s *Server) apiResults(w http.ResponseWriter, r *http.Request) {
	v, err := s.visibleResults(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.resultsJSON(v))
}

// visibleResults returns the poll's view if its results may be shown to
// the request's voter, or ErrResultsHidden. The creator (the request carries
// the admin token as a Bearer token) always sees them; a wrong token is
// refused rather than treated as no token.
func (s *Server) visibleResults(r *http.Request, pollID string) (view, error) {
	if token := bearerToken(r); token != "" || r.Header.Get("Authorization") != "" {
		return s.creatorResults(r, pollID, token)
	}
	v, err := s.views.get(r.Context(), pollID)
	if err != nil {
		return view{}, err
	}
	visible, err := s.resultsVisible(r, v.Poll)
	if err != nil {
		return view{}, err
	}
	if !visible {
		return view{}, pollstack.ErrResultsHidden
	}
	return v, nil
}

// creatorResults returns the poll's view, whatever its visibility, to the
// holder of its admin token.
func (s *Server) creatorResults(r *http.Request, pollID, token string) (view, error) {
	if err := s.authorize(r, pollID, token); err != nil {
		return view{}, err
	}
	return s.views.get(r.Context(), pollID)
}

// resultsVisible reports whether the request's voter may see the poll's
// results now; only an open after_vote poll needs to ask the store.
func (s *Server) resultsVisible(r *http.Request, p *pollstack.Poll) (bool, error) {
	now := s.now()
	if p.Visibility != pollstack.ResultsAfterVote || p.Closed(now) {
		return p.ResultsVisible(now, false), nil
	}
	voted, err := s.hasVoted(r, p)
	if err != nil {
		return false, err
	}
	return p.ResultsVisible(now, voted), nil
}

func (s *Server) resultsJSON(v view) resultsJSON {
	out := resultsJSON{Total: v.Results.Total, Closed: v.Poll.Closed(s.now()), Options: []resultOptionJSON{}}
	for _, o := range v.Poll.Options {
		out.Options = append(out.Options, resultOptionJSON{ID: o.ID, Label: o.Label, Votes: v.Results.Counts[o.ID]})
	}
	if v.Count != nil {
		out.addRounds(v.Poll, *v.Count)
	}
	if v.Poll.Meeting {
		out.meetingResultsJSON.add(v)
	}
	return out
}

func (s *Server) apiClosePoll(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.writePollAfter(w, r, id, s.closePoll(r, id, bearerToken(r)))
}

// writePollAfter answers a creator's action on the poll (its error, done
// when nil) with the poll as it now is.
func (s *Server) writePollAfter(w http.ResponseWriter, r *http.Request, id string, done error) {
	if done != nil {
		s.writeError(w, r, done)
		return
	}
	v, err := s.views.get(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.pollJSON(v.Poll))
}

func (s *Server) apiDeletePoll(w http.ResponseWriter, r *http.Request) {
	if err := s.deletePoll(r, r.PathValue("id"), bearerToken(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type voterCodesRequest struct {
	VoterCodes int `json:"voter_codes"` // how many
}

type voterCodesJSON struct {
	VoterCodes []string `json:"voter_codes"`
}

// apiAddVoterCodes mints more voter codes for a code poll; like the first
// ones, they are shown once.
func (s *Server) apiAddVoterCodes(w http.ResponseWriter, r *http.Request) {
	var req voterCodesRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	batch, err := s.addVoterCodes(r, r.PathValue("id"), bearerToken(r), req.VoterCodes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, voterCodesJSON{VoterCodes: batch.Codes()})
}

// addVoterCodes checks the admin token, then stores n new codes, within the
// client's limit of creations; the admin page uses it too.
func (s *Server) addVoterCodes(r *http.Request, id, token string, n int) (pollstack.CodeBatch, error) {
	if err := s.limit(r, s.creates); err != nil {
		return pollstack.CodeBatch{}, err
	}
	if err := s.authorize(r, id, token); err != nil {
		return pollstack.CodeBatch{}, err
	}
	batch, err := pollstack.MintCodes(n)
	if err == nil {
		err = s.chargeVoterCodes(r, n)
	}
	if err != nil {
		return pollstack.CodeBatch{}, err
	}
	if err := s.store.AddVoterCodes(r.Context(), id, batch.Keys()); err != nil {
		return pollstack.CodeBatch{}, err
	}
	s.log.Info("voter codes added", "request_id", requestID(r.Context()), "poll_id", id, "count", n)
	return batch, nil
}

// closePoll and deletePoll check the admin token first; the pages use them too.
func (s *Server) closePoll(r *http.Request, id, token string) error {
	if err := s.authorize(r, id, token); err != nil {
		return err
	}
	if err := s.store.ClosePoll(r.Context(), id, s.now()); err != nil {
		return err
	}
	s.views.invalidate(id)
	s.log.Info("poll closed", "request_id", requestID(r.Context()), "poll_id", id)
	return nil
}

func (s *Server) deletePoll(r *http.Request, id, token string) error {
	if err := s.authorize(r, id, token); err != nil {
		return err
	}
	if err := s.store.DeletePoll(r.Context(), id); err != nil {
		return err
	}
	s.views.invalidate(id)
	s.log.Info("poll deleted", "request_id", requestID(r.Context()), "poll_id", id)
	return nil
}

// authorize checks the admin token against the stored hash, in constant time.
// The poll is read from the store, not the cache: a token check must see
// the latest state.
func (s *Server) authorize(r *http.Request, id, token string) error {
	p, err := s.store.Poll(r.Context(), id)
	if err != nil {
		return err
	}
	switch {
	case token == "":
		return pollstack.ErrTokenMissing
	case !pollstack.TokenMatches(token, p.AdminTokenHash):
		return pollstack.ErrTokenWrong
	}
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
