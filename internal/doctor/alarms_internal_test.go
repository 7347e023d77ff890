package doctor

import (
	"strings"
	"testing"
	"time"
)

// A firing alarm is shown with the runbook section its description links.
func TestAlarmShowsItsRunbookSection(t *testing.T) {
	since := time.Date(2026, 12, 2, 10, 4, 0, 0, time.UTC)
	a := alarmOf("pollstack-lean-target-5xx-rate",
		"pollstack-lean: more than 5 % of requests get a 5xx from the app. Runbook: https://github.com/o/r/blob/main/docs/runbook.md#target-5xx-rate",
		"Threshold Crossed", &since)
	if a.Runbook != "https://github.com/o/r/blob/main/docs/runbook.md#target-5xx-rate" || !strings.Contains(a.Section, "**What it means**") {
		t.Fatalf("alarm %+v: want the link and its section", a)
	}
	r := &Report{Alarms: []Alarm{a, alarmOf("other", "no link here", "manual", nil)}}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ALARM pollstack-lean-target-5xx-rate since 2026-12-02T10:04:00Z: Threshold Crossed\n", "  - **Fix**:", "ALARM other: manual\n  (no runbook link"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
