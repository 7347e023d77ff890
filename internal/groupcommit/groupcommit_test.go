package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/groupcommit"
)

// recorder is a flush that remembers its batches.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	delay   time.Duration
}

func (r *recorder) flush(ctx context.Context, items []int) ([]error, error) {
	time.Sleep(r.delay)
	r.mu.Lock()
	r.batches = append(r.batches, append([]int(nil), items...))
	r.mu.Unlock()
	out := make([]error, len(items))
	for i, it := range items {
		if it%10 == 0 {
			out[i] = fmt.Errorf("item %d refused", it)
		}
	}
	return out, ctx.Err()
}

func TestEachCallerGetsItsOwnOutcome(t *testing.T) {
	r := &recorder{delay: 2 * time.Millisecond}
	c := groupcommit.New(groupcommit.Options{MaxBatch: 16, Writers: 2}, nil, r.flush)
	defer c.Close()
	var wg sync.WaitGroup
	for i := 1; i <= 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Submit(context.Background(), i)
			if (i%10 == 0) != (err != nil) {
				t.Errorf("item %d: err = %v", i, err)
			}
		}()
	}
	wg.Wait()
	total, largest := 0, 0
	for _, b := range r.batches {
		total += len(b)
		largest = max(largest, len(b))
	}
	if total != 200 || largest > 16 {
		t.Errorf("flushed %d items, largest batch %d; want 200, at most 16", total, largest)
	}
	if largest < 2 {
		t.Errorf("no batch held more than one item: concurrent items were not grouped")
	}
}

func TestShardedKeepsAKeyOnOneWriter(t *testing.T) {
	var inFlight sync.Map // key -> *atomic.Int32
	var overlaps atomic.Int32
	flush := func(ctx context.Context, items []int) ([]error, error) {
		keys := map[int]bool{}
		for _, it := range items {
			keys[it%3] = true
		}
		for k := range keys {
			n, _ := inFlight.LoadOrStore(k, new(atomic.Int32))
			if n.(*atomic.Int32).Add(1) > 1 {
				overlaps.Add(1)
			}
		}
		time.Sleep(time.Millisecond)
		for k := range keys {
			n, _ := inFlight.Load(k)
			n.(*atomic.Int32).Add(-1)
		}
		return make([]error, len(items)), nil
	}
	c := groupcommit.New(groupcommit.Options{MaxBatch: 8, Writers: 4}, func(i int) string { return fmt.Sprint(i % 3) }, flush)
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Submit(context.Background(), i) }()
	}
	wg.Wait()
	c.Close()
	if overlaps.Load() != 0 {
		t.Errorf("%d times two writers flushed the same key at once", overlaps.Load())
	}
}

// A caller that leaves does not break its batch; the others are committed.
func TestCallerLeavingDoesNotBreakTheBatch(t *testing.T) {
	r := &recorder{delay: 20 * time.Millisecond}
	c := groupcommit.New(groupcommit.Options{MaxBatch: 64, Writers: 1}, nil, r.flush)
	defer c.Close()
	c.Submit(context.Background(), 1) // occupies the writer while the rest queue up
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			submitCtx := context.Background()
			if i == 0 {
				submitCtx = ctx
			}
			errs[i] = c.Submit(submitCtx, 100+i+1)
		}()
	}
	time.Sleep(5 * time.Millisecond)
	cancel()
	wg.Wait()
	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("the leaving caller got %v, want context.Canceled", errs[0])
	}
	for i, err := range errs[1:] {
		if err != nil {
			t.Errorf("caller %d: %v", i+1, err)
		}
	}
}

// Close commits what is queued before it returns, and refuses new items.
func TestCloseFlushesQueuedItems(t *testing.T) {
	r := &recorder{delay: 5 * time.Millisecond}
	c := groupcommit.New(groupcommit.Options{MaxBatch: 4, Writers: 1}, nil, r.flush)
	var acked atomic.Int32
	var wg sync.WaitGroup
	for i := 1; i <= 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Submit(context.Background(), i*10+1) == nil {
				acked.Add(1)
			}
		}()
	}
	time.Sleep(2 * time.Millisecond)
	c.Close()
	wg.Wait()
	flushed := 0
	for _, b := range r.batches {
		flushed += len(b)
	}
	if int(acked.Load()) != flushed {
		t.Errorf("acknowledged %d, flushed %d: every acknowledged item must be flushed", acked.Load(), flushed)
	}
	if err := c.Submit(context.Background(), 7); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("Submit after Close: %v, want ErrClosed", err)
	}
}

func TestBatchErrorFailsEveryItem(t *testing.T) {
	boom := errors.New("database gone")
	c := groupcommit.New(groupcommit.Options{MaxBatch: 8}, nil, func(ctx context.Context, items []int) ([]error, error) { return nil, boom })
	defer c.Close()
	if err := c.Submit(context.Background(), 1); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the batch error", err)
	}
}
