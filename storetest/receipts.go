package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// testReceipts: a verifiable poll keeps each ballot's receipt digest; the
// digest finds the ballot (with its options as changed since), the ballot
// file lists it, and a digest finds nothing in another poll or when made
// up. The poll's choices (verifiable, ballots_public) come back as made.
func testReceipts(t *testing.T, s pollstack.Store, clock *Clock) {
	ctx := context.Background()
	p := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B", "C"}, Kind: pollstack.PollRanked,
		AllowChanges: true, Verifiable: true, BallotsPublic: true})
	got, err := s.Poll(ctx, p.ID)
	if err != nil || !got.Verifiable || !got.BallotsPublic {
		t.Fatalf("Poll = %+v, %v; want verifiable, ballots public", got, err)
	}
	other := MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}, Verifiable: true})
	_, first := pollstack.NewReceipt()
	_, second := pollstack.NewReceipt()
	wantOutcome(t, "vote v1", s.Vote(ctx, pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v1"}, OptionIDs: []int{2, 1}, ReceiptDigest: first}), nil)
	clock.Advance(time.Second) // the file lists ballots in the order cast
	wantOutcome(t, "vote v2", s.Vote(ctx, pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v2"}, OptionIDs: []int{3}, ReceiptDigest: second}), nil)
	wantOutcome(t, "change v1", change(s, p.ID, pollstack.Voter{Browser: "v1"}, 1, 3), nil)

	b, err := s.BallotByReceipt(ctx, p.ID, first)
	if err != nil || !slices.Equal(b.OptionIDs, []int{1, 3}) || b.Changed == nil || !bytes.Equal(b.ReceiptDigest, first) {
		t.Errorf("BallotByReceipt(first) = %+v, %v; want the changed ballot 1, 3 with its digest", b, err)
	}
	if b, err := s.BallotByReceipt(ctx, p.ID, second); err != nil || !slices.Equal(b.OptionIDs, []int{3}) {
		t.Errorf("BallotByReceipt(second) = %+v, %v; want 3", b, err)
	}
	_, unknown := pollstack.NewReceipt()
	for what, try := range map[string]struct {
		poll   string
		digest []byte
	}{"a made-up digest": {p.ID, unknown}, "another poll's": {other.ID, first}, "no digest": {p.ID, nil}} {
		if _, err := s.BallotByReceipt(ctx, try.poll, try.digest); err != pollstack.ErrReceiptUnknown {
			t.Errorf("%s: %v, want ErrReceiptUnknown", what, err)
		}
	}
	var digests [][]byte
	for _, b := range Exported(t, s, p.ID) {
		digests = append(digests, b.ReceiptDigest)
	}
	if len(digests) != 2 || !bytes.Equal(digests[0], first) || !bytes.Equal(digests[1], second) {
		t.Errorf("exported digests %x, want %x then %x", digests, first, second)
	}
}
