package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// view is a poll with its counts, as readers see it.
type view struct {
	Poll    *pollstack.Poll
	Results pollstack.Results
	// seq orders the loads: loads of one poll never overlap, so a view with
	// a larger seq saw every change that one with a smaller seq saw.
	seq uint64
}

// views caches each poll's view so that reads cost a bounded number of
// queries per poll per second, however many readers there are:
//
//   - a view younger than fresh is served as it is;
//   - at most one load per poll runs at a time, and concurrent readers
//     share its result;
//   - loads of one poll start at least minGap apart.
//
// A write on this server (vote, close) marks the poll's view stale: the next
// read loads it again (waiting for minGap if needed), so a person always sees
// their own vote. So does the store's change feed, for writes on any server;
// fresh bounds how stale a view can be if the feed is down.
type views struct {
	load   func(ctx context.Context, id string) (view, error)
	fresh  time.Duration
	minGap time.Duration

	mu        sync.Mutex
	entries   map[string]*viewEntry
	lastSweep time.Time
	loads     uint64 // loads started, for view.seq
}

type viewEntry struct {
	view    view
	err     error     // ErrPollNotFound is cached too; unavailability is not
	has     bool      // view/err hold a load's outcome
	started time.Time // when the last load started
	stale   bool      // a local write happened since that load started
	loading chan struct{}
	used    time.Time
}

func newViews(load func(context.Context, string) (view, error), fresh, minGap time.Duration) *views {
	return &views{load: load, fresh: fresh, minGap: minGap, entries: make(map[string]*viewEntry)}
}

// get returns the poll's view, loading it when needed.
func (v *views) get(ctx context.Context, id string) (view, error) {
	for {
		v.mu.Lock()
		now := time.Now()
		v.sweep(now)
		e := v.entries[id]
		if e == nil {
			e = &viewEntry{}
			v.entries[id] = e
		}
		e.used = now
		age := now.Sub(e.started)
		switch {
		case e.loading != nil:
			wait := e.loading
			v.mu.Unlock()
			if err := waitFor(ctx, wait, nil); err != nil {
				return view{}, err
			}
			continue
		case e.has && !e.stale && age < v.fresh:
			out, err := e.view, e.err
			v.mu.Unlock()
			return out, err
		case e.has && age < v.minGap:
			v.mu.Unlock()
			if err := waitFor(ctx, nil, time.After(v.minGap-age)); err != nil {
				return view{}, err
			}
			continue
		}
		done := make(chan struct{})
		e.loading, e.stale, e.started = done, false, now
		v.loads++
		seq := v.loads
		v.mu.Unlock()

		// The load runs on its own deadline: one reader leaving must not
		// fail the others waiting on the same load.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		out, err := v.load(lctx, id)
		cancel()
		out.seq = seq

		v.mu.Lock()
		e.loading = nil
		e.view, e.err, e.has = out, err, err == nil || errors.Is(err, pollstack.ErrPollNotFound)
		close(done)
		v.mu.Unlock()
		return out, err
	}
}

// invalidate marks polls' views stale after a write on this server or a
// change the store's feed tells of.
func (v *views) invalidate(ids ...string) {
	v.mu.Lock()
	for _, id := range ids {
		if e := v.entries[id]; e != nil {
			e.stale = true
		}
	}
	v.mu.Unlock()
}

// invalidateAll marks every view stale: the change feed may have missed changes.
func (v *views) invalidateAll() {
	v.mu.Lock()
	for _, e := range v.entries {
		e.stale = true
	}
	v.mu.Unlock()
}

// sweep drops views unused for a minute, at most once a minute. v.mu is held.
func (v *views) sweep(now time.Time) {
	if now.Sub(v.lastSweep) < time.Minute {
		return
	}
	v.lastSweep = now
	for id, e := range v.entries {
		if e.loading == nil && now.Sub(e.used) > time.Minute {
			delete(v.entries, id)
		}
	}
}

func waitFor(ctx context.Context, done <-chan struct{}, timer <-chan time.Time) error {
	select {
	case <-done:
	case <-timer:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
