package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pollstack/pollstack"
)

// Voter codes on the pages. A creator sees a batch of codes once: on the
// page after creating a code poll, and on the page after adding codes from
// the admin page. The codes are never stored (only their hashes), so the
// POST that made them hands the batch's seed to that page in a cookie, as
// it does the admin token; the page derives the codes from it, lists them
// to copy and offers them as a CSV download, and deletes the cookie.

// shownOnce is what a creator is shown once: the admin token and,
// for a code poll, a batch of voter codes.
type shownOnce struct {
	Token string
	Codes pollstack.CodeBatch
}

// secretsCookie carries a shownOnce from a POST to the page it redirects to.
const secretsCookie = "pollstack_admin"

// keepForPage puts secrets in a cookie that only the page at path receives:
// ten minutes, HttpOnly, SameSite=Strict, never in a URL.
func (s *Server) keepForPage(w http.ResponseWriter, r *http.Request, path string, secrets shownOnce) {
	value := secrets.Token
	if secrets.Codes.Count > 0 {
		value += "." + secrets.Codes.Seed + "." + strconv.Itoa(secrets.Codes.Count)
	}
	http.SetCookie(w, &http.Cookie{Name: secretsCookie, Value: value, Path: path, MaxAge: 600,
		HttpOnly: true, Secure: s.isTLS(r), SameSite: http.SameSiteStrictMode})
}

// takeForPage reads the secrets kept for this page, if they belong to the
// poll, and deletes the cookie: they are shown once.
func (s *Server) takeForPage(w http.ResponseWriter, r *http.Request, path string, p *pollstack.Poll) (shownOnce, bool) {
	c, err := r.Cookie(secretsCookie)
	if err != nil {
		return shownOnce{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: secretsCookie, Path: path, MaxAge: -1,
		HttpOnly: true, Secure: s.isTLS(r), SameSite: http.SameSiteStrictMode})
	parts := strings.Split(c.Value, ".")
	if !pollstack.TokenMatches(parts[0], p.AdminTokenHash) {
		return shownOnce{}, false
	}
	secrets := shownOnce{Token: parts[0]}
	if len(parts) == 3 {
		n, err := strconv.Atoi(parts[2])
		if err == nil && n >= 1 && n <= pollstack.MaxVoterCodes {
			secrets.Codes = pollstack.CodeBatch{Seed: parts[1], Count: n}
		}
	}
	return secrets, true
}

// codesView is a batch of codes as a page lists them.
type codesView struct {
	PollID string
	Token  string // for the CSV form, which checks it
	Batch  pollstack.CodeBatch
	Codes  []string
}

func newCodesView(p *pollstack.Poll, secrets shownOnce) *codesView {
	if secrets.Codes.Count == 0 {
		return nil
	}
	return &codesView{PollID: p.ID, Token: secrets.Token, Batch: secrets.Codes, Codes: secrets.Codes.Codes()}
}

// Text is the codes one a line, to copy.
func (c codesView) Text() string { return strings.Join(c.Codes, "\n") }

// Rows is the height of the box that lists them.
func (c codesView) Rows() int { return min(len(c.Codes), 10) }

func codesPath(id string) string { return "/p/" + id + "/codes" }

// addCodesPage is the admin page's form: it adds codes, then shows them.
func (s *Server) addCodesPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, token := r.PathValue("id"), s.adminToken(r)
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("voter_codes")))
	if err != nil {
		n = 0 // the domain refuses it in its own words
	}
	batch, err := s.addVoterCodes(r, id, token, n)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.keepForPage(w, r, codesPath(id), shownOnce{Token: token, Codes: batch})
	http.Redirect(w, r, codesPath(id), http.StatusSeeOther)
}

// codesPage shows the codes just added, once.
func (s *Server) codesPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	secrets, _ := s.takeForPage(w, r, codesPath(v.Poll.ID), v.Poll)
	s.render(w, r, http.StatusOK, "codes", v.Poll.Question, struct {
		Poll  *pollstack.Poll
		Codes *codesView
	}{v.Poll, newCodesView(v.Poll, secrets)})
}

// codesCSVPage downloads a batch of codes, derived again from the seed that
// the page listing them holds, with each code's link to the poll page
// (whose script fills the code in from the link's fragment). The admin token is checked: no one else makes
// the server derive codes.
func (s *Server) codesCSVPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := s.limit(r, s.downloads); err != nil { // deriving and writing 5,000 codes costs milliseconds and 440 KB
		s.writeError(w, r, err)
		return
	}
	if err := s.authorize(r, id, r.PostFormValue("token")); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PostFormValue("count"))
	if err != nil || n < 1 || n > pollstack.MaxVoterCodes {
		s.writeError(w, r, pollstack.Invalid("count", "voter_codes_count", "Ask for 1 to %d voter codes.", pollstack.MaxVoterCodes))
		return
	}
	batch := pollstack.CodeBatch{Seed: r.PostFormValue("seed"), Count: n}
	rows := [][]string{{"code", "link"}}
	for _, code := range batch.Codes() {
		rows = append(rows, []string{code, codeLink(s.absURL(r, "/p/"+id), code)})
	}
	writeCSV(w, "poll-"+id+"-voter-codes.csv", rows)
}

// codeLink is a poll's link that carries a voter code. The code is in the
// fragment, which a browser never sends: no load balancer, WAF or access
// log records it, and it is no part of the history's requests. The poll
// page's script copies it into the code box; without JavaScript the voter
// types it.
func codeLink(pollURL, code string) string {
	return pollURL + "#code=" + code
}
