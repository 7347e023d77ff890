// Package retention runs the job that deletes polls past their retention
// period (pollstack.Poll.DeletesAt) with their ballots and voter codes.
// Every server runs it: the stores let servers share the work (PostgreSQL
// skips a poll another server holds) and each step is one short
// transaction, with a pause between steps, so that votes never wait long.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Store is what the job needs of a pollstack.Store.
type Store interface {
	DeleteExpired(ctx context.Context, cutoff time.Time, maxRows int) (deleted []string, found bool, err error)
}

// Job deletes the polls whose retention ended.
type Job struct {
	Store     Store
	Retention time.Duration // how long a poll is kept after its end or its last activity
	Every     time.Duration // how often a sweep starts (default an hour)
	Rows      int           // most ballots and voter codes one step deletes (default 1,000)
	Pause     time.Duration // between steps, so that votes go first (default 100 ms)
	Now       func() time.Time
	Log       *slog.Logger
}

func (j *Job) defaults() {
	if j.Every <= 0 {
		j.Every = time.Hour
	}
	if j.Rows <= 0 {
		j.Rows = 1000
	}
	if j.Pause <= 0 {
		j.Pause = 100 * time.Millisecond
	}
	if j.Now == nil {
		j.Now = time.Now
	}
	if j.Log == nil {
		j.Log = slog.New(slog.DiscardHandler)
	}
}

// Run sweeps at once and then every j.Every until ctx ends.
func (j Job) Run(ctx context.Context) {
	j.defaults()
	for {
		n, err := j.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			j.Log.Warn("retention sweep failed; the next one goes on", "error", err.Error(), "deleted", n)
		case n > 0:
			j.Log.Info("retention sweep", "deleted", n, "retention", j.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(j.Every):
		}
	}
}

// Sweep deletes every poll whose retention ended by now, one bounded step
// at a time, and returns how many it deleted.
func (j Job) Sweep(ctx context.Context) (int, error) {
	j.defaults()
	cutoff := j.Now().Add(-j.Retention)
	deleted := 0
	for {
		ids, found, err := j.Store.DeleteExpired(ctx, cutoff, j.Rows)
		deleted += len(ids)
		if err != nil {
			return deleted, fmt.Errorf("retention: %w", err)
		}
		if !found {
			return deleted, nil
		}
		select {
		case <-ctx.Done():
			return deleted, ctx.Err()
		case <-time.After(j.Pause):
		}
	}
}
