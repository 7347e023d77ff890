package main

import (
	"fmt"
	"strings"
)

// table collects the rows that bench prints as a Markdown table.
type table struct {
	notes []string
	rows  []row
}

// row is one line of the table; empty cells stay empty.
type row struct {
	store, scenario, rate, p50, p99, max, errors, rss, cpu, log, check string
}

var header = []string{"store", "scenario", "rate", "p50", "p99", "max", "errors", "peak RSS", "server CPU per 1,000 votes", "log per 1,000 votes", "check"}

func (r row) cells() []string {
	return []string{r.store, r.scenario, r.rate, r.p50, r.p99, r.max, r.errors, r.rss, r.cpu, r.log, r.check}
}

func (t *table) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	t.notes = append(t.notes, n)
	fmt.Println("  " + n) // progress, as it runs
}

func (t *table) add(r row) {
	t.rows = append(t.rows, r)
	fmt.Println("  " + strings.Join(r.cells(), " | ")) // progress, as it runs
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
		b.WriteString("| " + strings.Join(r.cells(), " | ") + " |\n")
	}
	return b.String()
}
