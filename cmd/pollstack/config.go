package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server, parsed in one place: each flag has
// an environment variable fallback, and the README lists them all.
type Config struct {
	Addr            string
	DatabaseURL     string
	DBSecretARN     string
	DBSecretFile    string
	DBHost          string
	DBPort          int
	DBName          string
	DBUser          string
	DBPassword      string // from DATABASE_PASSWORD only: never a flag, which ps would show
	DBSSLMode       string
	TrustProxy      bool
	DrainPeriod     time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
	DebugAddr       string
}

// setting is one flag with its environment variable and description; the
// table is also what `pollstack serve -h` prints.
type setting struct {
	flag, env, def, usage string
}

var settings = []setting{
	{"addr", "POLLSTACK_ADDR", ":8080", "address to listen on"},
	{"database-url", "DATABASE_URL", "sqlite:pollstack.db", "sqlite:PATH for the embedded store, or postgres://USER@HOST:PORT/DB?sslmode=require"},
	{"db-host", "POLLSTACK_DB_HOST", "", "PostgreSQL host; selects PostgreSQL without a database URL (the production way: the settings below, credentials from a secret)"},
	{"db-port", "POLLSTACK_DB_PORT", "5432", "PostgreSQL port, with --db-host"},
	{"db-name", "POLLSTACK_DB_NAME", "pollstack", "PostgreSQL database, with --db-host"},
	{"db-user", "POLLSTACK_DB_USER", "pollstack", "PostgreSQL user, with --db-host when no secret gives one (the password comes from DATABASE_PASSWORD)"},
	{"db-sslmode", "POLLSTACK_DB_SSLMODE", "require", "TLS to PostgreSQL, with --db-host: require, verify-ca or verify-full (disable only for a loopback host)"},
	{"db-secret-arn", "POLLSTACK_DB_SECRET_ARN", "", "AWS Secrets Manager secret with the database credentials, read with the task's role and read again when the database rejects them"},
	{"db-secret-file", "POLLSTACK_DB_SECRET_FILE", "", "file with the database credentials as secret JSON, read again when the database rejects them"},
	{"trust-proxy", "POLLSTACK_TRUST_PROXY", "false", "trust X-Forwarded-Proto from the load balancer (secure cookies, HSTS)"},
	{"drain-period", "POLLSTACK_DRAIN_PERIOD", "30s", "after SIGTERM, how long to keep serving with readiness failed (match the target group's deregistration delay)"},
	{"shutdown-timeout", "POLLSTACK_SHUTDOWN_TIMEOUT", "20s", "after draining, how long in-flight requests get to finish"},
	{"log-level", "POLLSTACK_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"debug-addr", "POLLSTACK_DEBUG_ADDR", "", "serve Go's profiler (/debug/pprof) on this address, e.g. 127.0.0.1:6060; empty: off. Never expose it publicly"},
}

// parseConfig reads flags, falling back to the environment, then to defaults.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := make(map[string]*string, len(settings))
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		values[s.flag] = fs.String(s.flag, def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var c Config
	var errs []error
	var err error
	c.Addr = *values["addr"]
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want HOST:PORT or :PORT", c.Addr))
	}
	c.DatabaseURL = *values["database-url"]
	if _, _, err := splitDatabaseURL(c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	c.DBSecretARN = *values["db-secret-arn"]
	if c.DBSecretARN != "" && !strings.HasPrefix(c.DBSecretARN, "arn:") {
		errs = append(errs, fmt.Errorf("--db-secret-arn: %q is not an ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", c.DBSecretARN))
	}
	c.DBSecretFile = *values["db-secret-file"]
	if c.DBSecretARN != "" && c.DBSecretFile != "" {
		errs = append(errs, errors.New("--db-secret-arn and --db-secret-file: give one source of credentials, not both"))
	}
	c.DBHost, c.DBName, c.DBUser, c.DBSSLMode = *values["db-host"], *values["db-name"], *values["db-user"], *values["db-sslmode"]
	c.DBPassword = getenv("DATABASE_PASSWORD")
	if c.DBPort, err = strconv.Atoi(*values["db-port"]); err != nil || c.DBPort < 1 || c.DBPort > 65535 {
		errs = append(errs, fmt.Errorf("--db-port %q: want a port number", *values["db-port"]))
	}
	switch c.DBSSLMode {
	case "disable", "require", "verify-ca", "verify-full":
	default:
		errs = append(errs, fmt.Errorf("--db-sslmode %q: want require, verify-ca, verify-full or disable", c.DBSSLMode))
	}
	if c.DBHost != "" && strings.HasPrefix(c.DatabaseURL, "postgres") {
		errs = append(errs, errors.New("--db-host and a postgres --database-url: give one way to reach PostgreSQL, not both"))
	}
	if c.TrustProxy, err = strconv.ParseBool(*values["trust-proxy"]); err != nil {
		errs = append(errs, fmt.Errorf("--trust-proxy %q: want true or false", *values["trust-proxy"]))
	}
	c.DrainPeriod = parseDuration(&errs, "drain-period", *values["drain-period"])
	c.ShutdownTimeout = parseDuration(&errs, "shutdown-timeout", *values["shutdown-timeout"])
	c.DebugAddr = *values["debug-addr"]
	if c.DebugAddr != "" {
		if _, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			errs = append(errs, fmt.Errorf("--debug-addr %q: want HOST:PORT", c.DebugAddr))
		}
	}
	c.LogLevel = *values["log-level"]
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return c, errors.Join(errs...)
}

func parseDuration(errs *[]error, name, v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		*errs = append(*errs, fmt.Errorf("--%s %q: want a duration such as 30s", name, v))
	}
	return d
}

// splitDatabaseURL returns the store kind ("sqlite" or "postgres") and what
// to open. The error never repeats the URL: it may hold a password.
func splitDatabaseURL(u string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("--database-url: sqlite: needs a file path, as in sqlite:pollstack.db")
		}
		return "sqlite", path, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	case u == "":
		return "", "", errors.New("--database-url is empty: use sqlite:PATH or postgres://HOST/DB")
	default:
		scheme, _, _ := strings.Cut(u, ":")
		return "", "", fmt.Errorf("--database-url: unsupported scheme %q: use sqlite:PATH or postgres://HOST/DB", scheme)
	}
}

// usage prints the subcommands.
func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: pollstack [command] [flags]

commands:
  serve     run the web server (the default)
  migrate   apply the database migrations and exit
  doctor    check a live AWS deployment for the known failure classes
  version   print the version

Run "pollstack serve -h" for the server's flags; each has an environment variable.`)
}
