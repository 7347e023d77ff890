package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Delay is how long one vote took to reach one live-results viewer: from
// the vote's 201 to the viewer's event (negative when the event came first).
type Delay struct {
	Viewer  *Viewer
	FromAck time.Duration
}

// FromAck lists the delays from each vote's 201 of the viewers that keep
// says to keep (nil: all).
func FromAck(delays []Delay, keep func(*Viewer) bool) []time.Duration {
	var out []time.Duration
	for _, d := range delays {
		if keep == nil || keep(d.Viewer) {
			out = append(out, d.FromAck)
		}
	}
	return out
}

// MeasureDelays casts, rounds times, one vote on each poll (through base,
// each from a new voter, the polls' votes spread apart, 0 for all at once),
// waits until every viewer of the poll shows it, and waits gap before the
// next round; it returns one Delay per viewer and vote. Only these votes
// may go to the polls while it runs: it expects each to raise the total by
// one.
func MeasureDelays(ctx context.Context, base string, viewers map[string][]*Viewer, rounds int, apart, gap time.Duration) ([]Delay, error) {
	var d []Delay
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
		acks := make(map[string]time.Time, len(viewers))
		targets := make(map[string]int, len(viewers))
		var mu sync.Mutex
		var wg sync.WaitGroup
		var failed error
		i := 0
		for poll, vs := range viewers {
			wait := time.Duration(i) * apart
			i++
			target := 1
			for _, v := range vs {
				target = max(target, v.Last().Total+1)
			}
			targets[poll] = target
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(wait)
				status := vote(conns[poll], poll, NewVoter())
				acked := time.Now()
				mu.Lock()
				defer mu.Unlock()
				if status != "201" {
					failed = fmt.Errorf("vote on %s: %s", poll, status)
				}
				acks[poll] = acked
			}()
		}
		wg.Wait()
		if failed != nil {
			return d, failed
		}
		deadline := time.Now().Add(10 * time.Second)
		for poll, vs := range viewers {
			acked := acks[poll]
			for _, v := range vs {
				for {
					if at, ok := v.FirstAt(targets[poll]); ok {
						d = append(d, Delay{Viewer: v, FromAck: at.Sub(acked)})
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
