package web

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pollstack/pollstack"
)

// Pages: every action is a plain form post answered by a redirect
// (post/redirect/get), so that everything works without JavaScript; the one
// script, /static/app.js, only adds live results and copying the link.

// pageCSP is the policy of every HTML page: scripts, styles and fetches from
// this origin only, no inline script, never framed. Images may be data: URLs
// (none are today; inline SVG needs no source).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// page is what every template gets: the page's name (its template, which
// the body's class names for the stylesheet), its title, its own data, its
// language and the address the language menu comes back to.
type page struct {
	Name  string
	Title string
	Data  any
	Lang  *locale
	Here  string
}

// render writes a page with its status, in the request's language; subject
// (the poll's question, an error's heading) goes into the title. Pages are
// personal (votes, tokens) and live, so they are not stored by caches; they
// send no Referer, so a poll or admin address never leaks to another site.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, subject string, data any) {
	s.renderFramed(w, r, status, name, subject, data, pageCSP)
}

// renderFramed is render with a policy of the page's own: the embed page's
// frame-ancestors.
func (s *Server) renderFramed(w http.ResponseWriter, r *http.Request, status int, name, subject string, data any, policy string) {
	var buf bytes.Buffer
	l := s.locale(r)
	p := page{Name: name, Title: l.t("title."+name, "Subject", subject), Data: data, Lang: l, Here: s.here(r)}
	if err := s.pages[l.Code][name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "page", name, "error", err.Error())
		http.Error(w, l.localizeError(errInternal).Message, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", l.Code)
	h.Set("Content-Security-Policy", policy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the data of the page that says what went wrong.
type errorPage struct {
	Heading string
	Message string
	PollID  string         // the poll the request was about, for a link back to it
	Access  *resultsAccess // and to its results, or when they will show; nil: unknown
}

// errorHeadings are the statuses whose error pages have a heading of
// their own (heading.<status> in the catalogues); others say that something
// went wrong (heading.default).
var errorHeadings = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
	http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict,
	http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusServiceUnavailable}

// renderError answers an error as a page; writeError chooses it for every
// path outside /api/.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, e *pollstack.Error, status int) {
	l := s.locale(r)
	heading := "heading.default"
	if slices.Contains(errorHeadings, status) {
		heading = "heading." + strconv.Itoa(status)
	}
	data := errorPage{Heading: l.t(heading), Message: l.localizeError(forPage(e)).Message}
	if e.Kind != pollstack.KindNotFound {
		data.PollID = r.PathValue("id")
	}
	if data.PollID != "" {
		data.Access = s.errorAccess(r, data.PollID)
	}
	s.render(w, r, status, "error", data.Heading, data)
}

// errorAccess is the voter's access to the results of the poll an error
// page is about, or nil when the poll cannot be read (the page then offers
// no results link rather than one that may be refused).
func (s *Server) errorAccess(r *http.Request, id string) *resultsAccess {
	v, err := s.views.get(r.Context(), id)
	if err != nil {
		return nil
	}
	a, err := s.resultsAccess(r, v.Poll)
	if err != nil {
		return nil
	}
	return &a
}

// parseForm reads a form body (of at most maxBody bytes: see bodies), in
// UTF-8 (browsers send the page's charset; anything else is refused rather
// than misread). Only the POST handlers that expect a form call it.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if err := checkMediaType(r, "application/x-www-form-urlencoded"); err == errCharset {
		return err
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return pollstack.Invalid("", "form_unreadable", "The form could not be read.")
	}
	return nil
}

// formError shows a broken rule in the form (rerender), and so a refusal by
// a rate limit, which keeps what was chosen or typed (with Retry-After, which
// app.js waits for before it sends the form again); any other error as its
// own page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, rerender func(e *pollstack.Error, status int)) {
	e, status := publicError(err)
	e = s.locale(r).localizeError(e)
	switch {
	case status == http.StatusBadRequest && e.Kind == pollstack.KindInvalid:
		rerender(e, status)
	case e.Kind == kindRateLimited && setRetryAfter(w, err):
		rerender(e, status)
	default:
		s.writeError(w, r, err)
	}
}

// absURL is path on the site's public address (--public-url). Without one
// the request's own host is used only when it is a loopback name or
// address, which no one else can point at; otherwise the link stays
// relative: a Host header never decides where a link sends people.
func (s *Server) absURL(r *http.Request, path string) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL + path
	}
	if !loopbackHost(r.Host) {
		return path
	}
	scheme := "http"
	if s.isTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// loopbackHost reports whether a Host header names this machine only.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && addr.IsLoopback()
}

// errCrossOrigin answers a form post or API call that a browser sent from
// another site.
var errCrossOrigin = &pollstack.Error{Kind: pollstack.KindForbidden, Code: "cross_origin",
	Message: "This request came from another site and was refused. Use the form on this site."}

// crossOrigin refuses non-safe requests that a browser marks as coming from
// another origin (Sec-Fetch-Site, or Origin against Host): every form post
// and API call. Clients that send neither header, like curl, pass.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := cop.Check(r); err != nil {
			s.writeError(w, r, fmt.Errorf("%w: %v", errCrossOrigin, err))
			return
		}
		next.ServeHTTP(w, r)
	})
}
