// Package groupcommit lets many concurrent callers share one transaction.
//
// A hot poll is one hot spot of the database: committing each vote in its own
// transaction pays one WAL flush per vote. Here callers hand their item to a
// writer and wait; each writer takes whatever has queued up while it was busy
// (up to MaxBatch, waiting at most MaxWait for more), stores the lot in one
// transaction and answers every caller with its own outcome. Under light load
// a batch is one item and adds no delay; under heavy load batches grow by
// themselves, which is what keeps the commit rate below the database's limit.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("groupcommit: closed")

// Flush stores a batch in one transaction and returns one outcome per item
// (nil: stored and committed). A non-nil batchErr means nothing was stored
// and every item fails with it.
type Flush[T any] func(ctx context.Context, items []T) (outcomes []error, batchErr error)

// Options bound the batches.
type Options struct {
	MaxBatch     int           // most items per transaction
	MaxWait      time.Duration // longest a batch waits to fill once it has one item; 0: no waiting
	Writers      int           // transactions in flight at once
	FlushTimeout time.Duration // deadline of one flush, independent of any caller's context
	// Observe, when set, is told each batch's size and how long its flush
	// took (the metrics of batch size and commit latency).
	Observe func(items int, took time.Duration)
}

// Sharded makes each item go to the writer its key picks, so that items
// with the same key (the votes of one hot poll) always share one writer:
// they then never wait on each other's locks across transactions, while
// different keys still commit in parallel.
type Sharded[T any] func(item T) string

// Committer batches items of type T.
type Committer[T any] struct {
	opts   Options
	flush  Flush[T]
	key    Sharded[T]
	queues []chan request[T] // one per writer
	mu     sync.RWMutex      // guards closed against Submit racing Close
	closed bool
	done   sync.WaitGroup
}

type request[T any] struct {
	item T
	out  chan error // buffered: a writer never blocks on a caller that left
}

// New starts the writers. key may be nil: then any writer takes any item.
func New[T any](opts Options, key Sharded[T], flush Flush[T]) *Committer[T] {
	if opts.MaxBatch < 1 {
		opts.MaxBatch = 1
	}
	if opts.Writers < 1 {
		opts.Writers = 1
	}
	if opts.FlushTimeout <= 0 {
		opts.FlushTimeout = 10 * time.Second
	}
	c := &Committer[T]{opts: opts, flush: flush, key: key}
	shared := make(chan request[T], opts.MaxBatch*opts.Writers)
	for range opts.Writers {
		q := shared
		if key != nil {
			q = make(chan request[T], opts.MaxBatch)
		}
		c.queues = append(c.queues, q)
	}
	c.done.Add(opts.Writers)
	for _, q := range c.queues {
		go c.write(q)
	}
	return c
}

// Submit queues an item and waits for the outcome of its transaction. If ctx
// ends first Submit returns ctx.Err(); the item may still be committed, and
// the batch it belongs to is unaffected.
func (c *Committer[T]) Submit(ctx context.Context, item T) error {
	req := request[T]{item: item, out: outcomes.Get().(chan error)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		outcomes.Put(req.out)
		return ErrClosed
	}
	select {
	case c.queueOf(item) <- req:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		outcomes.Put(req.out)
		return ctx.Err()
	}
	select {
	case err := <-req.out:
		outcomes.Put(req.out) // empty again, and no writer holds it any more
		return err
	case <-ctx.Done():
		return ctx.Err() // the writer will still answer: this channel is not reused
	}
}

// outcomes holds the one-slot channels on which callers wait for their
// outcome, so that a vote does not allocate one each time.
var outcomes = sync.Pool{New: func() any { return make(chan error, 1) }}

// queueOf picks the writer queue of an item.
func (c *Committer[T]) queueOf(item T) chan request[T] {
	if c.key == nil || len(c.queues) == 1 {
		return c.queues[0]
	}
	return c.queues[fnv32a(c.key(item))%uint32(len(c.queues))]
}

// fnv32a is the 32-bit FNV-1a hash of s, computed in place: hash/fnv would
// allocate a hasher and a copy of s for every item.
func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// Close stops taking items, commits every item already queued and waits for
// the writers to finish.
func (c *Committer[T]) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		closed := map[chan request[T]]bool{}
		for _, q := range c.queues {
			if !closed[q] {
				closed[q] = true
				close(q)
			}
		}
	}
	c.mu.Unlock()
	c.done.Wait()
}

func (c *Committer[T]) write(queue chan request[T]) {
	defer c.done.Done()
	batch := make([]request[T], 0, c.opts.MaxBatch)
	for {
		first, ok := <-queue
		if !ok {
			return
		}
		batch = c.fill(queue, append(batch[:0], first))
		c.commit(batch)
	}
}

// fill adds what is already queued, then waits up to MaxWait for more.
func (c *Committer[T]) fill(queue chan request[T], batch []request[T]) []request[T] {
	var deadline <-chan time.Time
	for len(batch) < c.opts.MaxBatch {
		select {
		case req, ok := <-queue:
			if !ok {
				return batch
			}
			batch = append(batch, req)
			continue
		default:
		}
		if c.opts.MaxWait <= 0 {
			return batch
		}
		if deadline == nil {
			timer := time.NewTimer(c.opts.MaxWait)
			defer timer.Stop()
			deadline = timer.C
		}
		select {
		case req, ok := <-queue:
			if !ok {
				return batch
			}
			batch = append(batch, req)
		case <-deadline:
			return batch
		}
	}
	return batch
}

func (c *Committer[T]) commit(batch []request[T]) {
	items := make([]T, len(batch))
	for i, req := range batch {
		items[i] = req.item
	}
	// The flush runs on its own context: a caller that went away must not
	// roll back the votes of the others in its batch.
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.FlushTimeout)
	start := time.Now()
	outcomes, batchErr := c.flush(ctx, items)
	cancel()
	if c.opts.Observe != nil {
		c.opts.Observe(len(items), time.Since(start))
	}
	for i, req := range batch {
		switch {
		case batchErr != nil:
			req.out <- batchErr
		case i < len(outcomes):
			req.out <- outcomes[i]
		default:
			req.out <- errors.New("groupcommit: flush returned too few outcomes")
		}
	}
}
