//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's API examples run as written, one after the other, against
// the server on localhost:8080 (here: on a free port): each command carries
// the poll's ID and token from the one before.
func TestREADMEAPIExamplesRun(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's examples need %s: install it", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(readme[bytes.Index(readme, []byte("## Try the API")):]), "\n## ")
	var script strings.Builder
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		script.WriteString(m[1])
	}
	if script.Len() == 0 {
		t.Fatal("no sh examples under Try the API")
	}

	m := &Main{Config: Config{Addr: "127.0.0.1:0", Store: StoreConfig{Kind: SQLite, Path: filepath.Join(t.TempDir(), "p.db")},
		ShutdownTimeout: time.Second, CreateRateLimit: 10, VoteRateLimit: 20, RoomVotes: 500}, Log: slog.New(slog.DiscardHandler)}
	ctx, stop := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	defer func() { stop(); <-done }()

	cmd := exec.Command("bash", "-e", "-u", "-o", "pipefail", "-c", strings.ReplaceAll(script.String(), "localhost:8080", m.Addr()))
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's examples: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var answers []map[string]any
	for _, line := range lines {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("not a JSON answer: %q in\n%s", line, out)
		}
		answers = append(answers, a)
	}
	// The poll, the vote, the results, the closed poll; the code poll and its vote.
	if len(answers) != 6 || answers[2]["total"] != 1.0 || answers[3]["closed"] != true || answers[5]["option_ids"] == nil {
		t.Errorf("the examples answered:\n%s", out)
	}
}
