// Package docs only embeds the runbook, for doctor to quote: go:embed
// cannot reach a file above its package's directory, so this one Go file
// stays beside runbook.md. What reads it (and its test) is internal/doctor.
package docs

import _ "embed"

// Runbook is docs/runbook.md.
//
//go:embed runbook.md
var Runbook string
