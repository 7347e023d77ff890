package web

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/pollstack/pollstack"
)

// Receipts of a verifiable poll (pollstack.NewReceipt): drawn when a
// ballot is cast, given to the API client in the vote's answer and to a
// browser on the next page of the poll, once; "check my vote" (the API's
// POST .../receipt and the page /p/{id}/check) finds the ballot again.

// receiptCookie carries a new receipt from the vote's POST to the page it
// redirects to, which shows it and deletes the cookie: the receipt never
// appears in a URL, and a reload does not show it again.
const receiptCookie = "receipt"

// keepReceipt keeps the receipt for the poll's next page.
func (s *Server) keepReceipt(w http.ResponseWriter, r *http.Request, pollID, receipt string) {
	s.keepForNextPage(w, r, receiptCookie, pollID, receipt, 600)
}

// takeReceipt returns the receipt kept for this poll's page, if any, and
// deletes it: it is shown once.
func (s *Server) takeReceipt(w http.ResponseWriter, r *http.Request, pollID string) string {
	receipt := s.takeFromPage(w, r, receiptCookie, pollID)
	if pollstack.CheckReceipt(receipt) != nil {
		return ""
	}
	return receipt
}

// checkReceipt finds the poll's ballot with the receipt, within the
// client's limit of downloads: each guess costs a token, so receipts
// cannot be tried in bulk (and there are 2^128 of them).
func (s *Server) checkReceipt(r *http.Request, pollID, receipt string) (*pollstack.Poll, pollstack.CastBallot, error) {
	if err := s.limit(r, s.downloads); err != nil {
		return nil, pollstack.CastBallot{}, err
	}
	p, err := s.views.poll(r.Context(), pollID)
	if err != nil {
		return nil, pollstack.CastBallot{}, err
	}
	if !p.Verifiable {
		return p, pollstack.CastBallot{}, pollstack.ErrNoReceipts
	}
	if err := pollstack.CheckReceipt(receipt); err != nil {
		return p, pollstack.CastBallot{}, err
	}
	b, err := s.store.BallotByReceipt(r.Context(), pollID, pollstack.ReceiptDigest(receipt))
	return p, b, err
}

// receiptRequest is the body of POST /api/v1/polls/{id}/receipt.
type receiptRequest struct {
	Receipt string `json:"receipt"`
}

// receiptBallotJSON is the ballot a receipt finds.
type receiptBallotJSON struct {
	PollID        string     `json:"poll_id"`
	OptionIDs     []int      `json:"option_ids"` // most preferred first in a ranked poll
	CastAt        time.Time  `json:"cast_at"`
	ChangedAt     *time.Time `json:"changed_at"`
	ReceiptSHA256 string     `json:"receipt_sha256"` // as the ballot file lists it
}

func (s *Server) apiCheckReceipt(w http.ResponseWriter, r *http.Request) {
	var req receiptRequest
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	_, b, err := s.checkReceipt(r, id, req.Receipt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, receiptBallotJSON{PollID: id, OptionIDs: b.OptionIDs, CastAt: b.Cast, ChangedAt: b.Changed, ReceiptSHA256: hex.EncodeToString(b.ReceiptDigest)})
}

// checkForm is the "check my vote" page: the form, and the ballot found.
type checkForm struct {
	Poll    *pollstack.Poll
	Receipt string // as typed
	Error   *pollstack.Error
	Found   []pollstack.Option // the ballot's options, in its order
	Ballot  pollstack.CastBallot
	Digest  string
}

func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.views.poll(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "check", p.Question, checkForm{Poll: p})
}

func (s *Server) checkPagePost(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := checkForm{Receipt: r.PostFormValue("receipt")}
	p, b, err := s.checkReceipt(r, r.PathValue("id"), f.Receipt)
	if p == nil {
		s.writeError(w, r, err)
		return
	}
	f.Poll = p
	if err != nil {
		e, status := publicError(err)
		if e.Kind == kindRateLimited {
			setRetryAfter(w, err)
		}
		f.Error = e
		s.render(w, r, status, "check", f.Poll.Question, f)
		return
	}
	f.Ballot, f.Digest = b, hex.EncodeToString(b.ReceiptDigest)
	for _, id := range b.OptionIDs {
		if id >= 1 && id <= len(p.Options) {
			f.Found = append(f.Found, p.Options[id-1])
		}
	}
	s.render(w, r, http.StatusOK, "check", f.Poll.Question, f)
}
