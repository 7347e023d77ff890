package main

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// The hot-row simulation. Every vote of one poll adds to the same counter
// rows, so the batches that store them cannot overlap: each holds the
// poll's row lock from its statement to its commit. Each task has one
// writer per poll (group commit sharded by poll); it takes every vote that
// queued while it waited, up to maxBatch, waits for the lock (first come,
// first served across tasks), and holds it for fixed + perVote × n. This
// simulates that, with votes arriving at random (Poisson) and spread evenly
// over the tasks, as round-robin load balancing does.

// hotRow describes one poll's writers and what a batch costs.
type hotRow struct {
	tasks    int
	maxBatch int
	fixed    time.Duration // per batch: statement, round trip and durable commit
	perVote  time.Duration // per vote inside the statement
}

// outcome is what a simulated run saw.
type outcome struct {
	offered, served float64 // votes per second: offered, and committed while they were
	meanBatch       float64
	p50, p99        time.Duration // from a vote's arrival to its commit
	lockBusy        float64       // share of the time the row was locked
}

func (h hotRow) hold(n int) time.Duration {
	return h.fixed + time.Duration(n)*h.perVote
}

// event kinds of the simulation, in time order.
const (
	arrive  = iota // a vote arrives at a task
	release        // the batch holding the lock commits
)

type event struct {
	at   time.Duration
	kind int
	task int
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at < e[j].at }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simulate offers votes per second for d of simulated time, then lets the
// votes still queued commit (for up to a minute more).
func (h hotRow) simulate(offered float64, d time.Duration, seed uint64) outcome {
	rng := rand.New(rand.NewPCG(seed, 1))
	queued := make([][]time.Duration, h.tasks) // arrival times waiting for a writer
	waiting := make([]bool, h.tasks)           // the writer waits for the lock
	var lockQueue []int                        // writers waiting, in order
	holder, inBatch := -1, []time.Duration(nil)
	var latencies []time.Duration
	var batches, batched, committed int // committed: by the end of the offer
	var busy time.Duration
	q := &events{}
	next := func(now time.Duration) time.Duration {
		return now + time.Duration(rng.ExpFloat64()/offered*float64(time.Second))
	}
	heap.Push(q, event{at: next(0), kind: arrive, task: rng.IntN(h.tasks)})
	grant := func(now time.Duration) {
		if holder >= 0 || len(lockQueue) == 0 {
			return
		}
		holder, lockQueue = lockQueue[0], lockQueue[1:]
		waiting[holder] = false
		n := min(len(queued[holder]), h.maxBatch)
		inBatch, queued[holder] = queued[holder][:n:n], queued[holder][n:]
		hold := h.hold(n)
		busy += hold
		batches, batched = batches+1, batched+n
		heap.Push(q, event{at: now + hold, kind: release, task: holder})
	}
	// A writer with votes queued asks for the lock unless it already has.
	ask := func(task int) {
		if len(queued[task]) > 0 && !waiting[task] && holder != task {
			waiting[task] = true
			lockQueue = append(lockQueue, task)
		}
	}
	var end time.Duration
	for q.Len() > 0 {
		e := heap.Pop(q).(event)
		if e.at > d+time.Minute {
			break
		}
		end = e.at
		switch e.kind {
		case arrive:
			if e.at > d {
				continue // no more votes: the queues drain
			}
			queued[e.task] = append(queued[e.task], e.at)
			ask(e.task)
			heap.Push(q, event{at: next(e.at), kind: arrive, task: rng.IntN(h.tasks)})
		case release:
			for _, a := range inBatch {
				latencies = append(latencies, e.at-a)
			}
			if e.at <= d {
				committed += len(inBatch)
			}
			holder = -1
			ask(e.task)
		}
		grant(e.at)
	}
	o := outcome{offered: offered, served: float64(committed) / d.Seconds(), lockBusy: min(1, busy.Seconds()/end.Seconds())}
	if batches > 0 {
		o.meanBatch = float64(batched) / float64(batches)
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		o.p50 = latencies[len(latencies)/2]
		o.p99 = latencies[int(math.Ceil(float64(len(latencies))*0.99))-1]
	}
	return o
}

// limit finds the most votes per second the poll takes with a p99 from
// arrival to commit within target: a bisection over the offered rate.
func (h hotRow) limit(target time.Duration, d time.Duration) outcome {
	ceiling := float64(h.maxBatch) / h.hold(h.maxBatch).Seconds() // the lock always busy with full batches
	lo, hi := 0.0, ceiling*1.2
	var best outcome
	for range 16 {
		mid := (lo + hi) / 2
		o := h.simulate(mid, d, 1)
		if o.p99 <= target {
			lo, best = mid, o
		} else {
			hi = mid
		}
	}
	return best
}
