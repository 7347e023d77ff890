package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/pollstack/pollstack"
)

// Embedding: /p/{id}/embed is the one page another site may frame, and only
// the sites the poll's creator listed (embed_origins). /oembed describes a
// poll to sites and chat tools that read oEmbed (https://oembed.com).

const (
	embedPattern = "/p/{id}/embed"
	oembedPath   = "/oembed"
	// embedWidth is the frame's width unless the consumer asks for less;
	// its height grows with the options (embedHeight).
	embedWidth = 480
)

// isEmbedRoute reports whether the request is for the embed page, which is
// framed, so its cookie and its answers differ.
func isEmbedRoute(r *http.Request) bool { return strings.HasSuffix(r.Pattern, embedPattern) }

func embedPath(id string) string { return "/p/" + id + "/embed" }

// embedPolicy is the page policy with the poll's own frame-ancestors: the
// origins the creator listed (validated by the domain: no spaces or
// semicolons), or 'none' for a poll that allows no site.
func embedPolicy(p *pollstack.Poll) string {
	if !p.Embeddable() {
		return pageCSP
	}
	return strings.Replace(pageCSP, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(p.EmbedOrigins, " "), 1)
}

// embedView is the data of the embed page: the poll page's, with the
// results when this voter may see them.
type embedView struct {
	pollView
	Results *embedResults // nil: not visible to this voter yet
	// Partitioned: the voter cookie is SameSite=None and Partitioned (HTTPS),
	// so it works in a frame, one voter per embedding site.
	Partitioned bool
}

// embedResults is what the bars template draws: the poll and its counts.
type embedResults struct {
	Poll *pollstack.Poll
	resultsView
}

// errEmbedCookie refuses a vote from a frame that sent no voter cookie: the
// browser blocks cookies in frames (or the site is plain http and the frame
// is on another site), so the vote could not be told from a repeat.
var errEmbedCookie = &pollstack.Error{Kind: pollstack.KindForbidden, Code: "embed_cookie_missing",
	Message: "Your browser did not keep this poll's cookie inside the frame, so your vote could not be counted once. Vote in a new tab instead."}

// errOEmbedFormat answers an oEmbed request for another format than JSON
// (501, as the oEmbed spec asks).
var errOEmbedFormat = &pollstack.Error{Code: "oembed_format", Field: "format", Message: "Only format=json is offered."}

// embedPage shows the compact poll: the vote form and the live results.
func (s *Server) embedPage(w http.ResponseWriter, r *http.Request) {
	s.showPoll(w, r, http.StatusOK, nil, nil)
}

// embedVote takes a ballot from the frame and shows the frame again. The
// frame's form posts to our own origin, so the cross-origin check passes it
// as it passes the poll page's; a vote without the voter cookie (which the
// embed page set) is refused rather than counted as a stranger's.
func (s *Server) embedVote(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.countVote(err)
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	chosen, typed, err := s.postedBallot(r, id)
	if !validVoterID(voterCookieValue(r)) {
		s.showPoll(w, r, http.StatusForbidden, chosen, errEmbedCookie)
		return
	}
	if err != nil {
		s.countVote(err)
		s.showPollWith(w, r, http.StatusBadRequest, nil, pollstack.ErrorOf(err), func(d *pollView) { d.Ranks = typed })
		return
	}
	receipt, err := s.vote(w, r, id, chosen, r.PostFormValue("other"), r.PostFormValue("code"), false)
	if err != nil {
		if e, status := publicError(err); status < http.StatusInternalServerError {
			s.showPoll(w, r, status, chosen, e) // in the frame: an error page would be refused there
			return
		}
		s.writeError(w, r, err)
		return
	}
	if receipt != "" { // shown at once: a frame's cookies may not reach its next page
		s.showPollWith(w, r, http.StatusOK, nil, nil, func(d *pollView) { d.Receipt = receipt })
		return
	}
	http.Redirect(w, r, embedPath(id), http.StatusSeeOther)
}

// renderPoll draws the poll page, or the embed page when that was asked for.
func (s *Server) renderPoll(w http.ResponseWriter, r *http.Request, status int, data pollView) {
	if !isEmbedRoute(r) {
		s.render(w, r, status, "poll", data.Poll.Question, data)
		return
	}
	out := embedView{pollView: data, Partitioned: s.isTLS(r)}
	if data.Access.Visible {
		v, err := s.views.get(r.Context(), data.Poll.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Results = &embedResults{Poll: v.Poll, resultsView: s.resultsView(v)}
	}
	if data.Poll.Embeddable() {
		w.Header().Del("X-Frame-Options") // frame-ancestors says who may frame it
	}
	s.renderFramed(w, r, status, "embed", data.Poll.Question, out, embedPolicy(data.Poll))
}

// embedHeight is the frame's height for a poll: the question, an option
// row and a result row for each option, and the notes.
func embedHeight(p *pollstack.Poll) int { return 260 + 96*len(p.Options) }

// embedSnippet is the <iframe> that shows the poll on another site, at
// most width by height; empty when the poll allows no site or when its
// address is not absolute (no --public-url).
func (s *Server) embedSnippet(r *http.Request, p *pollstack.Poll, width, height int) string {
	src := s.absURL(r, embedPath(p.ID))
	if !p.Embeddable() || !strings.Contains(src, "://") {
		return ""
	}
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" style="border:0;max-width:100%%" loading="lazy"></iframe>`,
		html.EscapeString(src), html.EscapeString(s.locale(r).t("embed.frame_title", "Subject", p.Question)), width, height)
}

// oembedURL is the address of the poll's oEmbed description, for the poll
// page's <link rel="alternate">; empty when the poll's address is not absolute.
func (s *Server) oembedURL(r *http.Request, pollURL string) string {
	if !strings.Contains(pollURL, "://") {
		return ""
	}
	return s.absURL(r, oembedPath) + "?" + url.Values{"url": {pollURL}, "format": {"json"}}.Encode()
}

// oembedJSON is an oEmbed 1.0 answer: "rich" with the frame for a poll that
// allows embedding, "link" (title and provider only) for one that does not.
type oembedJSON struct {
	Type         string `json:"type"`
	Version      string `json:"version"`
	Title        string `json:"title"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url,omitempty"`
	HTML         string `json:"html,omitempty"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
}

// oembed answers GET /oembed?url=<a poll's link>&format=json, honouring
// maxwidth and maxheight. Only JSON is offered: format=xml is 501, as the
// spec asks of a format a provider does not serve.
func (s *Server) oembed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		e := s.locale(r).localizeError(errOEmbedFormat)
		writeJSON(w, http.StatusNotImplemented, errorBody{Error: errorDetail{Code: e.Code, Field: e.Field, Message: e.Message}})
		return
	}
	out, err := s.oembedAnswer(r, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*") // public: what the poll page shows anyone
	writeJSON(w, http.StatusOK, out)
}

// oembedAnswer describes the poll that the query's url links to.
func (s *Server) oembedAnswer(r *http.Request, q url.Values) (oembedJSON, error) {
	id, err := s.oembedPollID(r, q.Get("url"))
	if err != nil {
		return oembedJSON{}, err
	}
	v, err := s.views.get(r.Context(), id)
	if err != nil {
		return oembedJSON{}, err
	}
	maxWidth, err := oembedBound(q, "maxwidth", embedWidth)
	if err != nil {
		return oembedJSON{}, err
	}
	maxHeight, err := oembedBound(q, "maxheight", embedHeight(v.Poll))
	if err != nil {
		return oembedJSON{}, err
	}
	out := oembedJSON{Type: "link", Version: "1.0", Title: v.Poll.Question, ProviderName: "pollstack"}
	if home := s.absURL(r, "/"); strings.Contains(home, "://") {
		out.ProviderURL = home
	}
	if frame := s.embedSnippet(r, v.Poll, maxWidth, maxHeight); frame != "" {
		out.Type, out.HTML, out.Width, out.Height = "rich", frame, maxWidth, maxHeight
	}
	return out, nil
}

// oembedBound reads maxwidth or maxheight: a positive whole number that
// lowers the frame's size from def; absent: def.
func oembedBound(q url.Values, field string, def int) (int, error) {
	raw := q.Get(field)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || strings.IndexFunc(raw, func(c rune) bool { return !unicode.IsDigit(c) }) >= 0 {
		return 0, pollstack.Invalid(field, "oembed_"+field+"_invalid", "%s must be a whole number of pixels, 1 or more.", field).Keyed("oembed_size_invalid")
	}
	return min(n, def), nil
}

// oembedPollID reads the poll's ID from the url parameter: a poll's link
// (or its embed or results page) on this site's address. A server that does
// not know its address (no --public-url, not on loopback) recognises none.
func (s *Server) oembedPollID(r *http.Request, raw string) (string, error) {
	badURL := pollstack.Invalid("url", "oembed_url_invalid", "The url must be a poll's link on this site, such as %s.", s.absURL(r, "/p/POLL-ID"))
	if raw == "" {
		return "", pollstack.Invalid("url", "oembed_url_required", "Give the poll's link in url.")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, s.absURL(r, "")) {
		return "", badURL
	}
	rest, ok := strings.CutPrefix(u.Path, "/p/")
	if !ok {
		return "", badURL
	}
	id, page, _ := strings.Cut(rest, "/")
	if !pollstack.ValidPollID(id) || (page != "" && page != "embed" && page != "results") {
		return "", badURL
	}
	return id, nil
}

// typedOrigins splits the create form's embed_origins box: origins between
// spaces, commas or lines.
func typedOrigins(typed string) []string {
	return strings.FieldsFunc(typed, func(c rune) bool { return c == ',' || unicode.IsSpace(c) })
}

// MaxEmbedOrigins is the domain's limit on embedding sites, for the form.
func (f createForm) MaxEmbedOrigins() int { return pollstack.MaxEmbedOrigins }
