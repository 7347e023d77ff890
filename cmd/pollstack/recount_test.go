package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
)

// writeBallotFile writes a ranked poll's ballot file as the server does.
func writeBallotFile(t *testing.T, path string, p *pollstack.Poll, rankings ...[]int) {
	t.Helper()
	var buf bytes.Buffer
	file, err := pollstack.NewBallotFile(&buf, p, func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	cast := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, r := range rankings {
		if err := file.Write(pollstack.CastBallot{OptionIDs: r, Cast: cast}); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRecountPrintsEveryRound(t *testing.T) {
	p := &pollstack.Poll{ID: "AAAAAAAAAAAAAAAA", Ranked: true, Multiple: true, MinChoices: 1, MaxChoices: 3,
		Options: []pollstack.Option{{ID: 1, Label: "Soup"}, {ID: 2, Label: "Salad"}, {ID: 3, Label: "Pie"}}}
	path := filepath.Join(t.TempDir(), "poll-"+p.ID+"-ballots.csv")
	// Round 1: Soup 2, Salad 2, Pie 1; Pie out, its ballot to Salad; Salad wins 3 of 5.
	writeBallotFile(t, path, p, []int{1}, []int{1, 3}, []int{2}, []int{2, 1}, []int{3, 2})
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"recount", path}, func(string) string { return "" }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"round 1", "round 2", "winner: Salad, in round 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The same count as the server's, read from the same file.
	f, _ := os.Open(path)
	defer f.Close()
	_, result, err := pollstack.Recount(p.ID, f)
	if err != nil || result.Winner != 2 || len(result.Rounds) != 2 || result.Rounds[1].Votes[2] != 3 {
		t.Errorf("Recount = %+v, %v; want Salad with 3 in round 2", result, err)
	}
}

func TestRecountErrorsNameTheProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "poll-AAAAAAAAAAAAAAAA-ballots.csv")
	os.WriteFile(bad, []byte("ballot_id,cast_at,changed_at,receipt_sha256,A,B\r\nx,2026-06-01T12:00:00Z,,,1,1\r\n"), 0o600)
	other := filepath.Join(dir, "ballots.csv")
	os.WriteFile(other, []byte("ballot_id,cast_at,changed_at,receipt_sha256,A,B\r\n"), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"recount"}, "usage: pollstack recount"},
		{[]string{"recount", bad}, "row 2: rank_repeated: Rank 1 is given to two options"},
		{[]string{"recount", other}, "-poll is needed"},
		{[]string{"recount", "-poll", "AAAAAAAAAAAAAAAA", filepath.Join(dir, "missing.csv")}, "missing.csv"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error with %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
