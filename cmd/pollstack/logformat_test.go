package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Logs are JSON for machines and text for people: auto picks JSON when the
// output is no terminal (a pipe, a file, /dev/null).
func TestLogFormat(t *testing.T) {
	for format, wantJSON := range map[string]bool{"json": true, "text": false, "auto": true} {
		var buf bytes.Buffer
		newLogger(&buf, slog.LevelInfo, format).Info("started", "addr", ":8080")
		if got := json.Valid(buf.Bytes()); got != wantJSON {
			t.Errorf("--log-format %s wrote %q", format, buf.String())
		}
		if !wantJSON && !strings.Contains(buf.String(), `msg=started addr=:8080`) {
			t.Errorf("text log %q", buf.String())
		}
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("/dev/null is taken for a terminal")
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--log-format", "xml"}, func(string) string { return "" }, &stdout, &stdout); code != 2 || !strings.Contains(stdout.String(), "--log-format") {
		t.Errorf("a bad --log-format: exit %d, %q", code, stdout.String())
	}
}
