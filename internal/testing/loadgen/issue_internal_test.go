package loadgen

import (
	"context"
	"testing"
	"time"
)

// A rate of thousands a second is kept (a Ticker kept less than half of
// 8,500 on a busy machine), and a stalled consumer is not made up for with
// a burst afterwards.
func TestIssueKeepsTheRate(t *testing.T) {
	const rate = 5000
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	tickets := make(chan int)
	go issue(ctx, Config{Rate: rate}, tickets)
	start, n := time.Now(), 0
	for range tickets {
		n++
	}
	if got := float64(n) / time.Since(start).Seconds(); got < 0.9*rate || got > 1.1*rate {
		t.Errorf("issued %.0f a second, want %d ± 10 %%", got, rate)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tickets = make(chan int)
	go issue(ctx, Config{Rate: rate}, tickets)
	<-tickets
	time.Sleep(200 * time.Millisecond) // the workers stall: 1,000 numbers fall due
	<-tickets                          // the one that was waiting
	burst, until := 0, time.Now().Add(20*time.Millisecond)
	for time.Now().Before(until) {
		<-tickets
		burst++
	}
	if most := 20 * rate / 1000 * 2; burst > most {
		t.Errorf("after a stall, %d numbers in 20 ms, want at most %d: the schedule caught up in a burst", burst, most)
	}
}
