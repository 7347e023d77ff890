package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/pollstack/pollstack"
)

// Every page says where the voter stands: a confirmation after each vote,
// the voter's own choice on the results, and when a poll closed.

// flashCookie carries what the voter just did from a ballot's POST to the
// page it redirects to (post/redirect/get): that page confirms it once. It
// is scoped to the poll's pages and lives a minute.
const flashCookie = "pollstack_done"

// The confirmations a flash may carry (their words: confirm.<kind> in the
// catalogues); anything else is ignored.
var confirmations = map[string]bool{"voted": true, "code": true}

// confirm keeps what the voter did for the next page of the poll.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, pollID, done string) {
	s.keepForNextPage(w, r, flashCookie, pollID, done, 60)
}

// confirmation reads and clears the flash: the kind of vote just made
// ("voted", "code") or "" when there is none.
func (s *Server) confirmation(w http.ResponseWriter, r *http.Request, pollID string) string {
	done := s.takeFromPage(w, r, flashCookie, pollID)
	if !confirmations[done] {
		return ""
	}
	return done
}

// keepForNextPage keeps a value for the poll's next page, for maxAge
// seconds, in a cookie of the poll's pages (HttpOnly, SameSite Lax).
func (s *Server) keepForNextPage(w http.ResponseWriter, r *http.Request, name, pollID, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/p/" + pollID, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r)})
}

// takeFromPage returns what keepForNextPage kept ("" if nothing) and
// deletes it: it is shown once.
func (s *Server) takeFromPage(w http.ResponseWriter, r *http.Request, name, pollID string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	s.keepForNextPage(w, r, name, pollID, "", -1)
	return c.Value
}

// doneKind is what a first vote confirms: a code poll's vote, whose page
// cannot know the code again, or any other.
func doneKind(p *pollstack.Poll) string {
	if p.DuplicateCheck == pollstack.CheckCode {
		return "code"
	}
	return "voted"
}

// yourChoices are the options of the request's own ballot, to mark on the
// results: only where the ballot belongs to this browser's voter cookie
// (the browser check). An address or a code says who may vote, not who is
// looking, so those polls mark nothing.
func (s *Server) yourChoices(r *http.Request, p *pollstack.Poll) ([]int, error) {
	if p.DuplicateCheck != pollstack.CheckBrowser {
		return nil, nil
	}
	b, err := s.ballotOf(nil, r, p, "") // a new browser, or one with its marker, costs no read
	return b.Mine, err
}

// markYours flags the rows of the voter's own choices.
func markYours(rows []resultRow, mine []int) {
	for i := range rows {
		rows[i].Yours = slices.Contains(mine, rows[i].ID)
	}
}

// closedOn is when a poll closed: by hand or at its closing time, whichever
// came first; nil while it is open.
func closedOn(p *pollstack.Poll, now time.Time) *time.Time {
	var at *time.Time
	if p.ClosesAt != nil && !now.Before(*p.ClosesAt) {
		at = p.ClosesAt
	}
	if p.ClosedAt != nil && (at == nil || p.ClosedAt.Before(*at)) {
		at = p.ClosedAt
	}
	return at
}

// pageWords are the pages' words for errors whose API message speaks of
// HTTP: a person on a page has a link or a browser, not a header.
var pageWords = map[string]string{
	"admin_token_required": "Managing this poll needs its admin link, or the browser that created it: open the admin link you kept.",
}

// forPage is e as a page words it (its translations under page.<code>).
func forPage(e *pollstack.Error) *pollstack.Error {
	if words, ok := pageWords[e.Code]; ok {
		worded := *e
		worded.Message, worded.Key = words, "page."+e.Code
		return &worded
	}
	return e
}
