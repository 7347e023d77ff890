package postgres

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// announceGap is the least time between two notifications of vote batches
// from one process: it adds at most that to the delay before viewers see a
// vote (a hub reads a changed poll at most ten times a second anyway), and
// under a hot poll the database commits a notification fifty times a second
// instead of once per batch, several hundred times.
const announceGap = 20 * time.Millisecond

// announcer sends the change feed's notifications for committed vote
// batches. A vote writer hands it the polls its batch touched and goes on
// to the next batch: no voter waits for the notification. The announcer
// sends them at once when it sent nothing in the last announceGap, and
// otherwise when the gap is over, together with everything that came in
// meanwhile, in one transaction of its own (see Store.notify for why not
// inside the batch's).
type announcer struct {
	send func(ctx context.Context, ids []string)

	mu      sync.Mutex
	pending map[string]bool
	closed  bool

	wake chan struct{} // one token: something is pending
	stop chan struct{}
	done chan struct{}
}

func newAnnouncer(send func(ctx context.Context, ids []string)) *announcer {
	a := &announcer{send: send, pending: map[string]bool{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

// announce queues the polls of a committed batch for the next notification.
func (a *announcer) announce(polls map[string]bool) {
	if len(polls) == 0 {
		return
	}
	a.mu.Lock()
	if a.closed { // after close, say it at once rather than not at all
		a.mu.Unlock()
		a.sendNow(slices.Sorted(maps.Keys(polls)))
		return
	}
	maps.Copy(a.pending, polls)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default: // already woken
	}
}

func (a *announcer) run() {
	defer close(a.done)
	gap := time.NewTimer(0)
	for {
		select {
		case <-a.wake:
		case <-a.stop:
			a.flush()
			return
		}
		<-gap.C // the previous notification is at least announceGap old
		a.flush()
		gap.Reset(announceGap)
	}
}

// flush sends what is pending, if anything.
func (a *announcer) flush() {
	a.mu.Lock()
	ids := slices.Sorted(maps.Keys(a.pending))
	clear(a.pending)
	a.mu.Unlock()
	if len(ids) > 0 {
		a.sendNow(ids)
	}
}

func (a *announcer) sendNow(ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.send(ctx, ids)
}

// close sends what is still pending and stops; later announcements are
// sent as they come.
func (a *announcer) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	<-a.done
}

// notify tells the change feed about polls whose changes have committed,
// in a transaction of its own. NOTIFY serialises the commits of every
// transaction that sends one, across the whole database, until its commit
// is durable: inside a vote batch, that would make every vote writer of
// every task commit one after the other. A transaction that only notifies
// writes nothing and commits at once. Should this fail (the database is
// away), the votes stand: viewers catch up at the poll's next change or
// refresh.
func (s *Store) notify(ctx context.Context, ids []string) {
	var payloads []string
	for chunk := range slices.Chunk(ids, notifyChunk) {
		payloads = append(payloads, strings.Join(chunk, ","))
	}
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `SELECT pg_notify('`+changesChannel+`', p) FROM unnest($1::text[]) AS p`, payloads)
		return err
	})
	if err != nil {
		s.log.Warn("change feed: committed votes were not announced; their polls show them at their next change or refresh", "error", err.Error())
	}
}
