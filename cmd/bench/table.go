package main

import (
	"fmt"
	"strings"
)

// table collects the rows that bench prints as a Markdown table.
type table struct {
	notes []string
	rows  [][]string
}

var header = []string{"store", "scenario", "rate", "p50", "p99", "max", "errors", "peak RSS", "check"}

func (t *table) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

func (t *table) add(cells ...string) {
	for len(cells) < len(header) {
		cells = append(cells, "")
	}
	t.rows = append(t.rows, cells)
	fmt.Println("  " + strings.Join(cells, " | ")) // progress, as it runs
}

func (t *table) String() string {
	var b strings.Builder
	for _, n := range t.notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}
