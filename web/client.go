package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"net/netip"
	"strings"

	"github.com/pollstack/pollstack"
)

// clientAddr is the address of the client that sent r. Without a trusted
// proxy it is the socket's peer. Behind one (the ALB, --trust-proxy) it is
// the right-most entry of the one X-Forwarded-For line: the entry the proxy
// appended. Entries to its left are whatever the client wrote and are never
// believed, so a forged header cannot change whose vote or whose rate limit
// it is.
//
// Several X-Forwarded-For lines reach us only when the client sent lines of
// its own and the proxy appended to one of them; which one, the server
// cannot tell (appending to the first line leaves the client's own line
// last). No browser or proxy sends two, so such a request counts as the
// proxy's own address, as one without a usable entry does: all such
// requests share one ballot and one rate limit, and a forger gains nothing.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	addr := peer.Addr()
	if err != nil {
		addr = netip.IPv6Unspecified() // httptest and unusual listeners; still one bucket
	}
	if s.cfg.TrustProxy {
		if values := r.Header.Values("X-Forwarded-For"); len(values) == 1 {
			last := values[0]
			last = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
			if a, err := netip.ParseAddr(last); err == nil {
				addr = a
			}
		}
	}
	return addr.Unmap()
}

// clientPrefix is the unit that rate limits, connection caps and the
// address check count: an IPv4 address, or an IPv6 /56. A subscriber's
// router is usually delegated a /56 (often a /48, rarely only a /64), and
// can number devices anywhere in it: counting /64s gave one home 256
// ballots on an "ip" poll. A /56 still separates households; a /48 would
// merge a whole site or a mobile carrier's customers into one voter.
func clientPrefix(addr netip.Addr) netip.Prefix {
	bits := 32
	if addr.Is6() {
		bits = 56
	}
	p, _ := addr.Prefix(bits)
	return p
}

// addressKey is what an "ip" poll keeps of a voter's address: a keyed hash,
// different in every poll, so that the stored key neither reveals the
// address nor links one voter's ballots across polls.
//
// Every vote computes it, so the keyed HMAC comes from a pool (Reset
// restores the key's state without hashing it again) and the message and
// the sum are built in buffers of their own.
func (s *Server) addressKey(pollID string, addr netip.Addr) string {
	var msg [128]byte
	b := append(msg[:0], "pollstack ip ballot\x00"...)
	b = append(b, pollID...)
	b = clientPrefix(addr).AppendTo(append(b, 0))
	mac, _ := s.addressMAC.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, s.cfg.ServerKey)
	}
	defer s.addressMAC.Put(mac)
	mac.Reset()
	mac.Write(b)
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0]))
}

// voter is the request's voter for a poll, in every form that a duplicate
// check may need; code is the voter code the request carries, if any.
func (s *Server) voter(r *http.Request, pollID, code string) pollstack.Voter {
	addr := s.clientAddr(r)
	v := pollstack.Voter{Browser: voterID(r.Context()), Address: func() string { return s.addressKey(pollID, addr) }}
	if code != "" {
		v.Code = pollstack.CodeKey(code)
	}
	return v
}
