package secret_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/secret"
)

func TestParseShapes(t *testing.T) {
	for _, tt := range []struct {
		name, raw string
		want      secret.Credentials
		err       string
	}{
		{"rds managed", `{"username": "postgres", "password": "p@ss"}`, secret.Credentials{Username: "postgres", Password: "p@ss"}, ""},
		{"terraform written", `{"engine": "postgres", "username": "app", "password": "x", "host": "db.example", "port": 5432, "dbname": "polls"}`,
			secret.Credentials{Username: "app", Password: "x", Host: "db.example", Port: 5432, Database: "polls"}, ""},
		{"port as string", `{"username": "app", "password": "x", "port": "6432", "database": "d"}`, secret.Credentials{Username: "app", Password: "x", Port: 6432, Database: "d"}, ""},
		{"no password", `{"username": "app"}`, secret.Credentials{}, "username and password are required"},
		{"bad port", `{"username": "a", "password": "b", "port": "http"}`, secret.Credentials{}, "port must be a number"},
		{"not json", `hunter2`, secret.Credentials{}, "not a JSON object"},
	} {
		got, err := secret.Parse([]byte(tt.raw))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: err = %v, want %q (and never the content)", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	if s := (secret.Credentials{Username: "u", Password: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("String shows the password: %s", s)
	}
}

func TestCacheRefreshesOnlyWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.json")
	write := func(pw string) {
		if err := os.WriteFile(path, []byte(`{"username": "app", "password": "`+pw+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	c := secret.NewCache(secret.File{Path: path})
	c.MinRefresh = 0
	ctx := context.Background()
	if got, _ := c.Credentials(ctx, false); got.Password != "one" {
		t.Fatalf("first = %q", got.Password)
	}
	write("two")
	if got, _ := c.Credentials(ctx, false); got.Password != "one" {
		t.Errorf("cached read = %q, want the cached one", got.Password)
	}
	if got, _ := c.Credentials(ctx, true); got.Password != "two" {
		t.Errorf("refresh = %q, want two", got.Password)
	}
	os.Remove(path)
	if got, err := c.Credentials(ctx, true); err == nil || got.Password != "two" {
		t.Errorf("refresh of a missing file = %q, %v; want the previous credentials and an error", got.Password, err)
	}
}

func TestKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("k", secret.MinKeyLen)
	for _, tt := range []struct {
		name, content, want, err string
	}{
		{"exact", long, long, ""},
		{"one line break dropped", long + "\n", long, ""},
		{"crlf dropped", long + "\r\n", long, ""},
		{"inner bytes kept", " " + long + " \n", " " + long + " ", ""},
		{"too short", "hunter2-short\n", "", "needs at least 32"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
		os.WriteFile(path, []byte(tt.content), 0o600)
		got, err := secret.KeyFromFile(path)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "hunter2")):
			t.Errorf("%s: err = %v, want %q (and never the key)", tt.name, err, tt.err)
		case tt.err == "" && (err != nil || string(got) != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := secret.KeyFromFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing key file was accepted")
	}
}
