package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/pollstack/pollstack"
)

// The creator cookie lets the browser that made a poll (or opened its admin
// link) manage it again without the admin link: it holds the polls' IDs
// and admin tokens, newest first, sealed with AES-GCM under a key derived
// from the server key. Sealing signs it (an altered or forged cookie does
// not open) and hides the tokens from anything that sees request headers.
// Each use still checks the token against the poll's stored hash, so a
// cookie never grants more than the admin link it came from.
//
// It is HttpOnly, SameSite=Lax (a link from elsewhere opens the admin page;
// a form posted from elsewhere carries no cookie, and crossOrigin refuses
// it anyway), Secure behind TLS, for a year.
const creatorCookie = "pollstack_creator"

// maxOwnedPolls bounds the polls one browser remembers: 50 entries of 40
// characters sealed and encoded are about 2.7 kB, inside the 4 kB a browser
// keeps for one cookie. Past it the oldest poll is forgotten by this
// browser; its admin link still manages it.
const maxOwnedPolls = 50

// ownedPoll is one poll this browser manages.
type ownedPoll struct {
	ID, Token string
}

// creatorSeal derives the cookie's AES-256-GCM key from the server key, so
// that every server behind one load balancer opens the others' cookies.
func creatorSeal(serverKey []byte) cipher.AEAD {
	mac := hmac.New(sha256.New, serverKey)
	mac.Write([]byte("pollstack creator cookie v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// ownedPolls reads the creator cookie; nothing when it is absent, altered,
// forged or sealed under another key.
func (s *Server) ownedPolls(r *http.Request) []ownedPoll {
	c, err := r.Cookie(creatorCookie)
	if err != nil {
		return nil
	}
	plain, err := s.openCreatorCookie(c.Value)
	if err != nil {
		return nil
	}
	var out []ownedPoll
	for entry := range strings.SplitSeq(plain, ",") {
		id, token, ok := strings.Cut(entry, ":")
		if ok && pollstack.ValidPollID(id) && token != "" && len(out) < maxOwnedPolls {
			out = append(out, ownedPoll{ID: id, Token: token})
		}
	}
	return out
}

var errSealed = errors.New("creator cookie: cannot be opened")

func (s *Server) openCreatorCookie(value string) (string, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	n := s.creator.NonceSize()
	if err != nil || len(sealed) < n {
		return "", errSealed
	}
	plain, err := s.creator.Open(nil, sealed[:n], sealed[n:], []byte(creatorCookie))
	if err != nil {
		return "", errSealed
	}
	return string(plain), nil
}

// setOwnedPolls writes the creator cookie: at most maxOwnedPolls, and none
// (the cookie deleted) when the list is empty.
func (s *Server) setOwnedPolls(w http.ResponseWriter, r *http.Request, polls []ownedPoll) {
	cookie := &http.Cookie{Name: creatorCookie, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.isTLS(r)}
	if len(polls) == 0 {
		cookie.MaxAge = -1
		http.SetCookie(w, cookie)
		return
	}
	entries := make([]string, 0, min(len(polls), maxOwnedPolls))
	for _, p := range polls[:min(len(polls), maxOwnedPolls)] {
		entries = append(entries, p.ID+":"+p.Token)
	}
	nonce := make([]byte, s.creator.NonceSize())
	rand.Read(nonce)
	sealed := s.creator.Seal(nonce, nonce, []byte(strings.Join(entries, ",")), []byte(creatorCookie))
	cookie.Value = base64.RawURLEncoding.EncodeToString(sealed)
	http.SetCookie(w, cookie)
}

// rememberPoll puts a poll first in this browser's creator cookie.
func (s *Server) rememberPoll(w http.ResponseWriter, r *http.Request, id, token string) {
	polls := []ownedPoll{{ID: id, Token: token}}
	for _, p := range s.ownedPolls(r) {
		if p.ID != id {
			polls = append(polls, p)
		}
	}
	s.setOwnedPolls(w, r, polls)
}

// ownerToken is the admin token this browser's creator cookie holds for
// the poll, or "".
func (s *Server) ownerToken(r *http.Request, id string) string {
	for _, p := range s.ownedPolls(r) {
		if p.ID == id {
			return p.Token
		}
	}
	return ""
}

// adminToken is the token of an admin form: the one posted (from the admin
// link), else the creator cookie's for the poll.
func (s *Server) adminToken(r *http.Request) string {
	if token := strings.TrimSpace(r.PostFormValue("token")); token != "" {
		return token
	}
	return s.ownerToken(r, r.PathValue("id"))
}

// myPoll is one line of the "Your polls" page.
type myPoll struct {
	Poll     *pollstack.Poll
	Closed   bool
	Total    int
	AdminURL string
}

// myPollsPage lists the polls this browser manages, with their admin
// actions and admin links. Polls deleted meanwhile, or whose token no
// longer matches, are dropped from the cookie.
func (s *Server) myPollsPage(w http.ResponseWriter, r *http.Request) {
	owned := s.ownedPolls(r)
	var kept []ownedPoll
	var list []myPoll
	for _, o := range owned {
		v, err := s.views.get(r.Context(), o.ID)
		if errors.Is(err, pollstack.ErrPollNotFound) {
			continue
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !pollstack.TokenMatches(o.Token, v.Poll.AdminTokenHash) {
			continue
		}
		kept = append(kept, o)
		list = append(list, myPoll{Poll: v.Poll, Closed: v.Poll.Closed(s.now()), Total: v.Results.Total,
			AdminURL: s.adminURL(r, o.ID, o.Token)})
	}
	if len(kept) != len(owned) {
		s.setOwnedPolls(w, r, kept)
	}
	s.render(w, r, http.StatusOK, "mine", "", struct {
		Polls []myPoll
		Max   int
	}{list, maxOwnedPolls})
}
