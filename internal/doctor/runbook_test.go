package doctor

import (
	"strings"
	"testing"
)

// Every alarm section says what it means, what to look at first, and the fix.
func TestRunbookSections(t *testing.T) {
	for _, name := range []string{"alb-5xx-rate", "target-5xx-rate", "target-p99-latency", "unhealthy-hosts", "running-tasks",
		"db-cpu", "db-free-storage", "db-storage-growth", "db-freeable-memory", "db-connections", "waf-blocked-requests", "vote-errors", "rate-limited", "task-stopped"} {
		s := runbookSection(name)
		for _, part := range []string{"**What it means**", "**Look first at**: 1.", " 2. ", " 3. ", "**Fix**"} {
			if !strings.Contains(s, part) {
				t.Errorf("section %s lacks %q:\n%s", name, part, s)
			}
		}
		if strings.Contains(s, "\n#") {
			t.Errorf("section %s runs into the next heading", name)
		}
	}
	if runbookSection("no-such-alarm") != "" {
		t.Error("a missing section is not empty")
	}
}
