package web

import (
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// adminView is the data of the admin page and of the delete confirmation:
// the creator sees the counts whatever the poll's visibility.
type adminView struct {
	Poll  *pollstack.Poll
	Token string
	resultsView
	Access resultsAccess // what the public results page shows this browser
	Embed  string        // the <iframe> for other sites; empty: the poll allows none
	// Pending are voters' own answers that wait for the creator's approval.
	Pending []pollstack.StoredOption
	Edit    *editForm // the edit form, as the poll is or as typed
}

// MaxVoterCodes is the domain's limit on codes added at a time, for the form.
func (adminView) MaxVoterCodes() int { return pollstack.MaxVoterCodes }

// adminPage asks for the admin token: the admin link carries it in its
// fragment, which app.js puts into this form and posts; without JavaScript
// the creator pastes it. A token in the query is never read.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	if token := s.ownerToken(r, r.PathValue("id")); token != "" && s.authorize(r, r.PathValue("id"), token) == nil {
		s.renderAdmin(w, r, "admin", token)
		return
	}
	s.showAdminLogin(w, r, http.StatusOK, nil)
}

// adminLogin checks the posted token and shows the admin page, or the form
// again with what was wrong.
func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	err := s.authorize(r, r.PathValue("id"), token)
	if e := pollstack.ErrorOf(err); e == pollstack.ErrTokenMissing || e == pollstack.ErrTokenWrong {
		_, status := publicError(err)
		s.showAdminLogin(w, r, status, forPage(e))
		return
	}
	if err == nil {
		s.rememberPoll(w, r, r.PathValue("id"), token)
	}
	s.renderAdmin(w, r, "admin", token)
}

func (s *Server) showAdminLogin(w http.ResponseWriter, r *http.Request, status int, e *pollstack.Error) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, status, "admin-login", v.Poll.Question, struct {
		Poll  *pollstack.Poll
		Error *pollstack.Error
	}{v.Poll, e})
}

// renderAdmin shows one of the creator's pages, once the token is checked.
func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, name, token string) {
	s.renderCreatorPage(w, r, http.StatusOK, name, token, nil)
}

// renderAdminPage shows the admin page with its edit form: saved, or as
// typed with its error (nil: as the poll is).
func (s *Server) renderAdminPage(w http.ResponseWriter, r *http.Request, status int, token string, edit *editForm) {
	s.renderCreatorPage(w, r, status, "admin", token, edit)
}

func (s *Server) renderCreatorPage(w http.ResponseWriter, r *http.Request, status int, name, token string, edit *editForm) {
	v, err := s.creatorResults(r, r.PathValue("id"), token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	access, err := s.resultsAccess(r, v.Poll)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var pending []pollstack.StoredOption
	if v.Poll.AllowOther {
		if pending, err = s.store.PendingAnswers(r.Context(), v.Poll.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if edit == nil || edit.Saved {
		saved := edit != nil
		edit = newEditForm(v.Poll)
		edit.Saved = saved
	}
	s.render(w, r, status, name, v.Poll.Question, adminView{Poll: v.Poll, Token: token, resultsView: s.resultsView(v), Access: access,
		Embed: s.embedSnippet(r, v.Poll, embedWidth, embedHeight(v.Poll)), Pending: pending, Edit: edit})
}

// closePage and deletePage are the admin page's forms, through the API's
// closePoll and deletePoll; the token comes in the form body.
func (s *Server) closePage(w http.ResponseWriter, r *http.Request) {
	s.adminAction(w, r, s.closePoll, func(id string) string { return "/p/" + id + "/results" })
}

// deletePage deletes only what was confirmed: the admin page's button leads
// to a page that says what will be lost and asks again, with a form of its
// own, so that the step works without JavaScript.
func (s *Server) deletePage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.renderAdmin(w, r, "delete", s.adminToken(r))
		return
	}
	s.adminAction(w, r, s.deletePoll, func(string) string { return "/?deleted" })
}

// adminForm reads an admin form and checks its token (posted, or the
// creator cookie's); ok is false once it has answered with what was wrong.
func (s *Server) adminForm(w http.ResponseWriter, r *http.Request) (id, token string, ok bool) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return "", "", false
	}
	id, token = r.PathValue("id"), s.adminToken(r)
	if err := s.authorize(r, id, token); err != nil {
		s.writeError(w, r, err)
		return "", "", false
	}
	return id, token, true
}

func (s *Server) adminAction(w http.ResponseWriter, r *http.Request, act func(*http.Request, string, string) error, next func(id string) string) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := act(r, id, s.adminToken(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, next(id), http.StatusSeeOther)
}
