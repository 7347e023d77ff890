package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

var update = flag.Bool("update", false, "rewrite the settings tables of docs/configuration.md from the settings")

// Flags behave like flags: a boolean may stand alone (and must not swallow
// the next flag), a duration is a duration, and an environment variable is
// read by the same parse function as its flag.
func TestFlagsOfEachKind(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, err := parseConfig("t", []string{"--trust-proxy", "--addr", "127.0.0.1:9999", "--db-migrate=false", "--drain-period", "90s"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TrustProxy || cfg.Addr != "127.0.0.1:9999" || !cfg.Store.NoMigrations || cfg.DrainPeriod != 90*time.Second {
		t.Errorf("got trust-proxy %v, addr %q, no migrations %v, drain %v", cfg.TrustProxy, cfg.Addr, cfg.Store.NoMigrations, cfg.DrainPeriod)
	}
	env := map[string]string{"POLLSTACK_TRUST_PROXY": "true", "POLLSTACK_DRAIN_PERIOD": "5s", "POLLSTACK_VOTE_RATE_LIMIT": "7"}
	cfg, err = parseConfig("t", nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TrustProxy || cfg.DrainPeriod != 5*time.Second || cfg.VoteRateLimit != 7 {
		t.Errorf("from the environment: got trust-proxy %v, drain %v, vote rate %d", cfg.TrustProxy, cfg.DrainPeriod, cfg.VoteRateLimit)
	}
	// A flag given wins over its environment variable, a bare boolean too.
	env = map[string]string{"POLLSTACK_TRUST_PROXY": "false"}
	if cfg, err = parseConfig("t", []string{"--trust-proxy"}, func(k string) string { return env[k] }, io.Discard); err != nil || !cfg.TrustProxy {
		t.Errorf("--trust-proxy over POLLSTACK_TRUST_PROXY=false: got %v, %v", cfg.TrustProxy, err)
	}
	_, err = parseConfig("t", []string{"--trust-proxy", "false"}, noEnv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--trust-proxy=false") {
		t.Errorf("a boolean's value after a space: got %v, want a hint to write --trust-proxy=false", err)
	}
}

// -h names each flag's kind and shows its environment variable and default.
func TestHelpNamesKinds(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseConfig("pollstack serve", []string{"-h"}, func(string) string { return "" }, &out); err != flag.ErrHelp {
		t.Fatalf("-h: got %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"\n  --trust-proxy\n", "\n  --drain-period duration\n", "\n  --vote-rate-limit int\n", "\n  --addr string\n", "(env POLLSTACK_DRAIN_PERIOD; default 30s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), `(default "false")`) || strings.Contains(out.String(), "`") {
		t.Errorf("-h shows a boolean's default as a string, or Markdown:\n%s", out.String())
	}
}

// The settings tables of docs/configuration.md are rendered from the
// settings: a flag renamed, added or described anew without the doc fails
// here. Run go test ./cmd/pollstack -run TestConfigurationDocSettings -update
// to rewrite them.
func TestConfigurationDocSettings(t *testing.T) {
	path := filepath.Join(repo.Root(), "docs", "configuration.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(doc)
	want := got
	for name, table := range map[string][]setting{"serve": settings, "migrate": migrateSettings} {
		want, err = replaceBetween(want, "<!-- settings:"+name+" -->\n", "<!-- /settings:"+name+" -->", markdownTable(table))
		if err != nil {
			t.Fatal(err)
		}
	}
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/configuration.md's settings tables differ from the settings in cmd/pollstack/config.go; run go test ./cmd/pollstack -run TestConfigurationDocSettings -update")
}

func markdownTable(all []setting) string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | what it does |\n|---|---|---|---|\n")
	for _, s := range all {
		def := ""
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		flagName := "`--" + s.flag + "`"
		if s.kind == boolean {
			flagName += " (bool)"
		} else if s.kind != "" && s.kind != text {
			flagName += " " + string(s.kind)
		}
		b.WriteString("| " + flagName + " | `" + s.env + "` | " + def + " | " + s.usage + " |\n")
	}
	return b.String()
}

// replaceBetween replaces what stands between two markers.
func replaceBetween(doc, start, end, with string) (string, error) {
	i := strings.Index(doc, start)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", &markerError{start, end}
	}
	return doc[:i+len(start)] + with + doc[j:], nil
}

type markerError struct{ start, end string }

func (e *markerError) Error() string {
	return "docs/configuration.md lacks the markers " + strings.TrimSpace(e.start) + " ... " + e.end
}
