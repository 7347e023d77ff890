// Package docs carries the runbook into the binaries that quote it:
// doctor prints the section of every alarm that is firing.
package docs

import (
	_ "embed"
	"strings"
)

//go:embed runbook.md
var runbook string

// RunbookSection returns the body of the runbook's section whose heading is
// "### `name`" (its link is runbook.md#name), up to the next heading, or ""
// when there is none.
func RunbookSection(name string) string {
	heading := "\n### `" + name + "`\n"
	i := strings.Index(runbook, heading)
	if i < 0 {
		return ""
	}
	body := runbook[i+len(heading):]
	if j := strings.Index(body, "\n#"); j >= 0 {
		body = body[:j]
	}
	return strings.TrimSpace(body)
}
