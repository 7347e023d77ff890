package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/pollstack/pollstack/secret"
)

// serverKey reads the key that keys the hashes of client addresses (and
// anything else the server signs), from a file or a Secrets Manager secret.
// With neither, it makes a key for this process and says so: another
// process, or this one after a restart, then hashes every address anew, so
// an "ip" poll would take a second vote from each address.
func serverKey(ctx context.Context, src KeySource, log *slog.Logger) ([]byte, error) {
	switch {
	case src.File != "":
		return secret.KeyFromFile(src.File)
	case src.SecretARN != "":
		sm, err := secret.NewSecretsManager(ctx, src.SecretARN)
		if err != nil {
			return nil, fmt.Errorf("server key: %w", err)
		}
		return sm.Key(ctx)
	}
	log.Warn("no server key configured: using a key made for this process; address hashes and creator cookies (Your polls) change on restart and differ between processes. Set --server-key-file or --server-key-secret-arn")
	key := make([]byte, secret.MinKeyLen)
	rand.Read(key)
	return key, nil
}
