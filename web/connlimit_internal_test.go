package web

import (
	"net"
	"net/netip"
	"testing"
)

// The caps count open connections: a closed one (closed twice or not)
// gives its place back, and the table of clients holds only clients with a
// connection open, so it never outgrows the total cap.
func TestConnLimiterCounts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitConnections(ln, ConnLimits{Total: 3, PerClient: 2}).(*connLimiter)
	defer l.Close()
	a, b := clientPrefix(netip.MustParseAddr("2001:db8:1:2::1")), clientPrefix(netip.MustParseAddr("2001:db8:1:ff::9")) // one /56
	c := clientPrefix(netip.MustParseAddr("198.51.100.1"))
	for i, tt := range []struct {
		client netip.Prefix
		want   []byte
	}{{a, nil}, {b, nil}, {a, refuseClientFull}, {c, nil}, {c, refuseServerFull}} {
		if got := l.admit(tt.client); string(got) != string(tt.want) {
			t.Fatalf("admission %d: refusal %q, want %q", i+1, got, tt.want)
		}
	}
	conn := &limitedConn{Conn: nopConn{}, release: func() { l.release(a) }}
	conn.Close()
	conn.Close() // a second close gives nothing back
	l.release(a)
	l.release(c)
	if l.open != 0 || len(l.clients) != 0 {
		t.Errorf("after every close: %d open, %d clients in the table; want none", l.open, len(l.clients))
	}
	if LimitConnections(ln, ConnLimits{}) != ln {
		t.Error("no caps: the listener should be returned as it is")
	}
}

type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }
