package pollstack

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// DuplicateCheck is how a poll tells one voter from another: the creator
// chooses it, the poll page names it, and the store keeps one ballot per
// voter under it (a unique constraint, not only this code).
type DuplicateCheck string

const (
	// CheckBrowser allows one ballot per browser, by the voter cookie. Anyone
	// who clears cookies votes again: a courtesy check, bounded by the rate limits.
	CheckBrowser DuplicateCheck = "browser"
	// CheckAddress allows one ballot per client address (an IPv6 client per
	// /56 network); people behind one NAT share one vote. The address is kept
	// only as a keyed hash.
	CheckAddress DuplicateCheck = "ip"
	// CheckCode allows one ballot per single-use voter code that the creator
	// hands out; the store keeps the codes' hashes only.
	CheckCode DuplicateCheck = "code"
	// CheckNone counts every submission (a kiosk).
	CheckNone DuplicateCheck = "none"
)

// DuplicateChecks lists the valid values, in the order forms offer them.
var DuplicateChecks = []DuplicateCheck{CheckBrowser, CheckAddress, CheckCode, CheckNone}

func validDuplicateCheck(c DuplicateCheck) bool {
	for _, ok := range DuplicateChecks {
		if c == ok {
			return true
		}
	}
	return false
}

// Voter codes: how many a request may mint, and a poll may have. Codes go to
// a known electorate one by one (a slip handed out at the door, a line of a
// mail merge): a general assembly, a union branch, a school's council vote,
// hundreds to a few thousand people. One batch of 5,000 covers the largest of
// those; a bigger electorate takes several batches, and the server's budget
// of codes per address and hour (--voter-codes-per-hour) bounds how fast.
const (
	MaxVoterCodes     = 5_000   // in one creation or one minting request
	MaxPollVoterCodes = 100_000 // over the life of a poll
)

// CheckAddCodes checks a request for n more voter codes on a poll with the
// given check that has some already: stores call it in the transaction that
// adds them.
func CheckAddCodes(check DuplicateCheck, have, n int) error {
	switch {
	case check != CheckCode:
		return ErrNotCodePoll
	case checkCodeCount(n) != nil:
		return checkCodeCount(n)
	case have+n > MaxPollVoterCodes:
		return Invalid("voter_codes", "voter_codes_too_many", "A poll can have at most %d voter codes; this one has %d.", MaxPollVoterCodes, have)
	}
	return nil
}

// Voter is who casts a ballot, in every form that a duplicate check may
// need; the poll's check picks one (see VoterKey). The transport fills in
// what it knows: the store never sees a client address or a code in clear.
type Voter struct {
	Browser string // the voter cookie
	// Address makes a keyed hash of the client's address, for this poll (see
	// web). It is made only when an "ip" poll asks: the hash would cost
	// every other vote more than the rest of the voter's identity.
	Address func() string
	Code    string // CodeKey of the voter code presented; empty if none or malformed
}

// VoterKey is the identity under which the poll keeps a voter's one
// ballot: the key of the ballots table. It is empty for a "none" poll, whose
// ballots each get a fresh key (see Admit), and for a "code" poll when no
// valid code was given.
func (p *Poll) VoterKey(v Voter) string {
	switch p.DuplicateCheck {
	case CheckAddress:
		if v.Address == nil {
			return ""
		}
		return v.Address()
	case CheckCode:
		return v.Code
	case CheckNone:
		return ""
	default:
		return v.Browser
	}
}

// DuplicateError is the error for a second ballot under the poll's check.
func (p *Poll) DuplicateError() error {
	if p.DuplicateCheck == CheckCode {
		return ErrCodeUsed
	}
	return ErrAlreadyVoted
}

// codeAlphabet is Crockford's base32: no I, L, O or U, so that a code read
// aloud or typed from paper is not misread. NormalizeCode forgives the
// letters people confuse with digits.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var codeEncoding = base32.NewEncoding(codeAlphabet).WithPadding(base32.NoPadding)

// codeLen is the length of a voter code without its dashes: 80 random bits,
// so that a fast unsalted hash is enough (nothing to guess, even offline).
const codeLen = 16

// CodeBatch is a batch of voter codes derived from one random seed, so that
// the codes can be shown to their creator again from the seed alone (kept in
// a short-lived cookie for the page that lists them) while the store keeps
// only their hashes.
type CodeBatch struct {
	Seed  string // 128 random bits, base64url
	Count int
}

// NewCodeBatch returns a batch of n fresh codes.
func NewCodeBatch(n int) CodeBatch {
	return CodeBatch{Seed: RandomToken(16), Count: n}
}

// MintCodes returns a batch of n fresh codes, or the rule that n breaks.
func MintCodes(n int) (CodeBatch, error) {
	if err := checkCodeCount(n); err != nil {
		return CodeBatch{}, err
	}
	return NewCodeBatch(n), nil
}

func checkCodeCount(n int) error {
	if n < 1 || n > MaxVoterCodes {
		return Invalid("voter_codes", "voter_codes_count", "Ask for 1 to %d voter codes.", MaxVoterCodes)
	}
	return nil
}

// Codes returns the batch's codes, formatted as XXXX-XXXX-XXXX-XXXX.
func (b CodeBatch) Codes() []string {
	seed, err := base64.RawURLEncoding.DecodeString(b.Seed)
	if err != nil || b.Count <= 0 {
		return nil
	}
	codes := make([]string, b.Count)
	var i [8]byte
	for n := range codes {
		mac := hmac.New(sha256.New, seed)
		binary.BigEndian.PutUint64(i[:], uint64(n))
		mac.Write(i[:])
		raw := codeEncoding.EncodeToString(mac.Sum(nil)[:codeLen*5/8])
		codes[n] = raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	}
	return codes
}

// Keys returns the CodeKey of each code, what the store keeps.
func (b CodeBatch) Keys() []string {
	codes := b.Codes()
	keys := make([]string, len(codes))
	for i, c := range codes {
		keys[i] = CodeKey(c)
	}
	return keys
}

// NormalizeCode returns a voter code in its canonical form (upper case, no
// dashes or spaces, O read as 0 and I or L as 1), or "" if it cannot be one.
func NormalizeCode(code string) string {
	if len(code) > 2*codeLen {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != codeLen {
		return ""
	}
	return b.String()
}

// CodeKey is the hash under which the store keeps a voter code (and its one
// ballot): SHA-256 of the canonical code, base64url. A code that cannot be
// one has no key ("").
func CodeKey(code string) string {
	canonical := NormalizeCode(code)
	if canonical == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("pollstack voter code\x00" + canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newBallotKey is the key of a ballot in a "none" poll: unique, so that
// every submission counts.
func newBallotKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "none:" + base64.RawURLEncoding.EncodeToString(b)
}
