package doctor

import (
	"strings"

	"github.com/pollstack/pollstack/docs"
)

// runbookSection returns the body of docs/runbook.md's section whose heading
// is "### `name`" (its link is runbook.md#name), up to the next heading, or
// "" when there is none.
func runbookSection(name string) string {
	heading := "\n### `" + name + "`\n"
	i := strings.Index(docs.Runbook, heading)
	if i < 0 {
		return ""
	}
	body := docs.Runbook[i+len(heading):]
	if j := strings.Index(body, "\n#"); j >= 0 {
		body = body[:j]
	}
	return strings.TrimSpace(body)
}
