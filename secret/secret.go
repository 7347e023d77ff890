// Package secret is where the database credentials come from: the database
// URL, a file, or an AWS Secrets Manager secret. Credentials are cached;
// when the database rejects them (a rotated password), callers ask for a
// refresh, which reads the source again, bypassing the cache.
package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are what a database connection needs from a secret. Host,
// Port and Database are optional: RDS-managed secrets hold only the user
// name and password, and the settings supply the rest.
type Credentials struct {
	Username string
	Password string
	Host     string
	Port     int
	Database string
}

// String never shows the password.
func (c Credentials) String() string {
	return fmt.Sprintf("user %q at %s:%d/%s (password hidden)", c.Username, c.Host, c.Port, c.Database)
}

// Fetcher reads a source of credentials, every time it is called.
type Fetcher interface {
	Fetch(ctx context.Context) (Credentials, error)
}

// Parse reads the JSON shapes that RDS-managed master secrets
// ({"username", "password"}) and Terraform- or rotation-written secrets
// ({"username", "password", "host", "port", "dbname", "engine", ...}) use.
// The port may be a number or a string.
func Parse(raw []byte) (Credentials, error) {
	var s struct {
		Username string          `json:"username"`
		Password string          `json:"password"`
		Host     string          `json:"host"`
		Port     json.RawMessage `json:"port"`
		DBName   string          `json:"dbname"`
		Database string          `json:"database"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Credentials{}, errors.New("secret is not a JSON object with username and password") // never echo the content
	}
	c := Credentials{Username: s.Username, Password: s.Password, Host: s.Host, Database: s.DBName}
	if c.Database == "" {
		c.Database = s.Database
	}
	if len(s.Port) > 0 && string(s.Port) != "null" {
		port, err := strconv.Atoi(strings.Trim(string(s.Port), `"`))
		if err != nil || port < 1 || port > 65535 {
			return Credentials{}, errors.New("secret: port must be a number from 1 to 65535")
		}
		c.Port = port
	}
	if c.Username == "" || c.Password == "" {
		return Credentials{}, errors.New("secret: username and password are required")
	}
	return c, nil
}

// File reads credentials from a file holding a secret's JSON, re-read on
// every fetch (a sidecar or a mounted secret may replace it).
type File struct{ Path string }

// Fetch reads and parses the file.
func (f File) Fetch(ctx context.Context) (Credentials, error) {
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return Credentials{}, fmt.Errorf("secret file: %w", err)
	}
	c, err := Parse(raw)
	if err != nil {
		return Credentials{}, fmt.Errorf("secret file %s: %w", f.Path, err)
	}
	return c, nil
}

// Static is credentials known at start, from the database URL.
type Static struct{ Credentials Credentials }

// Fetch returns the credentials.
func (s Static) Fetch(context.Context) (Credentials, error) { return s.Credentials, nil }

// Cache keeps the last credentials fetched. A refresh fetches again, but at
// most once per MinRefresh, so that a burst of rejected connections does not
// become a burst of calls to the secret store.
type Cache struct {
	Source     Fetcher
	MinRefresh time.Duration

	mu      sync.Mutex
	current Credentials
	fetched time.Time
	has     bool
}

// NewCache wraps a source.
func NewCache(src Fetcher) *Cache {
	return &Cache{Source: src, MinRefresh: time.Second}
}

// Credentials returns the cached credentials, fetching them when there are
// none yet or when refresh is asked for.
func (c *Cache) Credentials(ctx context.Context, refresh bool) (Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.has && (!refresh || time.Since(c.fetched) < c.MinRefresh) {
		return c.current, nil
	}
	cred, err := c.Source.Fetch(ctx)
	if err != nil {
		if c.has {
			return c.current, fmt.Errorf("refresh credentials (keeping the previous ones): %w", err)
		}
		return Credentials{}, err
	}
	c.current, c.fetched, c.has = cred, time.Now(), true
	return cred, nil
}
