package secret

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsManager reads an AWS Secrets Manager secret with the task's role
// (the SDK's default credential chain). Emulators are reached through the
// SDK's standard AWS_ENDPOINT_URL setting.
type SecretsManager struct {
	Client *secretsmanager.Client
	ARN    string
}

// NewSecretsManager loads the AWS configuration (region from the ARN when
// the environment sets none) and returns a source for the secret.
func NewSecretsManager(ctx context.Context, arn string) (*SecretsManager, error) {
	var opts []func(*config.LoadOptions) error
	if region := regionOf(arn); region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("secrets manager: load AWS configuration: %w", err)
	}
	return &SecretsManager{Client: secretsmanager.NewFromConfig(cfg), ARN: arn}, nil
}

// Fetch reads the current version of the secret as database credentials.
func (s *SecretsManager) Fetch(ctx context.Context) (Credentials, error) {
	value, err := s.String(ctx)
	if err != nil {
		return Credentials{}, err
	}
	c, err := Parse([]byte(value))
	if err != nil {
		return Credentials{}, fmt.Errorf("secrets manager %s: %w", s.ARN, err)
	}
	return c, nil
}

// String reads the current version of the secret's string value.
func (s *SecretsManager) String(ctx context.Context) (string, error) {
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return "", fmt.Errorf("secrets manager: get %s: %w", s.ARN, err)
	}
	if out.SecretString == nil {
		return "", errors.New("secrets manager: the secret has no string value")
	}
	return *out.SecretString, nil
}

// regionOf returns the region field of an ARN (arn:aws:secretsmanager:REGION:...).
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
