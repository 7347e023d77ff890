package web

import (
	"fmt"
	"net/netip"
	"testing"
)

// The limiter's table has an entry per client with a stream open, no more:
// bounded by the streams it allows.
func TestStreamLimiterTable(t *testing.T) {
	l := newStreamLimiter(100, 3)
	var releases []func()
	for i := range 1000 {
		release, refused := l.acquire(clientPrefix(netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", i/250, i%250))))
		if refused == nil {
			releases = append(releases, release)
		} else if refused != errStreamsFull {
			t.Fatalf("stream %d refused with %v", i, refused)
		}
	}
	if open, clients := l.count(); open != 100 || clients != 100 {
		t.Errorf("%d open for %d clients, want 100 and 100", open, clients)
	}
	for _, release := range releases {
		release()
		release() // twice changes nothing
	}
	if open, clients := l.count(); open != 0 || clients != 0 {
		t.Errorf("after every release: %d open for %d clients, want none", open, clients)
	}
	one := clientPrefix(netip.MustParseAddr("2001:db8::1"))
	for i := range 3 {
		if _, refused := l.acquire(one); refused != nil {
			t.Fatalf("stream %d of one client refused", i+1)
		}
	}
	if _, refused := l.acquire(clientPrefix(netip.MustParseAddr("2001:db8::ffff"))); refused != errStreamsPerAddress {
		t.Errorf("a fourth stream from the same /56: %v, want %v", refused, errStreamsPerAddress)
	}
}
