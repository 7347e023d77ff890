package secret

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// IAMToken is RDS IAM database authentication: no password at all, but a
// token signed with the task role's credentials (SigV4, valid 15 minutes)
// as the password of each new connection. Every Fetch signs a fresh one,
// so it must not sit behind a Cache. A connection established with a token
// stays open after the token expires: only new connections need a new
// token, and they always get one, so the pool's connection lifetime needs
// no tie to the 15 minutes.
type IAMToken struct {
	Endpoint string // host:port of the database, as the token names it
	Region   string
	User     string
	// Sign builds the token; BuildAuthToken of the AWS SDK in production.
	Sign        func(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider) (string, error)
	Credentials aws.CredentialsProvider
}

// NewIAMToken loads the AWS configuration (the default credential chain:
// on ECS the task role). The region is the configuration's (AWS_REGION,
// which ECS sets), else the one in an RDS host name.
func NewIAMToken(ctx context.Context, endpoint, user string) (*IAMToken, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("IAM database authentication: load AWS configuration: %w", err)
	}
	region := cfg.Region
	if region == "" {
		region = rdsRegion(endpoint)
	}
	if region == "" {
		return nil, errors.New("IAM database authentication: no AWS region: set AWS_REGION")
	}
	return &IAMToken{Endpoint: endpoint, Region: region, User: user, Sign: signRDS, Credentials: cfg.Credentials}, nil
}

func signRDS(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider) (string, error) {
	return auth.BuildAuthToken(ctx, endpoint, region, user, creds)
}

// Fetch signs a new token: the user and, as the password, the token.
func (t *IAMToken) Fetch(ctx context.Context) (Credentials, error) {
	token, err := t.Sign(ctx, t.Endpoint, t.Region, t.User, t.Credentials)
	if err != nil {
		return Credentials{}, fmt.Errorf("IAM database authentication: sign a token for %s: %w", t.User, err)
	}
	return Credentials{Username: t.User, Password: token}, nil
}

// rdsRegion is the region in an RDS endpoint's host name
// (NAME.ID.REGION.rds.amazonaws.com), or "".
func rdsRegion(endpoint string) string {
	host, _, _ := strings.Cut(endpoint, ":")
	parts := strings.Split(host, ".")
	for i := 1; i+2 < len(parts); i++ {
		if parts[i+1] == "rds" && parts[i+2] == "amazonaws" {
			return parts[i]
		}
	}
	return ""
}
