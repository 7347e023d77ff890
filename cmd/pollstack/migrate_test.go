//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The platform's sequence on a real PostgreSQL: `pollstack migrate
// --app-user` as the owner, then the server as the app role with
// --db-migrate=false, which serves; with migrations on, the app role
// could not even start.
func TestMigrateThenServeAsTheAppRole(t *testing.T) {
	server := pgtest.Shared(t)
	ctx := context.Background()
	suffix := fmt.Sprint(time.Now().UnixNano())
	owner, app, db := "owner_"+suffix, "app_"+suffix, "polls_"+suffix
	for _, sql := range []string{"CREATE ROLE " + owner + " LOGIN CREATEROLE", "CREATE DATABASE " + db + " OWNER " + owner} {
		if err := server.Exec(ctx, "postgres", sql); err != nil {
			t.Fatal(err)
		}
	}
	noEnv := func(string) string { return "" }
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"migrate", "--database-url", server.URL(db, owner, ""), "--app-user", app}, noEnv, &stdout, &stderr); code != 0 {
		t.Fatalf("migrate --app-user: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), `"msg":"app role ready"`) {
		t.Errorf("migrate did not report the app role: %s", stdout.String())
	}
	open := func(args ...string) (pollstack.Store, error) {
		cfg, err := parseConfig("t", append([]string{"--database-url", server.URL(db, app, "")}, args...), noEnv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return openStore(ctx, cfg.Store, slog.New(slog.DiscardHandler), nil)
	}
	if _, err := open(); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("as the app role with migrations on: %v; want permission denied", err)
	}
	store, err := open("--db-migrate=false")
	if err != nil {
		t.Fatalf("as the app role with --db-migrate=false: %v", err)
	}
	defer store.Close()
	p, _, err := pollstack.PollDraft{Question: "Lunch?", Options: []string{"Soup", "Salad"}}.NewPoll(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreatePoll(ctx, p, nil); err != nil {
		t.Fatalf("create a poll as the app role: %v", err)
	}
	if err := store.Vote(ctx, pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "b"}, OptionIDs: []int{2}}); err != nil {
		t.Fatalf("vote as the app role: %v", err)
	}
}
