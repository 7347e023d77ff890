package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/secret"
	"github.com/pollstack/pollstack/sqlite"
)

// openStore opens the store the configuration names; log hears of the
// store's own troubles (PostgreSQL's change feed losing its connection);
// observeBatch, when set, is told every vote batch's size and commit time.
func openStore(ctx context.Context, cfg StoreConfig, log *slog.Logger, observeBatch func(int, time.Duration)) (pollstack.Store, error) {
	if cfg.Kind == SQLite {
		return sqlite.Open(ctx, cfg.Path, sqlite.Options{ObserveBatch: observeBatch})
	}
	return openPostgres(ctx, cfg, log, observeBatch)
}

// openPostgres connects with credentials from their source, kept in a cache
// that the store asks to refresh when the database rejects them; IAM tokens
// are signed afresh for each new connection instead.
func openPostgres(ctx context.Context, cfg StoreConfig, log *slog.Logger, observeBatch func(int, time.Duration)) (*postgres.Store, error) {
	opts := postgres.Options{Logger: log, ObserveBatch: observeBatch, NoMigrations: cfg.NoMigrations, RolesOnly: cfg.InitRoles}
	if cfg.Credentials.Source == FromIAM {
		port := cfg.URL.Port()
		if port == "" {
			port = "5432"
		}
		// The token names the endpoint as the client dials it, port included.
		token, err := secret.NewIAMToken(ctx, net.JoinHostPort(cfg.URL.Hostname(), port), cfg.Credentials.User)
		if err != nil {
			return nil, err
		}
		opts.Credentials = freshCredentials(token)
		return postgres.Open(ctx, cfg.URL.String(), opts)
	}
	src, err := credentialSource(ctx, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	creds := secret.NewCache(src)
	first, err := creds.Credentials(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("database credentials: %w", err)
	}
	u := fillFromSecret(*cfg.URL, first)
	if err := requireTLS(&u); err != nil {
		return nil, err
	}
	opts.Credentials = func(ctx context.Context, refresh bool) (string, string, error) {
		c, err := creds.Credentials(ctx, refresh)
		return c.Username, c.Password, err
	}
	return postgres.Open(ctx, u.String(), opts)
}

// freshCredentials fetches from src for every new connection, with no
// cache: what an IAM token source needs.
func freshCredentials(src secret.Fetcher) func(context.Context, bool) (string, string, error) {
	return func(ctx context.Context, _ bool) (string, string, error) {
		c, err := src.Fetch(ctx)
		return c.Username, c.Password, err
	}
}

// credentialSource turns the configured source into a fetcher.
func credentialSource(ctx context.Context, c Credentials) (secret.Fetcher, error) {
	switch c.Source {
	case FromSecretsManager:
		return secret.NewSecretsManager(ctx, c.SecretARN)
	case FromFile:
		return secret.File{Path: c.SecretFile}, nil
	default:
		return secret.Static{Credentials: secret.Credentials{Username: c.User, Password: c.Password}}, nil
	}
}

// fillFromSecret takes host, port and database from the secret when the URL
// left them to it (postgres:///?sslmode=require with a secret written with them).
func fillFromSecret(u url.URL, c secret.Credentials) url.URL {
	if u.Hostname() == "" && c.Host != "" {
		port := u.Port()
		if c.Port != 0 {
			port = strconv.Itoa(c.Port)
		}
		if port == "" {
			port = "5432"
		}
		u.Host = net.JoinHostPort(c.Host, port)
	}
	if (u.Path == "" || u.Path == "/") && c.Database != "" {
		u.Path = "/" + c.Database
	}
	return u
}
