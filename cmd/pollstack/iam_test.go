package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// With --db-iam-auth, what the server receives as the password of each new
// connection is an RDS token that the AWS SDK signed for the URL's user
// with the process's credentials. The fake server asks for the password
// in clear, as RDS does for IAM users (inside TLS), and rejects it.
func TestIAMTokenIsThePasswordOfEachConnection(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPOLLSTACKTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	passwords, addr := fakePostgres(t)
	u, err := url.Parse("postgres://" + addr + "/polls?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	cfg := StoreConfig{Kind: Postgres, URL: u, Credentials: Credentials{Source: FromIAM, User: "pollstack_app"}}
	_, err = openPostgres(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	if err == nil {
		t.Fatal("open succeeded against a server that rejects every password")
	}
	got := passwords()
	// The store tries a rejected connection again with fresh credentials.
	if len(got) < 2 {
		t.Fatalf("the server received %d passwords, want one per connection attempt (at least 2)", len(got))
	}
	for _, p := range got {
		token, err := url.Parse("postgres://" + p)
		if err != nil {
			t.Fatalf("password %q is no signed token: %v", p, err)
		}
		q := token.Query()
		for key, want := range map[string]string{
			"Action":           "connect",
			"DBUser":           "pollstack_app",
			"X-Amz-Algorithm":  "AWS4-HMAC-SHA256",
			"X-Amz-Expires":    "900",
			"X-Amz-Credential": "AKIDPOLLSTACKTEST/",
		} {
			if !strings.HasPrefix(q.Get(key), want) {
				t.Errorf("token %s = %q, want %q", key, q.Get(key), want)
			}
		}
		if token.Host != addr || !strings.Contains(q.Get("X-Amz-Credential"), "/eu-west-1/rds-db/aws4_request") || len(q.Get("X-Amz-Signature")) != 64 {
			t.Errorf("token %s is not signed for %s in eu-west-1 by rds-db", p, addr)
		}
	}
}

// fakePostgres answers every connection with a request for a clear-text
// password, records it and rejects it (SQLSTATE 28P01).
func fakePostgres(t *testing.T) (passwords func() []string, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var got []string
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				b := pgproto3.NewBackend(conn, conn)
				if _, err := b.ReceiveStartupMessage(); err != nil {
					return
				}
				b.Send(&pgproto3.AuthenticationCleartextPassword{})
				if b.Flush() != nil || b.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
					return
				}
				msg, err := b.Receive()
				if p, ok := msg.(*pgproto3.PasswordMessage); ok && err == nil {
					mu.Lock()
					got = append(got, p.Password)
					mu.Unlock()
				}
				b.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: "PAM authentication failed"})
				b.Flush()
				io.Copy(io.Discard, conn)
			}()
		}
	}()
	return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }, ln.Addr().String()
}
