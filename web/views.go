package web

import (
	"context"
	"sync"
	"time"

	"github.com/pollstack/pollstack"
)

// view is a poll with its counts, as readers see it.
type view struct {
	Poll    *pollstack.Poll
	Results pollstack.Results
	Count   *pollstack.RankedResult // a ranked poll's instant-runoff count (newView)
	// Participants are a meeting poll's ballots, with names, unless the
	// poll hides names (withParticipants).
	Participants []pollstack.CastBallot
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
//
// The cache is bounded: at most maxViews entries (a view is at most about
// 12 KB: 20 options of 120 characters), and a load that finds no poll, or
// fails, leaves no entry behind, so that made-up IDs cost no memory.
type views struct {
	load   func(ctx context.Context, id string, held *view) (view, error)
	fresh  time.Duration
	minGap time.Duration

	mu        sync.Mutex
	entries   map[string]*viewEntry
	lastSweep time.Time
	loads     uint64 // loads started, for view.seq
	changes   uint64 // the clock of viewEntry.gen
}

// maxViews bounds the entries of the view cache: 2,048 views of the largest
// polls are about 25 MB.
const maxViews = 2048

type viewEntry struct {
	view    view
	err     error     // the last load's error, for the readers that waited on it
	has     bool      // view holds a load's result
	started time.Time // when the last load started
	stale   bool      // a local write happened since that load started
	loading chan struct{}
	used    time.Time
	// gen changes whenever the poll may have changed (a write here, the
	// change feed) and is new for every new entry: what was true of the
	// poll's ballots at one gen may be false at another (see ballotMisses).
	gen uint64
}

// newViews makes the cache; load reads a poll's view, and is given the view
// the cache already holds (nil if none) so that it can read less.
func newViews(load func(ctx context.Context, id string, held *view) (view, error), fresh, minGap time.Duration) *views {
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
			v.makeRoom()
			v.changes++
			e = &viewEntry{gen: v.changes}
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
			v.mu.Lock()
			out, err, stale := e.view, e.err, e.stale
			v.mu.Unlock()
			if !stale {
				return out, err // the outcome of the load waited for, shared
			}
			continue // a write came while it loaded: this reader must see it
		case e.has && !e.stale && age < v.fresh:
			out := e.view
			v.mu.Unlock()
			return out, nil
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
		var held *view
		if e.has && e.err == nil {
			h := e.view
			held = &h
		}
		v.mu.Unlock()

		// The load runs on its own deadline: one reader leaving must not
		// fail the others waiting on the same load.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		out, err := v.load(lctx, id, held)
		cancel()
		out.seq = seq

		v.mu.Lock()
		e.loading = nil
		e.view, e.err, e.has = out, err, err == nil
		if err != nil && v.entries[id] == e {
			// Not found or unavailable: nothing to keep. The readers that
			// waited for this load still get its outcome from e.
			delete(v.entries, id)
		}
		close(done)
		v.mu.Unlock()
		return out, err
	}
}

// poll returns the poll, from the view the cache holds even when stale (what
// a poll is, apart from when it closed, never changes), else loaded.
func (v *views) poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	v.mu.Lock()
	e := v.entries[id]
	if e != nil && e.has {
		p := e.view.Poll
		v.mu.Unlock()
		return p, nil
	}
	v.mu.Unlock()
	got, err := v.get(ctx, id)
	return got.Poll, err
}

// makeRoom evicts entries when the cache is full: first those not loading,
// then any (their readers still get their load's outcome). v.mu is held.
func (v *views) makeRoom() {
	if len(v.entries) < maxViews {
		return
	}
	for _, anyEntry := range []bool{false, true} {
		for id, e := range v.entries { // map order: a random choice
			if len(v.entries) < maxViews*3/4 {
				return
			}
			if e.loading == nil || anyEntry {
				delete(v.entries, id)
			}
		}
	}
}

// generation is the poll's gen, or false when the cache holds no entry.
func (v *views) generation(id string) (uint64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e := v.entries[id]; e != nil {
		return e.gen, true
	}
	return 0, false
}

// size is the number of cached views, for tests.
func (v *views) size() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.entries)
}

// invalidate marks polls' views stale after a write on this server or a
// change the store's feed tells of.
func (v *views) invalidate(ids ...string) {
	v.mu.Lock()
	for _, id := range ids {
		if e := v.entries[id]; e != nil {
			v.changes++
			e.stale, e.gen = true, v.changes
		}
	}
	v.mu.Unlock()
}

// invalidateAll marks every view stale: the change feed may have missed changes.
func (v *views) invalidateAll() {
	v.mu.Lock()
	for _, e := range v.entries {
		v.changes++
		e.stale, e.gen = true, v.changes
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
