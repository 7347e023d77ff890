package secret

import (
	"bytes"
	"context"
	"fmt"
	"os"
)

// MinKeyLen is the shortest server key accepted, in bytes: 256 bits of a
// random string.
const MinKeyLen = 32

// KeyFromFile reads the server key from a file: its bytes, less one
// trailing line break (editors add one). The error never shows the key.
func KeyFromFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server key file: %w", err)
	}
	raw = bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
	if err := checkKey(raw); err != nil {
		return nil, fmt.Errorf("server key file %s: %w", path, err)
	}
	return raw, nil
}

// Key reads the server key from the secret: its string value, as it is.
func (s *SecretsManager) Key(ctx context.Context) ([]byte, error) {
	value, err := s.String(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkKey([]byte(value)); err != nil {
		return nil, fmt.Errorf("secrets manager %s: server key: %w", s.ARN, err)
	}
	return []byte(value), nil
}

func checkKey(key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("the key has %d bytes; it needs at least %d random bytes", len(key), MinKeyLen)
	}
	return nil
}
