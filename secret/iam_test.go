package secret

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestRDSRegion(t *testing.T) {
	for host, want := range map[string]string{
		"pollstack.c1abcdefgh.eu-west-1.rds.amazonaws.com:5432": "eu-west-1",
		"pollstack.c1abcdefgh.cn-north-1.rds.amazonaws.com.cn":  "cn-north-1",
		"db.example.com:5432": "",
		"127.0.0.1:5432":      "",
		"rds.amazonaws.com":   "",
	} {
		if got := rdsRegion(host); got != want {
			t.Errorf("rdsRegion(%q) = %q, want %q", host, got, want)
		}
	}
}

// Each fetch signs anew; a failure names the user and never a token.
func TestIAMTokenSignsEachFetch(t *testing.T) {
	n := 0
	tok := &IAMToken{Endpoint: "db:5432", Region: "eu-west-1", User: "pollstack_app",
		Sign: func(_ context.Context, endpoint, region, user string, _ aws.CredentialsProvider) (string, error) {
			n++
			if n == 3 {
				return "", errors.New("no credentials")
			}
			return endpoint + "/" + region + "/" + user + "/" + strings.Repeat("x", n), nil
		}}
	for i, want := range []string{"db:5432/eu-west-1/pollstack_app/x", "db:5432/eu-west-1/pollstack_app/xx"} {
		c, err := tok.Fetch(context.Background())
		if err != nil || c.Username != "pollstack_app" || c.Password != want {
			t.Errorf("fetch %d = %v, %v; want the user and a fresh token %q", i+1, c, err, want)
		}
	}
	if _, err := tok.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "pollstack_app") {
		t.Errorf("failed signing: %v; want an error naming the user", err)
	}
}
