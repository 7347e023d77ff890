package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server, parsed once into typed values:
// each flag has an environment variable fallback, and docs/configuration.md
// lists them all (the table below is also what `pollstack serve -h` prints).
type Config struct {
	Addr                  string
	Store                 StoreConfig
	TrustProxy            bool
	PublicURL             string // the site's origin, without a trailing slash
	ServerKey             KeySource
	CreateRateLimit       int           // new polls per minute per client address; 0: off
	VoterCodeBudget       int           // new voter codes per hour per client address; 0: off
	VoteRateLimit         int           // votes per second per browser, or per client address without a voter cookie; 0: off
	RoomVotes             int           // votes at once from one address's browsers together; 0: no room allowance
	StreamLimit           int           // live-results streams open on this server; 0: off
	StreamLimitPerAddress int           // live-results streams open for one client address; 0: off
	ConnLimit             int           // open connections on this server; 0: off
	ConnsPerAddr          int           // open connections from one client address, without a trusted proxy; 0: off
	Retention             time.Duration // how long a poll is kept after its end or last vote; 0: forever
	DrainPeriod           time.Duration
	ShutdownTimeout       time.Duration
	LogLevel              slog.Level
	LogFormat             string // auto, json or text
	LogSlow               time.Duration
	LogSample             float64
	DebugAddr             string
	MetricsAddr           string
	EMFInterval           time.Duration
	MetricsService        string
}

// StoreKind names a store.
type StoreKind string

const (
	SQLite   StoreKind = "sqlite"
	Postgres StoreKind = "postgres"
)

// StoreConfig says which store to open and how: the one way to choose
// PostgreSQL is a postgres:// database URL.
type StoreConfig struct {
	Kind    StoreKind
	Path    string   // SQLite: the database file
	URL     *url.URL // PostgreSQL: host, port, database and options, never credentials
	iamAuth bool     // --db-iam-auth, which chooseCredentials turns into Credentials.Source
	// Credentials are where the PostgreSQL user and password come from.
	Credentials Credentials
	// NoMigrations: the server runs no DDL and only checks the schema's
	// version (it connects as the app role); else it migrates at start.
	NoMigrations bool
	// AppUser is the role `pollstack migrate` creates and grants the
	// server's least privileges to; empty: none.
	AppUser string
	// InitRoles: `pollstack migrate` runs as the master user, once, and
	// only makes MigratorUser and AppUser (postgres.Store.InitRoles).
	InitRoles    bool
	MigratorUser string
}

// CredentialSource names where database credentials come from.
type CredentialSource string

const (
	FromURL            CredentialSource = "url"             // the URL's user, and its password or DATABASE_PASSWORD
	FromSecretsManager CredentialSource = "secrets-manager" // an AWS Secrets Manager secret
	FromFile           CredentialSource = "file"            // a file holding a secret's JSON
	FromIAM            CredentialSource = "iam"             // an RDS IAM token signed with the AWS credentials, fresh for each connection
)

// Credentials are a source of database credentials.
type Credentials struct {
	Source     CredentialSource
	SecretARN  string // FromSecretsManager
	SecretFile string // FromFile
	User       string // FromURL
	Password   string // FromURL: the URL's password, else DATABASE_PASSWORD (never a flag, which ps would show)
}

// KeySource is where the server key comes from: a file, a Secrets Manager
// secret, or (neither) a key made for this process alone.
type KeySource struct {
	File      string
	SecretARN string
}

// setting is one flag with its environment variable, default and meaning,
// and the function that parses it into the Config. The usage is Markdown:
// docs/configuration.md's settings tables are rendered from it, and -h
// prints it plain.
type setting struct {
	flag, env, def, usage string
	kind                  kind
	// secret settings are never echoed in an error: they may hold a password.
	secret bool
	parse  func(c *Config, value string) error
}

// kind is what a setting's value is, as -h names it. A boolean flag may
// stand alone (--trust-proxy means --trust-proxy=true); every value,
// whatever its kind, reaches parse as the text given, so that a flag and
// its environment variable are read by the same function.
type kind string

const (
	text     kind = "string"
	boolean  kind = "bool"
	duration kind = "duration"
	number   kind = "int"
	fraction kind = "float"
)

var settings = []setting{
	{flag: "addr", env: "POLLSTACK_ADDR", def: ":8080", usage: "address to listen on",
		parse: func(c *Config, v string) error { c.Addr = v; return hostPort(v) }},
	{flag: "database-url", env: "DATABASE_URL", def: "sqlite:pollstack.db", secret: true,
		usage: "the store: `sqlite:PATH` or `postgres://[USER@]HOST:PORT/DB?sslmode=verify-full`, the password from the URL, `DATABASE_PASSWORD` or a secret below. `verify-full` and `verify-ca` trust the built-in RDS roots unless `sslrootcert=FILE` or `system`",
		parse: func(c *Config, v string) error { return c.Store.parseURL(v) }},
	{flag: "db-secret-arn", env: "POLLSTACK_DB_SECRET_ARN", usage: "Secrets Manager secret with the credentials, read again when the database rejects them",
		parse: func(c *Config, v string) error { c.Store.Credentials.SecretARN = v; return checkARN(v) }},
	{flag: "db-secret-file", env: "POLLSTACK_DB_SECRET_FILE", usage: "a file with the credentials as secret JSON, read again when the database rejects them",
		parse: func(c *Config, v string) error { c.Store.Credentials.SecretFile = v; return nil }},
	{flag: "db-iam-auth", env: "POLLSTACK_DB_IAM_AUTH", def: "false", kind: boolean, usage: "log in to RDS as the URL's user with an IAM token per connection, signed with the process's AWS credentials (region: `AWS_REGION`, else the host name). Needs `sslmode=require` or `verify-full`; excludes the secrets",
		parse: func(c *Config, v string) (err error) { c.Store.iamAuth, err = parseBool(v); return err }},
	{flag: "db-migrate", env: "POLLSTACK_DB_MIGRATE", def: "true", kind: boolean, usage: "apply PostgreSQL migrations at start. `false`: run no DDL, and refuse to start until `pollstack migrate` has brought the schema to this version. SQLite always migrates",
		parse: func(c *Config, v string) error {
			migrate, err := parseBool(v)
			c.Store.NoMigrations = !migrate
			return err
		}},
	{flag: "trust-proxy", env: "POLLSTACK_TRUST_PROXY", def: "false", kind: boolean, usage: "trust the load balancer's `X-Forwarded-Proto` (Secure cookies, HSTS) and its right-most `X-Forwarded-For` entry as the client's address, never entries the client wrote",
		parse: func(c *Config, v string) (err error) { c.TrustProxy, err = parseBool(v); return err }},
	{flag: "public-url", env: "POLLSTACK_PUBLIC_URL", usage: "the site's origin (`https://polls.example.com`) for share and admin links. Without it links are relative, or on the request's host if loopback: a forged `Host` never decides a link",
		parse: func(c *Config, v string) (err error) { c.PublicURL, err = parseOrigin(v); return err }},
	{flag: "server-key-file", env: "POLLSTACK_SERVER_KEY_FILE", usage: "a file with the server key (32 or more random bytes; a trailing line break is ignored), which keys address hashes and seals creator cookies; every task must share it. Without it or the secret below, each process makes its own and warns",
		parse: func(c *Config, v string) error { c.ServerKey.File = v; return nil }},
	{flag: "server-key-secret-arn", env: "POLLSTACK_SERVER_KEY_SECRET_ARN", usage: "Secrets Manager secret whose string value is the server key",
		parse: func(c *Config, v string) error { c.ServerKey.SecretARN = v; return checkARN(v) }},
	{flag: "create-rate-limit", env: "POLLSTACK_CREATE_RATE_LIMIT", def: "10", kind: number, usage: "new polls and code batches a minute per client address, with a burst of as many, and as many code CSV and ballot file downloads. Past it `429` with `Retry-After`; `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.CreateRateLimit, err = parseRate(v); return err }},
	{flag: "voter-codes-per-hour", env: "POLLSTACK_VOTER_CODES_PER_HOUR", def: "10000", kind: number, usage: "new voter codes an hour per client address (two 5,000-code batches), bounding the rows one address adds. Past it `429` with `Retry-After`; `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.VoterCodeBudget, err = parseRate(v); return err }},
	{flag: "vote-rate-limit", env: "POLLSTACK_VOTE_RATE_LIMIT", def: "20", kind: number, usage: "votes a second per voter cookie, or per client address for votes without one, with a burst of as many. Past it `429` with `Retry-After`; `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.VoteRateLimit, err = parseRate(v); return err }},
	{flag: "room-votes", env: "POLLSTACK_ROOM_VOTES", def: "500", kind: number, usage: "votes one address may send at once from browsers with their own voter cookies (a room on one Wi-Fi), refilled over 10 seconds. `0`: every vote meets `--vote-rate-limit` per address",
		parse: func(c *Config, v string) (err error) { c.RoomVotes, err = parseRate(v); return err }},
	{flag: "stream-limit", env: "POLLSTACK_STREAM_LIMIT", def: "2000", kind: number, usage: "live-results streams this server holds open (about 75 KB each). Past it `503`, and pages reload counts instead; `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.StreamLimit, err = parseRate(v); return err }},
	{flag: "stream-limit-per-address", env: "POLLSTACK_STREAM_LIMIT_PER_ADDRESS", def: "50", kind: number, usage: "live-results streams one client address may hold open. Past it `429` with `Retry-After`; `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.StreamLimitPerAddress, err = parseRate(v); return err }},
	{flag: "conn-limit", env: "POLLSTACK_CONN_LIMIT", def: "4096", kind: number, usage: "open connections this server holds (about 20 KB each idle); past it a new one gets `503` and is closed. `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.ConnLimit, err = parseRate(v); return err }},
	{flag: "conn-limit-per-address", env: "POLLSTACK_CONN_LIMIT_PER_ADDRESS", def: "256", kind: number, usage: "open connections from one client address; past it a new one gets `429` and is closed. Off with `--trust-proxy` (every connection is the load balancer's); `0` turns it off",
		parse: func(c *Config, v string) (err error) { c.ConnsPerAddr, err = parseRate(v); return err }},
	{flag: "retention", env: "POLLSTACK_RETENTION", def: "2160h", kind: duration, usage: "delete a poll, its ballots and codes this long after it closes, or after its last vote if it never does; the poll page says when. `0s` keeps every poll",
		parse: func(c *Config, v string) (err error) { c.Retention, err = parseDuration(v); return err }},
	{flag: "drain-period", env: "POLLSTACK_DRAIN_PERIOD", def: "30s", kind: duration, usage: "after SIGTERM, keep serving with `/readyz` failing for this long (the target group's deregistration delay)",
		parse: func(c *Config, v string) (err error) { c.DrainPeriod, err = parseDuration(v); return err }},
	{flag: "shutdown-timeout", env: "POLLSTACK_SHUTDOWN_TIMEOUT", def: "20s", kind: duration, usage: "then give in-flight requests this long to finish",
		parse: func(c *Config, v string) (err error) { c.ShutdownTimeout, err = parseDuration(v); return err }},
	{flag: "log-level", env: "POLLSTACK_LOG_LEVEL", def: "info", usage: "`debug`, `info`, `warn` or `error`",
		parse: func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				return c.LogLevel.UnmarshalText([]byte(v))
			}
			return errors.New("want debug, info, warn or error")
		}},
	{flag: "log-format", env: "POLLSTACK_LOG_FORMAT", def: "auto", usage: "`json` (for CloudWatch), `text` (key=value) or `auto` (text on a terminal, else json)",
		parse: func(c *Config, v string) error {
			switch v {
			case "auto", "json", "text":
				c.LogFormat = v
				return nil
			}
			return errors.New("want auto, json or text")
		}},
	{flag: "log-slow", env: "POLLSTACK_LOG_SLOW", def: "500ms", kind: duration, usage: "a request that takes this long is always logged; `0s`: none is logged for being slow",
		parse: func(c *Config, v string) (err error) { c.LogSlow, err = parseDuration(v); return err }},
	{flag: "log-sample", env: "POLLSTACK_LOG_SAMPLE", def: "0.01", kind: fraction, usage: "fraction of ordinary requests logged; 5xx and slow ones always are. A response's `X-Request-Id` is the ID in its log line",
		parse: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return errors.New("want a fraction from 0 to 1, such as 0.01")
			}
			c.LogSample = f
			return nil
		}},
	{flag: "metrics-addr", env: "POLLSTACK_METRICS_ADDR", usage: "serve Prometheus metrics (`GET /metrics`) on this address, e.g. `127.0.0.1:9090`; never public",
		parse: func(c *Config, v string) error { c.MetricsAddr = v; return optionalHostPort(v) }},
	{flag: "emf-interval", env: "POLLSTACK_EMF_INTERVAL", def: "60s", kind: duration, usage: "write the metrics to stdout as a CloudWatch Embedded Metric Format line this often and at shutdown; `0s`: never",
		parse: func(c *Config, v string) (err error) { c.EMFInterval, err = parseDuration(v); return err }},
	{flag: "metrics-service", env: "POLLSTACK_METRICS_SERVICE", def: "pollstack", usage: "the `Service` dimension of those metrics (namespace `Pollstack`): the stack's name, which its alarms read",
		parse: func(c *Config, v string) error {
			c.MetricsService = v
			if v == "" || len(v) > 255 {
				return errors.New("want a name of 1 to 255 characters")
			}
			return nil
		}},
	{flag: "debug-addr", env: "POLLSTACK_DEBUG_ADDR", usage: "serve Go's profiler on this address (e.g. `127.0.0.1:6060`); never public",
		parse: func(c *Config, v string) error { c.DebugAddr = v; return optionalHostPort(v) }},
}

// migrateSettings are the settings of `pollstack migrate` beside the above.
var migrateSettings = []setting{
	{flag: "app-user", env: "POLLSTACK_DB_APP_USER", usage: "after migrating: make the server's role if need be (no password; in `rds_iam` where it exists) and grant it exactly connect, use the schema, read and write the tables (`schema_migrations` read only); every other grant on the owner's databases, `PUBLIC`'s `CONNECT` included, is taken back",
		parse: func(c *Config, v string) error { c.Store.AppUser = v; return checkRoleName(v) }},
	{flag: "init-roles", env: "POLLSTACK_DB_INIT_ROLES", def: "false", kind: boolean, usage: "instead of migrating, as the master user, once per database: make the `--migrator-user` and `--app-user` roles (no password, CREATEROLE or CREATEDB; in `rds_iam` where it exists), make the migrator own the database and its tables, and close the master's other databases to both",
		parse: func(c *Config, v string) (err error) { c.Store.InitRoles, err = parseBool(v); return err }},
	{flag: "migrator-user", env: "POLLSTACK_DB_MIGRATOR_USER", usage: "the role that owns the database and runs the migrations, made by `--init-roles`",
		parse: func(c *Config, v string) error { c.Store.MigratorUser = v; return checkRoleName(v) }},
}

// parseConfig reads flags, falling back to the environment, then to
// defaults. Every bad value is reported, each naming its flag. extra are
// the settings of one command beside the common ones.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra ...setting) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := append(settings[:len(settings):len(settings)], extra...)
	fs.Usage = func() { printUsage(stderr, name, all) }
	values := make([]*string, len(all))
	for i, s := range all {
		values[i] = new(string)
		*values[i] = s.def
		if v := getenv(s.env); v != "" {
			*values[i] = v
		}
		fs.Var(textValue{values[i], s.kind}, s.flag, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, unexpectedArgument(fs.Arg(0))
	}
	var c Config
	var errs []error
	for i, s := range all {
		if err := s.parse(&c, *values[i]); err != nil {
			if s.secret {
				errs = append(errs, fmt.Errorf("--%s: %w", s.flag, err))
			} else {
				errs = append(errs, fmt.Errorf("--%s %q: %w", s.flag, *values[i], err))
			}
		}
	}
	if err := c.Store.chooseCredentials(getenv("DATABASE_PASSWORD")); err != nil {
		errs = append(errs, err)
	}
	if c.Store.AppUser != "" && c.Store.Kind != Postgres {
		errs = append(errs, errors.New("--app-user needs a postgres:// --database-url"))
	}
	if c.ServerKey.File != "" && c.ServerKey.SecretARN != "" {
		errs = append(errs, errors.New("--server-key-file and --server-key-secret-arn: give one source of the server key, not both"))
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		errs = append(errs, errors.New("--metrics-addr: must not be the public --addr: the metrics listener is never public"))
	}
	return c, errors.Join(errs...)
}

// textValue is a flag that keeps the text it is given for its setting's
// parse function; a boolean one may stand alone.
type textValue struct {
	text *string
	kind kind
}

func (v textValue) String() string {
	if v.text == nil {
		return ""
	}
	return *v.text
}

func (v textValue) Set(s string) error { *v.text = s; return nil }

func (v textValue) IsBoolFlag() bool { return v.kind == boolean }

// unexpectedArgument explains the likely slip behind a stray argument: a
// boolean flag's value given after a space.
func unexpectedArgument(arg string) error {
	if _, err := strconv.ParseBool(arg); err == nil {
		return fmt.Errorf("unexpected argument %q: a boolean flag takes its value after =, as in --trust-proxy=%s", arg, arg)
	}
	return fmt.Errorf("unexpected argument %q", arg)
}

// printUsage prints each setting as -h shows it: the flag and its kind,
// then its meaning, environment variable and default.
func printUsage(w io.Writer, name string, all []setting) {
	fmt.Fprintf(w, "usage: %s [flags]\n\nEach flag falls back to its environment variable, then to its default.\n\n", name)
	for _, s := range all {
		head := "  --" + s.flag
		if s.kind != boolean {
			head += " " + string(s.kindOrText())
		}
		fmt.Fprintln(w, head)
		fmt.Fprintf(w, "\t%s\n\t(env %s", strings.ReplaceAll(s.usage, "`", ""), s.env)
		if s.def != "" {
			fmt.Fprintf(w, "; default %s", s.def)
		}
		fmt.Fprintln(w, ")")
	}
}

func (s setting) kindOrText() kind {
	if s.kind == "" {
		return text
	}
	return s.kind
}

// parseURL reads the database URL. The error never repeats the URL: it may
// hold a password.
func (s *StoreConfig) parseURL(raw string) error {
	scheme, rest, _ := strings.Cut(raw, ":")
	switch scheme {
	case "sqlite":
		s.Kind, s.Path = SQLite, strings.TrimPrefix(rest, "//")
		if s.Path == "" {
			return errors.New("sqlite: needs a file path, as in sqlite:pollstack.db")
		}
		return nil
	case "postgres", "postgresql":
	case "":
		return errors.New("empty: use sqlite:PATH or postgres://HOST/DB")
	default:
		return fmt.Errorf("unsupported scheme %q: use sqlite:PATH or postgres://HOST/DB", scheme)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("the PostgreSQL URL cannot be parsed")
	}
	s.Kind, s.URL = Postgres, u
	if u.User != nil {
		s.Credentials.User = u.User.Username()
		s.Credentials.Password, _ = u.User.Password()
		u.User = nil
	}
	switch mode := u.Query().Get("sslmode"); mode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		return fmt.Errorf("sslmode %q: want require, verify-ca, verify-full or disable", mode)
	}
	if u.Hostname() != "" {
		return requireTLS(u)
	}
	return nil // the host comes from the secret (see fillFromSecret)
}

// chooseCredentials picks the one source of PostgreSQL credentials.
func (s *StoreConfig) chooseCredentials(envPassword string) error {
	c := &s.Credentials
	if s.iamAuth {
		return s.chooseIAM(envPassword)
	}
	switch {
	case c.SecretARN != "" && c.SecretFile != "":
		return errors.New("--db-secret-arn and --db-secret-file: give one source of credentials, not both")
	case s.Kind != Postgres && (c.SecretARN != "" || c.SecretFile != ""):
		return errors.New("--db-secret-arn and --db-secret-file need a postgres:// --database-url")
	case c.SecretARN != "":
		c.Source = FromSecretsManager
	case c.SecretFile != "":
		c.Source = FromFile
	default:
		c.Source = FromURL
		if c.Password == "" {
			c.Password = envPassword
		}
	}
	return nil
}

// chooseIAM checks the settings of IAM authentication: the URL's user,
// no password from anywhere, and TLS even to a loopback host (a token is a
// credential for 15 minutes).
func (s *StoreConfig) chooseIAM(envPassword string) error {
	c := &s.Credentials
	switch {
	case s.Kind != Postgres:
		return errors.New("--db-iam-auth needs a postgres:// --database-url")
	case c.SecretARN != "" || c.SecretFile != "":
		return errors.New("--db-iam-auth and --db-secret-arn or --db-secret-file: give one source of credentials, not both")
	case c.User == "" || s.URL.Hostname() == "":
		return errors.New("--db-iam-auth needs the user and host in --database-url, as in postgres://pollstack_app@HOST:5432/DB?sslmode=require")
	case c.Password != "" || envPassword != "":
		return errors.New("--db-iam-auth: the password is a token signed for each connection; give none in --database-url or DATABASE_PASSWORD")
	}
	switch s.URL.Query().Get("sslmode") {
	case "require", "verify-ca", "verify-full":
	default:
		return errors.New("--db-iam-auth needs TLS: add sslmode=require (or verify-full) to --database-url")
	}
	c.Source = FromIAM
	return nil
}

// checkRoleName accepts a PostgreSQL role name the way IAM policies and
// RDS name it: letters, digits and underscores, starting with a letter.
func checkRoleName(v string) error {
	if v == "" {
		return nil
	}
	ok := len(v) <= 63 && (v[0] >= 'a' && v[0] <= 'z' || v[0] >= 'A' && v[0] <= 'Z')
	for _, r := range v {
		ok = ok && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}
	if !ok {
		return errors.New("want a role name of up to 63 letters, digits and underscores, starting with a letter")
	}
	return nil
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
		return fmt.Errorf("database host %s is not local: TLS is required; add sslmode=require (or verify-full) to the URL", host)
	}
}

func checkARN(v string) error {
	if v != "" && !strings.HasPrefix(v, "arn:") {
		return errors.New("not an ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
	}
	return nil
}

func hostPort(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return errors.New("want HOST:PORT or :PORT")
	}
	return nil
}

// optionalHostPort accepts an empty address (a listener that is off).
func optionalHostPort(v string) error {
	if v == "" {
		return nil
	}
	return hostPort(v)
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

// parseOrigin reads a site's origin: http or https, a host, nothing after
// it but an optional slash.
func parseOrigin(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	switch {
	case err != nil, u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return "", errors.New("want an origin such as https://polls.example.com")
	case u.User != nil, u.RawQuery != "", u.Fragment != "", u.Path != "" && u.Path != "/":
		return "", errors.New("want only the origin (scheme and host), with no path, query, fragment or user")
	}
	return u.Scheme + "://" + u.Host, nil
}

// parseRate reads a per-client rate: a whole number from 0 (off) to a million.
func parseRate(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, errors.New("want a whole number from 0 (off) to 1000000")
	}
	return n, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 30s")
	}
	return d, nil
}

// usage prints the subcommands.
func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: pollstack [command] [flags]

commands:
  serve     run the web server (the default)
  migrate   apply the database migrations and exit
  recount   count a ranked poll's ballot file round by round: pollstack recount FILE
  version   print the version

Run "pollstack serve -h" for the server's flags; each has an environment variable.
The operator's check of a live AWS deployment is its own command: go run ./cmd/doctor -h`)
}
