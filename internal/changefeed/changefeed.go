// Package changefeed hands a store's change notifications to its watchers:
// the IDs of polls whose counts or state changed, or nil when any poll may
// have changed. Both stores keep one; SQLite publishes after its own
// commits, PostgreSQL after each notification its LISTEN connection gets.
package changefeed

import "sync"

// Feed is a set of watchers. The zero value is ready to use.
type Feed struct {
	mu       sync.Mutex
	watchers map[*watcher]struct{}
}

type watcher struct{ changed func(pollIDs []string) }

// Watch adds a watcher; stop removes it. Once stop has returned, changed is
// not called again.
func (f *Feed) Watch(changed func(pollIDs []string)) (stop func()) {
	w := &watcher{changed: changed}
	f.mu.Lock()
	if f.watchers == nil {
		f.watchers = make(map[*watcher]struct{})
	}
	f.watchers[w] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.watchers, w)
			f.mu.Unlock()
		})
	}
}

// Publish tells every watcher that the polls changed (nil: any poll). The
// watchers run one after the other on the caller's goroutine, under the
// feed's lock, which is why they must return at once; they share pollIDs
// and must not modify it.
func (f *Feed) Publish(pollIDs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.watchers {
		w.changed(pollIDs)
	}
}
