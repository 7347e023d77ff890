package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

// The client's address is the socket's peer, or behind a trusted proxy the
// right-most X-Forwarded-For entry (the proxy's own append); whatever the
// client writes to the left of it changes nothing.
func TestClientAddr(t *testing.T) {
	for _, tt := range []struct {
		name  string
		trust bool
		peer  string
		xff   []string
		want  string
	}{
		{"no proxy", false, "203.0.113.7:5000", nil, "203.0.113.7"},
		{"no proxy ignores the header", false, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"proxy appended", true, "10.0.0.5:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client forged a left entry", true, "10.0.0.5:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"a line of the client's after the proxy's", true, "10.0.0.5:5000", []string{"1.2.3.4, 198.51.100.1", "203.0.113.9"}, "10.0.0.5"},
		{"a line of the client's before the proxy's", true, "10.0.0.5:5000", []string{"1.2.3.4", "198.51.100.1"}, "10.0.0.5"},
		{"spaces", true, "10.0.0.5:5000", []string{" 1.2.3.4 ,198.51.100.1 "}, "198.51.100.1"},
		{"ipv6", true, "10.0.0.5:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped ipv4", true, "10.0.0.5:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"garbage: the proxy's address", true, "10.0.0.5:5000", []string{"1.2.3.4, not-an-ip"}, "10.0.0.5"},
		{"empty: the proxy's address", true, "10.0.0.5:5000", []string{""}, "10.0.0.5"},
		{"a port is not an address", true, "10.0.0.5:5000", []string{"198.51.100.1:443"}, "10.0.0.5"},
		{"ipv6 peer", false, "[2001:db8::9]:5000", nil, "2001:db8::9"},
	} {
		s := &Server{cfg: Config{TrustProxy: tt.trust}}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r).String(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// An IPv6 client is one client per /56; the address key differs per poll
// and never shows the address.
func TestAddressKey(t *testing.T) {
	s := &Server{cfg: Config{ServerKey: []byte("0123456789abcdef0123456789abcdef")}}
	key := func(poll, addr string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		return s.addressKey(poll, s.clientAddr(r))
	}
	a := key("p1", "[2001:db8:1:2:aaaa::1]:1")
	if b := key("p1", "[2001:db8:1:2:ffff::9]:1"); a != b {
		t.Error("two addresses of one /64 have different keys")
	}
	if b := key("p1", "[2001:db8:1:ff::9]:1"); a != b {
		t.Error("two /64s of one /56 have different keys")
	}
	if b := key("p1", "[2001:db8:1:100::1]:1"); a == b {
		t.Error("another /56 has the same key")
	}
	if b := key("p2", "[2001:db8:1:2:aaaa::1]:1"); a == b {
		t.Error("one address has the same key in two polls")
	}
	// Keys already stored must still match: the key is this HMAC, however
	// it is computed.
	mac := hmac.New(sha256.New, s.cfg.ServerKey)
	mac.Write([]byte("pollstack ip ballot\x00p1\x002001:db8:1::/56"))
	if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); a != want {
		t.Errorf("address key %q, want HMAC-SHA256 %q", a, want)
	}
	if v4, other := key("p1", "198.51.100.1:1"), key("p1", "198.51.100.2:1"); v4 == other || len(v4) != 43 {
		t.Errorf("IPv4 keys %q and %q: want distinct 43-character hashes", v4, other)
	}
	other := &Server{cfg: Config{ServerKey: []byte("another key, another process.....")}}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.1:1"
	if key("p1", "198.51.100.1:1") == other.addressKey("p1", other.clientAddr(r)) {
		t.Error("the key does not depend on the server key")
	}
}
