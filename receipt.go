package pollstack

import "encoding/base64"

// Receipts of a verifiable poll (Poll.Verifiable). A receipt is 128 random
// bits (RandomToken), drawn by the server for each new ballot and shown
// once to its voter; the store keeps only its digest, which the ballot
// file lists beside the ballot. Whoever holds the receipt finds the ballot
// again and sees how it is counted; the digest gives nobody the receipt
// (SHA-256 is not reversed, and there are 2^128 receipts to try), and a
// digest presented as a receipt finds nothing, since it is hashed again.
//
// The trade-off: a receipt proves how its holder voted, to anyone they show
// it to. It suits clubs and boards, not votes where someone could be
// pressured or paid to vote one way.

// receiptBytes is a receipt's size: 128 bits.
const receiptBytes = 16

// NewReceipt draws a receipt and returns it with its digest.
func NewReceipt() (receipt string, digest []byte) {
	receipt = RandomToken(receiptBytes)
	return receipt, ReceiptDigest(receipt)
}

// ReceiptDigest is what the store keeps and the ballot file shows of a
// receipt: its SHA-256.
func ReceiptDigest(receipt string) []byte { return HashToken(receipt) }

// CheckReceipt checks the shape of a receipt as typed (22 base64url
// characters), so that a typo gets its own answer, not "unknown".
func CheckReceipt(receipt string) error {
	if b, err := base64.RawURLEncoding.DecodeString(receipt); err != nil || len(b) != receiptBytes {
		return Invalid("receipt", "receipt_invalid", "A receipt is 22 letters, digits, - and _, as it was shown after voting.")
	}
	return nil
}

// ErrReceiptUnknown answers a receipt that finds no ballot of the poll.
var ErrReceiptUnknown = &Error{Kind: KindNotFound, Code: "receipt_unknown", Field: "receipt", Message: "No ballot of this poll has this receipt. Check that it is the receipt shown after voting in this poll."}

// ErrNoReceipts answers a receipt check on a poll that gives no receipts.
var ErrNoReceipts = &Error{Kind: KindConflict, Code: "receipts_off", Field: "receipt", Message: "This poll gives no receipts: its creator did not make it verifiable."}
