package secret_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/pollstack/pollstack/internal/motoserver"
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

// The Secrets Manager source against a real AWS API emulator: a secret
// encrypted with a customer key, read, rotated, and read again on refresh.
func TestSecretsManagerOnEmulator(t *testing.T) {
	endpoint := motoserver.URL(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "")
	ctx := context.Background()

	src, err := secret.NewSecretsManager(ctx, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:placeholder")
	if err != nil {
		t.Fatal(err)
	}
	sm := src.Client
	if got := sm.Options().Region; got != "eu-west-1" {
		t.Errorf("region = %q, want the ARN's eu-west-1", got)
	}
	keys := kms.New(kms.Options{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), Credentials: sm.Options().Credentials})
	key, err := keys.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("pollstack test")})
	if err != nil {
		t.Fatal(err)
	}
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("pollstack/db-" + time.Now().Format("150405.000")),
		KmsKeyId:     key.KeyMetadata.Arn,
		SecretString: aws.String(`{"username": "pollstack", "password": "first"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	src.ARN = *created.ARN
	cache := secret.NewCache(src)
	cache.MinRefresh = 0
	got, err := cache.Credentials(ctx, false)
	if err != nil || got.Username != "pollstack" || got.Password != "first" {
		t.Fatalf("read = %+v, %v", got, err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN, SecretString: aws.String(`{"username": "pollstack", "password": "second"}`)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.Credentials(ctx, false); got.Password != "first" {
		t.Errorf("without refresh = %q, want the cached first", got.Password)
	}
	if got, err := cache.Credentials(ctx, true); err != nil || got.Password != "second" {
		t.Errorf("after rotation, refresh = %q, %v; want second", got.Password, err)
	}
	missing := &secret.SecretsManager{Client: sm, ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope"}
	if _, err := missing.Fetch(ctx); err == nil {
		t.Error("fetching a missing secret succeeded")
	}
}
