package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sends records what an announcer sends, and when.
type sends struct {
	mu    sync.Mutex
	at    []time.Time
	polls map[string]int
}

func (s *sends) send(_ context.Context, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	for _, id := range ids {
		s.polls[id]++
	}
}

func (s *sends) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// A change after a quiet spell is announced at once; a stream of batches is
// announced at most once per announceGap, and no poll is left out.
func TestAnnouncerCoalesces(t *testing.T) {
	got := &sends{polls: map[string]int{}}
	a := newAnnouncer(got.send)

	start := time.Now()
	a.announce(map[string]bool{"first": true})
	for got.count() == 0 {
		if time.Since(start) > 2*time.Second {
			t.Fatal("a change after a quiet spell was not announced")
		}
		time.Sleep(time.Millisecond)
	}
	if d := got.at[0].Sub(start); d > announceGap/2 {
		t.Errorf("the first change was announced after %v, want at once", d)
	}

	// Batches every millisecond for 20 gaps.
	const batches = 20 * int(announceGap/time.Millisecond)
	start = time.Now()
	for i := range batches {
		a.announce(map[string]bool{fmt.Sprint("poll", i%50): true, "hot": true})
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	a.close()

	sent := got.count() - 1
	if most := int(elapsed/announceGap) + 2; sent > most {
		t.Errorf("%d batches over %v were announced in %d notifications, want at most %d (one per %v)", batches, elapsed, sent, most, announceGap)
	}
	if sent < 2 {
		t.Errorf("%d batches over %v were announced in %d notification(s): the announcer waits too long", batches, elapsed, sent)
	}
	for i := range 50 {
		if got.polls[fmt.Sprint("poll", i)] == 0 {
			t.Fatalf("poll%d was never announced", i)
		}
	}
	for i := 1; i < len(got.at); i++ {
		if gap := got.at[i].Sub(got.at[i-1]); gap < announceGap-5*time.Millisecond {
			t.Fatalf("notifications %d and %d were %v apart, want at least %v", i-1, i, gap, announceGap)
		}
	}
}

// What is pending when the store closes is sent before it closes, and what
// comes after is sent at once.
func TestAnnouncerFlushesOnClose(t *testing.T) {
	got := &sends{polls: map[string]int{}}
	a := newAnnouncer(got.send)
	a.announce(map[string]bool{"a": true})
	a.announce(map[string]bool{"b": true}) // within the gap: pending
	a.close()
	if got.polls["a"] != 1 || got.polls["b"] != 1 {
		t.Fatalf("announced before close: %v, want a and b once each", got.polls)
	}
	a.announce(map[string]bool{"c": true})
	if got.polls["c"] != 1 {
		t.Fatalf("announced after close: %v, want c at once", got.polls)
	}
}
