package pollstack_test

import (
	"strings"
	"testing"

	"github.com/pollstack/pollstack"
)

// Join codes use only unambiguous characters, and a code is read back
// whatever its case, spaces, trailing slash or full stop.
func TestJoinCode(t *testing.T) {
	for range 200 {
		code := pollstack.NewJoinCode()
		if len(code) != pollstack.JoinCodeLen || strings.ContainsAny(code, "0O1IL") {
			t.Fatalf("join code %q", code)
		}
		for _, typed := range []string{code, strings.ToLower(code), " " + code + " ", code + "/", code + ".", strings.ToLower(code) + "./"} {
			if got, ok := pollstack.NormalizeJoinCode(typed); !ok || got != code {
				t.Errorf("NormalizeJoinCode(%q) = %q, %v; want %q", typed, got, ok, code)
			}
		}
	}
	for _, bad := range []string{"", "ABC", "ABCDEFG", "ABCDE0", "ABCDEO", "ABC/EF", "ÄBCDEF"} {
		if got, ok := pollstack.NormalizeJoinCode(bad); ok {
			t.Errorf("NormalizeJoinCode(%q) = %q, want refused", bad, got)
		}
	}
}
