package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/syncbuf"
)

func TestBadFlagsNameTheFlag(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve", "--addr", "nonsense"}, nil, "--addr"},
		{[]string{"serve", "--database-url", "mysql://x"}, nil, `--database-url: unsupported scheme "mysql"`},
		{[]string{"serve", "--database-url", "sqlite:"}, nil, "--database-url: sqlite: needs a file path"},
		{[]string{"serve", "--database-url", "postgres://db.example.com/p"}, nil, "--database-url: database host db.example.com is not local: TLS is required"},
		{[]string{"serve", "--database-url", "postgres://localhost/p?sslmode=maybe"}, nil, `--database-url: sslmode "maybe"`},
		{[]string{"serve", "--db-secret-arn", "arn:aws:secretsmanager:eu-west-1:1:secret:x", "--db-secret-file", "f", "--database-url", "postgres://localhost/p"}, nil, "give one source of credentials"},
		{[]string{"serve", "--db-secret-file", "f"}, nil, "need a postgres:// --database-url"},
		{[]string{"serve", "--drain-period", "soon"}, nil, "--drain-period"},
		{[]string{"serve", "--trust-proxy=maybe"}, nil, "--trust-proxy"},
		{[]string{"serve", "--log-level", "loud"}, nil, "--log-level"},
		{[]string{"serve", "--log-sample", "5%"}, nil, `--log-sample "5%": want a fraction from 0 to 1`},
		{[]string{"serve", "--log-sample", "1.5"}, nil, "--log-sample"},
		{[]string{"serve", "--log-slow", "-1s"}, nil, "--log-slow"},
		{[]string{"serve", "--metrics-addr", "9090"}, nil, "--metrics-addr"},
		{[]string{"serve", "--metrics-addr", ":8080"}, nil, "--metrics-addr: must not be the public --addr"},
		{[]string{"serve", "--emf-interval", "often"}, nil, "--emf-interval"},
		{[]string{"serve", "--metrics-service", ""}, nil, "--metrics-service"},
		{[]string{"serve", "--db-secret-arn", "my-secret"}, nil, "--db-secret-arn"},
		{[]string{"serve", "--server-key-secret-arn", "my-key"}, nil, "--server-key-secret-arn"},
		{[]string{"serve", "--vote-rate-limit", "-1"}, nil, "--vote-rate-limit"},
		{[]string{"serve", "--voter-codes-per-hour", "lots"}, nil, "--voter-codes-per-hour"},
		{[]string{"serve", "--conn-limit", "-5"}, nil, "--conn-limit"},
		{[]string{"serve"}, map[string]string{"POLLSTACK_CONN_LIMIT_PER_ADDRESS": "many"}, "--conn-limit-per-address"},
		{[]string{"serve", "--public-url", "polls.example.com"}, nil, "--public-url"},
		{[]string{"serve", "--public-url", "https://polls.example.com/app"}, nil, "--public-url"},
		{[]string{"serve", "--public-url", "https://polls.example.com/?x=1"}, nil, "--public-url"},
		{[]string{"serve"}, map[string]string{"POLLSTACK_CREATE_RATE_LIMIT": "ten"}, "--create-rate-limit"},
		{[]string{"serve", "--server-key-file", "k", "--server-key-secret-arn", "arn:aws:secretsmanager:eu-west-1:1:secret:k"}, nil, "give one source of the server key"},
		{[]string{"serve", "--no-such-flag"}, nil, "no-such-flag"},
		{[]string{"migrate", "extra"}, nil, `unexpected argument "extra"`},
		{[]string{"serve", "--db-iam-auth=true"}, nil, "--db-iam-auth needs a postgres:// --database-url"},
		{[]string{"serve", "--db-iam-auth=maybe"}, nil, "--db-iam-auth"},
		{[]string{"serve", "--db-migrate=later"}, nil, "--db-migrate"},
		{[]string{"serve", "--db-iam-auth=true", "--database-url", "postgres://db.example.com:5432/p?sslmode=require"}, nil, "--db-iam-auth needs the user and host"},
		{[]string{"serve", "--db-iam-auth=true", "--database-url", "postgres://app@localhost:5432/p"}, nil, "--db-iam-auth needs TLS"},
		{[]string{"serve", "--db-iam-auth=true", "--database-url", "postgres://app:pw@db.example.com:5432/p?sslmode=require"}, nil, "--db-iam-auth: the password is a token"},
		{[]string{"serve", "--db-iam-auth=true", "--database-url", "postgres://app@db.example.com:5432/p?sslmode=require"}, map[string]string{"DATABASE_PASSWORD": "pw"}, "--db-iam-auth: the password is a token"},
		{[]string{"serve", "--db-iam-auth=true", "--db-secret-arn", "arn:aws:secretsmanager:eu-west-1:1:secret:x", "--database-url", "postgres://app@db.example.com:5432/p?sslmode=require"}, nil, "give one source of credentials"},
		{[]string{"serve", "--app-user", "pollstack_app"}, nil, "flag provided but not defined: -app-user"},
		{[]string{"migrate", "--app-user", "pollstack_app"}, nil, "--app-user needs a postgres:// --database-url"},
		{[]string{"migrate", "--app-user", "app; DROP ROLE x", "--database-url", "postgres://localhost/p"}, nil, "--app-user"},
		{[]string{"serve"}, map[string]string{"POLLSTACK_ADDR": "bad"}, "--addr"},
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`},
	} {
		getenv := noEnv
		if tt.env != nil {
			getenv = func(k string) string { return tt.env[k] }
		}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, getenv, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

// A database URL with a password never appears in an error or a log line.
func TestPasswordNeverEchoed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"migrate", "--database-url", "postgres://app:hunter2-secret@127.0.0.1:1/db?connect_timeout=1"}
	code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	if code == 0 {
		t.Fatal("migrate against a closed port succeeded")
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, "hunter2") {
		t.Errorf("the password leaked: %s", out)
	}
}

func TestPublicURL(t *testing.T) {
	for in, want := range map[string]string{"https://polls.example.com": "https://polls.example.com", "https://polls.example.com/": "https://polls.example.com", "http://localhost:8080": "http://localhost:8080", "": ""} {
		cfg, err := parseConfig("t", []string{"--public-url", in}, func(string) string { return "" }, io.Discard)
		if err != nil || cfg.PublicURL != want {
			t.Errorf("--public-url %q: %q, %v; want %q", in, cfg.PublicURL, err, want)
		}
	}
}

// `serve -h` says what --trust-proxy trusts: both headers it reads.
func TestTrustProxyHelpNamesBothHeaders(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, io.Discard, &stderr); code != 0 {
		t.Fatalf("serve -h: exit %d", code)
	}
	_, help, _ := strings.Cut(stderr.String(), "\n  --trust-proxy\n")
	help, _, _ = strings.Cut(help, "\n  --")
	for _, header := range []string{"X-Forwarded-Proto", "X-Forwarded-For"} {
		if !strings.Contains(help, header) {
			t.Errorf("serve -h for --trust-proxy does not name %s:%s", header, help)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &stdout, io.Discard); code != 0 || !strings.HasPrefix(stdout.String(), "pollstack ") {
		t.Errorf("version: exit %d, %q", code, stdout.String())
	}
}

// The whole server starts on :0, serves, and on its context's end (SIGTERM)
// fails readiness first, keeps serving through the drain period, then exits.
func TestServeDrainsOnStop(t *testing.T) {
	var logs syncbuf.Buffer
	m := &Main{
		Config: Config{Addr: "127.0.0.1:0", Store: StoreConfig{Kind: SQLite, Path: filepath.Join(t.TempDir(), "p.db")}, DrainPeriod: 500 * time.Millisecond, ShutdownTimeout: 2 * time.Second, LogSample: 1},
		Log:    slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	ctx, stop := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	base := "http://" + m.Addr()
	if code := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz = %d before stop", code)
	}
	pollID := createPoll(t, base)

	// A live-results stream open at SIGTERM ends with a retry hint, so the
	// browser reconnects (to another task) by itself.
	stream, err := http.Get(base + "/p/" + pollID + "/events")
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("events: %v %v", stream, err)
	}
	streamed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stream.Body)
		streamed <- string(b)
	}()

	stop()
	time.Sleep(100 * time.Millisecond)
	if code := get(t, base+"/readyz"); code != 503 {
		t.Errorf("readyz while draining = %d, want 503", code)
	}
	if code := get(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz while draining = %d, want 200: requests in flight are still served", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the drain period")
	}
	select {
	case body := <-streamed:
		if !strings.Contains(body, "event: bye") || !strings.Contains(body, "retry: ") {
			t.Errorf("the stream ended without a goodbye and a retry hint:\n%s", body)
		}
	case <-time.After(5 * time.Second):
		t.Error("the live-results stream stayed open after shutdown")
	}
	for _, want := range []string{`"msg":"started"`, `"msg":"draining"`, `"msg":"stopped"`, `"route":"POST /api/v1/polls"`, `"status":201`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// The server key comes from its file; a short one stops the start, and its
// content never reaches the log. Without a source the server warns.
func TestServerKey(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("hunter2\n"), 0o600)
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte(strings.Repeat("x", 40)+"\n"), 0o600)
	for _, tt := range []struct {
		file, wantErr, wantLog string
	}{
		{short, "needs at least 32", ""},
		{good, "", ""},
		{"", "", "no server key configured"},
	} {
		var logs syncbuf.Buffer
		m := &Main{
			Config: Config{Addr: "127.0.0.1:0", Store: StoreConfig{Kind: SQLite, Path: filepath.Join(t.TempDir(), "p.db")}, ServerKey: KeySource{File: tt.file}},
			Log:    slog.New(slog.NewJSONHandler(&logs, nil)),
		}
		err := m.Open(context.Background())
		if err == nil {
			m.listener.Close()
			m.store.Close()
		}
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "hunter2")):
			t.Errorf("key file %q: %v, want %q (without the key)", tt.file, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("key file %q: %v", tt.file, err)
		case !strings.Contains(logs.String(), tt.wantLog) || strings.Contains(logs.String(), "xxxxxxxx"):
			t.Errorf("key file %q: log %s, want %q and never the key", tt.file, logs.String(), tt.wantLog)
		}
	}
}

// createPoll creates a poll with two options through the API and returns its ID.
func createPoll(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Post(base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Q", "options": ["A", "B"]}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create: %v %v", res, err)
	}
	defer res.Body.Close()
	var poll struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&poll); err != nil {
		t.Fatal(err)
	}
	return poll.ID
}
