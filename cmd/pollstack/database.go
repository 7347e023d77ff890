package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/secret"
	"github.com/pollstack/pollstack/sqlite"
)

// openStore opens the store the settings name: SQLite for a sqlite: URL,
// PostgreSQL for a postgres:// URL or --db-host.
func openStore(ctx context.Context, cfg Config) (pollstack.Store, string, error) {
	if cfg.DBHost == "" {
		kind, target, err := splitDatabaseURL(cfg.DatabaseURL)
		if err != nil {
			return nil, "", err
		}
		if kind == "sqlite" {
			s, err := sqlite.Open(ctx, target, sqlite.Options{})
			return s, kind, err
		}
	}
	s, err := openPostgres(ctx, cfg)
	return s, "postgres", err
}

// openPostgres connects with credentials from their source, kept in a cache
// that the store asks to refresh when the database rejects them.
func openPostgres(ctx context.Context, cfg Config) (*postgres.Store, error) {
	u, err := postgresURL(cfg)
	if err != nil {
		return nil, err
	}
	src, err := credentialSource(ctx, cfg, u)
	if err != nil {
		return nil, err
	}
	creds := secret.NewCache(src)
	first, err := creds.Credentials(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("database credentials: %w", err)
	}
	fillFromSecret(u, first)
	if err := requireTLS(u); err != nil {
		return nil, err
	}
	u.User = nil // the password comes from the cache, on every new connection
	return postgres.Open(ctx, u.String(), postgres.Options{
		Credentials: func(ctx context.Context, refresh bool) (string, string, error) {
			c, err := creds.Credentials(ctx, refresh)
			return c.Username, c.Password, err
		},
	})
}

// postgresURL is the database URL, or one built from the --db-* settings.
func postgresURL(cfg Config) (*url.URL, error) {
	if cfg.DBHost == "" {
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil {
			return nil, errors.New("--database-url cannot be parsed") // never echo it: it may hold a password
		}
		return u, nil
	}
	return &url.URL{
		Scheme:   "postgres",
		Host:     net.JoinHostPort(cfg.DBHost, strconv.Itoa(cfg.DBPort)),
		Path:     "/" + cfg.DBName,
		RawQuery: url.Values{"sslmode": {cfg.DBSSLMode}}.Encode(),
	}, nil
}

// credentialSource picks where credentials come from: a Secrets Manager
// secret, a secret file, or the URL's user and password (or --db-user with
// DATABASE_PASSWORD, which ECS injects from the secret).
func credentialSource(ctx context.Context, cfg Config, u *url.URL) (secret.Fetcher, error) {
	switch {
	case cfg.DBSecretARN != "":
		return secret.NewSecretsManager(ctx, cfg.DBSecretARN)
	case cfg.DBSecretFile != "":
		return secret.File{Path: cfg.DBSecretFile}, nil
	case u.User != nil:
		password, _ := u.User.Password()
		return secret.Static{Credentials: secret.Credentials{Username: u.User.Username(), Password: password}}, nil
	default:
		return secret.Static{Credentials: secret.Credentials{Username: cfg.DBUser, Password: cfg.DBPassword}}, nil
	}
}

// fillFromSecret takes host, port and database from the secret when the
// settings left them to it (a postgres URL without a host, or a secret
// written with them).
func fillFromSecret(u *url.URL, c secret.Credentials) {
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
}

// requireTLS refuses an unencrypted connection to anything but a loopback
// host: in production the database is across a network.
func requireTLS(u *url.URL) error {
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	switch u.Query().Get("sslmode") {
	case "require", "verify-ca", "verify-full":
		return nil
	default:
		return fmt.Errorf("database host %s is not local: TLS is required; set sslmode=require (or verify-full) in --database-url, or --db-sslmode", host)
	}
}
