package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Delays are how long votes took to reach live-results viewers: for every
// viewer and vote, from the vote's 201 to the viewer's event (negative when
// the event came first) and from sending the vote.
type Delays struct {
	FromAck, FromSend []time.Duration
}

// MeasureDelays casts, rounds times, one vote on each poll at once (through
// base, each from a new voter), waits until every viewer of the poll shows
// it, and waits gap before the next round. Only these votes may go to the
// polls while it runs: it expects each to raise the total by one.
func MeasureDelays(ctx context.Context, base string, viewers map[string][]*Viewer, rounds int, gap time.Duration) (Delays, error) {
	var d Delays
	conns := map[string]*Conn{}
	for poll := range viewers {
		c, err := Dial(base, 10*time.Second)
		if err != nil {
			return d, err
		}
		defer c.Close()
		conns[poll] = c
	}
	for range rounds {
		type cast struct{ sent, acked time.Time }
		casts := make(map[string]cast, len(viewers))
		targets := make(map[string]int, len(viewers))
		var mu sync.Mutex
		var wg sync.WaitGroup
		var failed error
		for poll, vs := range viewers {
			target := 1
			for _, v := range vs {
				target = max(target, v.Last().Total+1)
			}
			targets[poll] = target
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent := time.Now()
				status := vote(conns[poll], poll, NewVoter())
				acked := time.Now()
				mu.Lock()
				defer mu.Unlock()
				if status != "201" {
					failed = fmt.Errorf("vote on %s: %s", poll, status)
				}
				casts[poll] = cast{sent, acked}
			}()
		}
		wg.Wait()
		if failed != nil {
			return d, failed
		}
		deadline := time.Now().Add(10 * time.Second)
		for poll, vs := range viewers {
			c := casts[poll]
			for _, v := range vs {
				for {
					if at, ok := v.FirstAt(targets[poll]); ok {
						d.FromAck = append(d.FromAck, at.Sub(c.acked))
						d.FromSend = append(d.FromSend, at.Sub(c.sent))
						break
					}
					if time.Now().After(deadline) {
						return d, fmt.Errorf("a viewer of %s did not show total %d within 10 s of the vote (it shows %d)", poll, targets[poll], v.Last().Total)
					}
					select {
					case <-ctx.Done():
						return d, ctx.Err()
					case <-time.After(2 * time.Millisecond):
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(gap):
		}
	}
	return d, nil
}
