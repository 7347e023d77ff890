package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// share is what a page needs to pass a poll on: its address, the same
// without the scheme (Host, then /p/PollID: short enough to read out in a
// room), and its QR code.
type share struct {
	PollID string
	URL    string
	Host   string
	QR     template.HTML
	Embed  string // the <iframe> for other sites; empty: the poll allows none
	OEmbed string // the poll's oEmbed description, for <link rel="alternate">
}

// share is empty of Host and QR when the link is relative (no --public-url
// and not on loopback): a code that opens no site is worse than none.
func (s *Server) share(r *http.Request, p *pollstack.Poll) (share, error) {
	url := s.absURL(r, "/p/"+p.ID)
	_, rest, absolute := strings.Cut(url, "://")
	if !absolute {
		return share{PollID: p.ID, URL: url}, nil
	}
	qr, err := qrSVG(url)
	if err != nil {
		return share{}, err
	}
	return share{PollID: p.ID, URL: url, Host: strings.TrimSuffix(rest, "/p/"+p.ID), QR: qr,
		Embed: s.embedSnippet(r, p, embedWidth, embedHeight(p)), OEmbed: s.oembedURL(r, url)}, nil
}

// resultsAccess says whether a page may link to a poll's results and, when
// it may not, when they will show: no page offers a link that ends in a
// refusal.
type resultsAccess struct {
	PollID    string
	Visible   bool
	UntilVote bool       // hidden until this voter votes (or the poll closes)
	ClosesAt  *time.Time // hidden until the poll closes at this time; nil: until the creator closes it
}

func accessOf(p *pollstack.Poll, visible bool) resultsAccess {
	a := resultsAccess{PollID: p.ID, Visible: visible}
	if !visible {
		a.UntilVote = p.Visibility == pollstack.ResultsAfterVote
		a.ClosesAt = p.ClosesAt
	}
	return a
}

// resultsAccess is the request's voter's access to the poll's results.
func (s *Server) resultsAccess(r *http.Request, p *pollstack.Poll) (resultsAccess, error) {
	visible, err := s.resultsVisible(r, p)
	return accessOf(p, visible), err
}
