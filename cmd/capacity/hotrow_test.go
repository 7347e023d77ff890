package main

import (
	"testing"
	"time"
)

// The simulation agrees with what can be worked out by hand.
func TestHotRowSimulation(t *testing.T) {
	h := hotRow{tasks: 1, maxBatch: 512, fixed: 4 * time.Millisecond, perVote: 10 * time.Microsecond}

	// Light load: a vote rarely waits, so it takes one batch of one.
	light := h.simulate(10, 200*time.Second, 1)
	if got, want := light.p50, h.hold(1); got < want || got > want+want/2 {
		t.Errorf("light load: p50 %v, want about %v", got, want)
	}
	if light.meanBatch > 1.1 {
		t.Errorf("light load: batches of %.2f votes, want about 1", light.meanBatch)
	}

	// Far past the ceiling, the lock is always busy with full batches:
	// maxBatch / hold(maxBatch) votes a second, and no more.
	ceiling := float64(h.maxBatch) / h.hold(h.maxBatch).Seconds()
	over := h.simulate(2*ceiling, 3*time.Second, 1)
	if over.served < 0.97*ceiling || over.served > 1.01*ceiling {
		t.Errorf("overload: served %.0f votes/s, want the ceiling %.0f", over.served, ceiling)
	}
	if over.lockBusy < 0.99 {
		t.Errorf("overload: lock busy %.2f of the time, want all of it", over.lockBusy)
	}

	// In between, batches grow with the load and the served rate is the
	// offered rate.
	mid := h.simulate(ceiling/4, 5*time.Second, 1)
	if mid.served < 0.98*ceiling/4 || mid.meanBatch < 2 {
		t.Errorf("a quarter of the ceiling: served %.0f of %.0f votes/s in batches of %.1f", mid.served, ceiling/4, mid.meanBatch)
	}

	// Tasks share the lock: with ten of them the light-load latency is the
	// same, and the limit does not rise.
	ten := h
	ten.tasks = 10
	if l1, l10 := h.limit(100*time.Millisecond, 2*time.Second), ten.limit(100*time.Millisecond, 2*time.Second); l10.offered > l1.offered*1.05 {
		t.Errorf("ten tasks take %.0f votes/s on one poll, one task %.0f: the row lock should bound both", l10.offered, l1.offered)
	}
}
