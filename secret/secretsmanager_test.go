//go:build integration

package secret_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/pollstack/pollstack/internal/testing/motoserver"
	"github.com/pollstack/pollstack/secret"
)

// The Secrets Manager source against a real AWS API emulator: a secret
// encrypted with a customer key, read, rotated, and read again on refresh.
func TestSecretsManagerOnEmulator(t *testing.T) {
	endpoint := motoserver.Start(t).URL
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
	// The server key is a secret's string value, as it is; too short, it is refused.
	for value, ok := range map[string]bool{strings.Repeat("0123456789abcdef", 3): true, "short": false} {
		ks, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(fmt.Sprintf("pollstack/server-key-%d-%s", len(value), time.Now().Format("150405.000"))), KmsKeyId: key.KeyMetadata.Arn, SecretString: aws.String(value),
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := (&secret.SecretsManager{Client: sm, ARN: *ks.ARN}).Key(ctx)
		if ok && (err != nil || string(got) != value) || !ok && (err == nil || strings.Contains(err.Error(), value)) {
			t.Errorf("server key %q: %q, %v", value, got, err)
		}
	}
	missing := &secret.SecretsManager{Client: sm, ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope"}
	if _, err := missing.Fetch(ctx); err == nil {
		t.Error("fetching a missing secret succeeded")
	}
}
