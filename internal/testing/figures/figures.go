// Package figures lets tests print the figures they measure (votes,
// failures, recovery and apply times) where CI shows them.
package figures

import (
	"fmt"
	"os"
	"testing"
)

// Print logs a line of figures and, when POLLSTACK_FIGURES names a file,
// appends it there too: `make test` prints that file at the end, so the
// figures of passing tests reach the CI log without `go test -v`.
func Print(tb testing.TB, format string, args ...any) {
	tb.Helper()
	line := fmt.Sprintf("%s: %s", tb.Name(), fmt.Sprintf(format, args...))
	tb.Log(line)
	path := os.Getenv("POLLSTACK_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Errorf("figures file: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}
