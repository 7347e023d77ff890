package pollstack

import (
	"crypto/rand"
	"strings"
)

// A join code is a short code a room types to reach a poll (/j/CODE):
// letters and digits that no one reads as one another (no 0/O, 1/I/L), in
// any case, six of them: about 887 million codes.
const (
	JoinCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	JoinCodeLen      = 6
)

// ErrJoinCodeTaken is a store's answer to a new poll whose join code another
// poll has; the caller draws another.
var ErrJoinCodeTaken = &Error{Kind: KindConflict, Code: "join_code_taken", Message: "That join code is taken."}

// NewJoinCode draws a join code.
func NewJoinCode() string {
	b := make([]byte, JoinCodeLen)
	rand.Read(b) // never fails
	for i := range b {
		b[i] = JoinCodeAlphabet[int(b[i])%len(JoinCodeAlphabet)] // 256 % 31 = 8: a bias too small to matter for a code that only routes
	}
	return string(b)
}

// NormalizeJoinCode reads a join code as typed or linked: any case, spaces
// around it, and a trailing slash or full stop (a link at the end of a
// sentence) are forgiven. ok is false when it cannot be a join code.
func NormalizeJoinCode(typed string) (code string, ok bool) {
	code = strings.ToUpper(strings.TrimRight(strings.TrimSpace(typed), "/. "))
	if len(code) != JoinCodeLen {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(JoinCodeAlphabet, code[i]) < 0 {
			return "", false
		}
	}
	return code, true
}
