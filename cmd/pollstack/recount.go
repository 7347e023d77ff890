package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/pollstack/pollstack"
)

// runRecount counts a ranked poll's ballot file (downloaded from the admin
// page or GET /api/v1/polls/{id}/ballots.csv) by the server's own rules and
// prints every round: anyone holding the file can check the published result.
func runRecount(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("recount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pollID := fs.String("poll", "", "the poll's ID, which seeds the lot that breaks a tie nothing else breaks (default: from a file name poll-ID-ballots.csv)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pollstack recount [-poll ID] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	if *pollID == "" {
		*pollID = pollIDFromName(path)
	}
	if *pollID == "" {
		fmt.Fprintf(stderr, "pollstack recount: -poll is needed: the file name %q does not say which poll it is (poll-ID-ballots.csv)\n", filepath.Base(path))
		return 2
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "pollstack recount: %v\n", err)
		return 1
	}
	defer f.Close()
	labels, result, err := pollstack.Recount(*pollID, f)
	if err != nil {
		fmt.Fprintf(stderr, "pollstack recount: %s: %v\n", path, err)
		return 1
	}
	printCount(stdout, labels, result)
	return 0
}

var ballotFileName = regexp.MustCompile(`^poll-([A-Za-z0-9_-]{16})-ballots(?: \(\d+\))?\.csv$`)

// pollIDFromName reads the poll ID from the name the server gives the file
// (a browser may add " (1)" to a second download).
func pollIDFromName(path string) string {
	if m := ballotFileName.FindStringSubmatch(filepath.Base(path)); m != nil {
		return m[1]
	}
	return ""
}

// printCount writes the rounds as a table, an option per row, then the outcome.
func printCount(w io.Writer, labels []string, result pollstack.RankedResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"option"}
	for i := range result.Rounds {
		header = append(header, fmt.Sprintf("round %d", i+1))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for i, label := range labels {
		row := []string{label}
		for _, r := range result.Rounds {
			cell := "-"
			if n, ok := r.Votes[i+1]; ok {
				cell = fmt.Sprint(n)
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	for _, line := range []struct {
		name string
		of   func(pollstack.RankedRound) string
	}{
		{"continuing", func(r pollstack.RankedRound) string { return fmt.Sprint(r.Continuing) }},
		{"exhausted", func(r pollstack.RankedRound) string { return fmt.Sprint(r.Exhausted) }},
		{"eliminated", func(r pollstack.RankedRound) string { return eliminated(labels, r) }},
	} {
		row := []string{line.name}
		for _, r := range result.Rounds {
			row = append(row, line.of(r))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	switch {
	case result.Winner != 0:
		fmt.Fprintf(w, "winner: %s, in round %d\n", labels[result.Winner-1], len(result.Rounds))
	case len(result.Tied) > 0:
		fmt.Fprintf(w, "tie in the final round: %s and %s\n", labels[result.Tied[0]-1], labels[result.Tied[1]-1])
	default:
		fmt.Fprintln(w, "no ballots")
	}
}

func eliminated(labels []string, r pollstack.RankedRound) string {
	var names []string
	for _, id := range r.Eliminated {
		names = append(names, labels[id-1])
	}
	out := strings.Join(names, "; ")
	if r.TieBreak != "" {
		out += " (tie: " + strings.ReplaceAll(r.TieBreak, "_", " ") + ")"
	}
	return out
}
