package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/pollstack/pollstack"
)

// Store wraps a store so that every call that fails on the store's side
// (the database away, or an error that is not the caller's) is counted by
// operation. Errors meant for the caller (not found, already voted, a rule)
// are answers, not store errors. With a nil m, Store returns s itself.
func (m *Metrics) Store(s pollstack.Store) pollstack.Store {
	if m == nil {
		return s
	}
	return &countingStore{Store: s, m: m}
}

// countingStore counts the failures of every call that can fail; Watch
// and Close pass through.
type countingStore struct {
	pollstack.Store
	m *Metrics
}

// count records err if it is the store's own failure, and returns it.
func (c *countingStore) count(op string, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) && (errors.Is(err, pollstack.ErrUnavailable) || pollstack.ErrorOf(err) == nil) {
		c.m.StoreError(op)
	}
	return err
}

func (c *countingStore) CreatePoll(ctx context.Context, p *pollstack.Poll, codes []string) error {
	return c.count("create_poll", c.Store.CreatePoll(ctx, p, codes))
}

func (c *countingStore) AddVoterCodes(ctx context.Context, pollID string, codes []string) error {
	return c.count("add_voter_codes", c.Store.AddVoterCodes(ctx, pollID, codes))
}

func (c *countingStore) Poll(ctx context.Context, id string) (*pollstack.Poll, error) {
	p, err := c.Store.Poll(ctx, id)
	return p, c.count("poll", err)
}

func (c *countingStore) Vote(ctx context.Context, b pollstack.Ballot) error {
	return c.count("vote", c.Store.Vote(ctx, b))
}

func (c *countingStore) NameOf(ctx context.Context, pollID, voterKey string) (string, error) {
	name, err := c.Store.NameOf(ctx, pollID, voterKey)
	return name, c.count("name_of", err)
}

func (c *countingStore) BallotByReceipt(ctx context.Context, pollID string, digest []byte) (pollstack.CastBallot, error) {
	b, err := c.Store.BallotByReceipt(ctx, pollID, digest)
	return b, c.count("ballot_by_receipt", err)
}

func (c *countingStore) HasVoted(ctx context.Context, pollID, voterKey string) (bool, error) {
	v, err := c.Store.HasVoted(ctx, pollID, voterKey)
	return v, c.count("has_voted", err)
}

func (c *countingStore) Results(ctx context.Context, pollID string) (pollstack.Results, error) {
	r, err := c.Store.Results(ctx, pollID)
	return r, c.count("results", err)
}

func (c *countingStore) ClosePoll(ctx context.Context, id string, now time.Time) error {
	return c.count("close_poll", c.Store.ClosePoll(ctx, id, now))
}

func (c *countingStore) Decide(ctx context.Context, id string, optionID int, now time.Time) error {
	return c.count("decide", c.Store.Decide(ctx, id, optionID, now))
}

func (c *countingStore) DeletePoll(ctx context.Context, id string) error {
	return c.count("delete_poll", c.Store.DeletePoll(ctx, id))
}

func (c *countingStore) Ping(ctx context.Context) error {
	return c.count("ping", c.Store.Ping(ctx))
}
