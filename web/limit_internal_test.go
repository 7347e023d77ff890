package web

import (
	"net/netip"
	"testing"
	"time"
)

func prefix(s string) netip.Prefix { return clientPrefix(netip.MustParseAddr(s)) }

// A client gets its burst at once, then one request per interval; the
// refusal says how long to wait; other clients are not affected.
func TestRateLimiterBucket(t *testing.T) {
	l := newRateLimiter("votes", 2, 4) // 2 a second, a burst of 4
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	a, b := prefix("198.51.100.1"), prefix("198.51.100.2")
	for i := range 4 {
		if ok, _ := l.allow(a, now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry := l.allow(a, now)
	if ok || retry != 500*time.Millisecond {
		t.Fatalf("past the burst: ok %v, retry %v; want refused, 500ms", ok, retry)
	}
	if ok, _ := l.allow(b, now); !ok {
		t.Error("another client was refused")
	}
	if ok, _ := l.allow(a, now.Add(499*time.Millisecond)); ok {
		t.Error("allowed before a token came back")
	}
	if ok, _ := l.allow(a, now.Add(500*time.Millisecond)); !ok {
		t.Error("refused after a token came back")
	}
	if ok, _ := l.allow(a, now.Add(10*time.Second)); !ok {
		t.Error("refused after a long pause")
	}
	for i := range 3 { // the bucket was full again: 3 more of the burst
		if ok, _ := l.allow(a, now.Add(10*time.Second)); !ok {
			t.Errorf("burst after a pause: request %d refused", i+2)
		}
	}
	if newRateLimiter("votes", 0, 20) != nil {
		t.Error("a rate of 0 must mean no limiter")
	}
}

// An IPv6 client is one client per /56: it cannot get fresh buckets by
// changing addresses or /64s inside it.
func TestRateLimiterIPv6Prefix(t *testing.T) {
	l := newRateLimiter("votes", 1, 1)
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if ok, _ := l.allow(prefix("2001:db8:1:2::1"), at); !ok {
		t.Fatal("first request refused")
	}
	if ok, _ := l.allow(prefix("2001:db8:1:2:ffff:ffff:ffff:ffff"), at); ok {
		t.Error("another address of the same /64 got a fresh bucket")
	}
	if ok, _ := l.allow(prefix("2001:db8:1:3::1"), at); ok {
		t.Error("another /64 of the same /56 got a fresh bucket")
	}
	if ok, _ := l.allow(prefix("2001:db8:1:100::1"), at); !ok {
		t.Error("another /56 was refused")
	}
}

// However many clients come, the table stays within maxLimited, and a
// client that keeps coming keeps its bucket across generations.
func TestRateLimiterBounded(t *testing.T) {
	l := newRateLimiter("votes", 1, 1)
	hot := prefix("203.0.113.1")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	most := 0
	for i := range 5 * maxLimited {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.allow(clientPrefix(addr), now)
		if i%(maxLimited/8) == 0 {
			if ok, _ := l.allow(hot, now); ok != (i == 0) {
				t.Fatalf("after %d clients, the hot client was allowed %v", i, ok)
			}
		}
		most = max(most, l.size())
	}
	if most > maxLimited {
		t.Errorf("the table held %d clients, more than its bound %d", most, maxLimited)
	}
}

// A budget charged by the unit (voter codes): n tokens at once, a refusal
// that waits until n are there, and a budget spent in pieces as in one.
func TestRateLimiterCharges(t *testing.T) {
	l := newRateLimiter("voter codes", 10_000.0/3600, 10_000) // 10,000 an hour, all at once
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	a := prefix("198.51.100.1")
	for _, n := range []int{5_000, 4_000, 1_000} {
		if ok, retry := l.allowN(a, now, n); !ok {
			t.Fatalf("%d codes of the first hour's budget refused (retry %v)", n, retry)
		}
	}
	ok, retry := l.allowN(a, now, 5_000)
	if want := 30 * time.Minute; ok || retry < want-time.Second || retry > want {
		t.Fatalf("budget spent: ok %v, retry %v; want refused, %v", ok, retry, want)
	}
	if ok, _ := l.allowN(a, now.Add(29*time.Minute), 5_000); ok {
		t.Error("5,000 codes allowed before half an hour's budget came back")
	}
	if ok, _ := l.allowN(a, now.Add(30*time.Minute), 5_000); !ok {
		t.Error("5,000 codes refused after half an hour")
	}
}
