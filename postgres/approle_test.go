//go:build integration

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/postgres"
	"github.com/pollstack/pollstack/storetest"
)

// appDatabase is a database set up as on RDS: an owner that is no
// superuser but may create roles and databases (the master user) owns the
// app's database and one more (RDS's postgres database) and runs InitRoles
// once; the migrator then migrates and makes the app role, as each deploy
// does.
type appDatabase struct {
	server                        *pgtest.Server
	db, other                     string
	owner, migrator, app          string
	ownerURL, migratorURL, appURL string
	closedByInit                  []string
	otherSchemaTable              string
}

// setUpAppRole prepares a new database as an administrator and a deploy do:
// InitRoles as the master user, then the migrations and EnsureAppRole as
// the migrator.
func setUpAppRole(tb testing.TB) *appDatabase {
	tb.Helper()
	d := newRDSLikeDatabase(tb)
	d.initRoles(tb)
	d.ensure(tb)
	return d
}

// newRDSLikeDatabase makes the master user, its two databases and a
// schema of its own in the app's database, without pollstack's roles.
func newRDSLikeDatabase(tb testing.TB) *appDatabase {
	tb.Helper()
	ctx := context.Background()
	server := pgtest.Shared(tb)
	suffix := fmt.Sprint(time.Now().UnixNano())
	d := &appDatabase{server: server, owner: "owner_" + suffix, migrator: "migrator_" + suffix, app: "app_" + suffix, db: "app_" + suffix, other: "other_" + suffix}
	for _, sql := range []string{
		"CREATE ROLE " + d.owner + " LOGIN CREATEROLE CREATEDB",
		"CREATE DATABASE " + d.db + " OWNER " + d.owner,
		"CREATE DATABASE " + d.other + " OWNER " + d.owner,
	} {
		if err := server.Exec(ctx, "postgres", sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	d.ownerURL, d.migratorURL, d.appURL = server.URL(d.db, d.owner, ""), server.URL(d.db, d.migrator, ""), server.URL(d.db, d.app, "")
	// A schema of the owner's that is none of pollstack's business.
	d.otherSchemaTable = "private.accounts"
	owner := mustConnect(tb, d.ownerURL)
	if _, err := owner.Exec(ctx, "CREATE SCHEMA private; CREATE TABLE private.accounts (secret text); INSERT INTO private.accounts VALUES ('s3cret')"); err != nil {
		tb.Fatal(err)
	}
	return d
}

// initRoles runs what `pollstack migrate --init-roles` runs, as the master user.
func (d *appDatabase) initRoles(tb testing.TB) {
	tb.Helper()
	s, err := postgres.Open(context.Background(), d.ownerURL, postgres.Options{RolesOnly: true})
	if err != nil {
		tb.Fatalf("connect as the master user: %v", err)
	}
	defer s.Close()
	if d.closedByInit, err = s.InitRoles(context.Background(), d.migrator, d.app); err != nil {
		tb.Fatalf("InitRoles: %v", err)
	}
}

// ensure runs what `pollstack migrate --app-user` runs on each deploy: the
// migrations and EnsureAppRole, as the migrator.
func (d *appDatabase) ensure(tb testing.TB) {
	tb.Helper()
	s, err := postgres.Open(context.Background(), d.migratorURL, postgres.Options{})
	if err != nil {
		tb.Fatalf("migrate as the migrator: %v", err)
	}
	defer s.Close()
	if _, err = s.EnsureAppRole(context.Background(), d.app); err != nil {
		tb.Fatalf("EnsureAppRole: %v", err)
	}
}

// The server's whole store contract passes when it connects as the app role
// and runs no DDL.
func TestContractAsAppRole(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock *storetest.Clock) pollstack.Store {
		d := setUpAppRole(t)
		s, err := postgres.Open(context.Background(), d.appURL, postgres.Options{Now: clock.Now, NoMigrations: true})
		if err != nil {
			t.Fatalf("open as the app role: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// The attacks of a server taken over: as the app role, every statement that
// changes the schema, reaches another schema or another database, or
// rewrites the migrations' record is refused for want of privilege.
func TestAppRoleCannotChangeTheSchema(t *testing.T) {
	d := setUpAppRole(t)
	// Data to attack: a poll with a vote, stored as the app role.
	s, err := postgres.Open(context.Background(), d.appURL, postgres.Options{NoMigrations: true})
	if err != nil {
		t.Fatalf("open as the app role: %v", err)
	}
	clock := storetest.NewClock()
	p := storetest.MustCreate(t, s, clock.Now(), pollstack.PollDraft{Question: "Q", Options: []string{"A", "B"}})
	if err := s.Vote(context.Background(), pollstack.Ballot{PollID: p.ID, Voter: pollstack.Voter{Browser: "v"}, OptionIDs: []int{1}}); err != nil {
		t.Fatalf("vote as the app role: %v", err)
	}
	s.Close()
	wantAppRoleRefused(t, d)
	if len(d.closedByInit) != 1 || d.closedByInit[0] != d.other {
		t.Errorf("other databases closed = %v, want [%s]", d.closedByInit, d.other)
	}
}

// wantAppRoleRefused plays each attack as the app role.
func wantAppRoleRefused(t *testing.T, d *appDatabase) {
	t.Helper()
	ctx := context.Background()
	app := mustConnect(t, d.appURL)
	for _, attack := range []string{
		"DROP TABLE ballots",
		"ALTER TABLE polls ADD COLUMN owned boolean",
		"ALTER TABLE polls DROP CONSTRAINT polls_choice_limits",
		"CREATE TABLE loot (x text)",
		"CREATE TEMPORARY TABLE loot (x text)",
		"CREATE SCHEMA loot",
		"CREATE INDEX ON ballots (created_at)",
		"TRUNCATE ballots",
		"SELECT * FROM " + d.otherSchemaTable,
		"INSERT INTO schema_migrations (version, name) VALUES (999, 'forged')",
		"DELETE FROM schema_migrations",
		"CREATE FUNCTION loot() RETURNS int LANGUAGE sql AS 'SELECT 1'",
		"CREATE ROLE loot",
		"CREATE DATABASE loot",
	} {
		_, err := app.Exec(ctx, attack)
		if !permissionDenied(err) {
			t.Errorf("as the app role, %s: %v; want a permission error (42501)", attack, err)
		}
	}
	// The owner's other database (RDS's postgres database): closed.
	conn, err := pgx.Connect(ctx, d.server.URL(d.other, d.app, ""))
	if err == nil {
		conn.Close(ctx)
	}
	if !permissionDenied(err) {
		t.Errorf("as the app role, connect to database %s: %v; want a permission error (42501)", d.other, err)
	}
}

func permissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

// EnsureAppRole is idempotent, and running it again (each deploy) takes
// back a privilege granted by hand on the app's schema and database;
// InitRoles run again (by an administrator) takes back one on the master
// user's other databases, which the migrator may not touch.
func TestEnsureAppRoleTakesBackGrants(t *testing.T) {
	d := setUpAppRole(t)
	ctx := context.Background()
	grants := fmt.Sprintf("GRANT ALL ON ALL TABLES IN SCHEMA public TO %[1]s; GRANT CREATE ON SCHEMA public TO %[1]s; GRANT TEMPORARY ON DATABASE %[2]s TO %[1]s", d.app, d.db)
	if _, err := mustConnect(t, d.migratorURL).Exec(ctx, grants); err != nil {
		t.Fatal(err)
	}
	if _, err := mustConnect(t, d.ownerURL).Exec(ctx, fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s, %s", d.other, d.app, d.migrator)); err != nil {
		t.Fatal(err)
	}
	d.ensure(t)
	d.ensure(t)
	d.initRoles(t)
	wantAppRoleRefused(t, d)
}

// A role that could undo the grants is refused, as is the owner itself.
func TestEnsureAppRoleRefusesPowerfulRoles(t *testing.T) {
	d := setUpAppRole(t)
	ctx := context.Background()
	if err := d.server.Exec(ctx, "postgres", "ALTER ROLE "+d.app+" CREATEROLE"); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(ctx, d.migratorURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EnsureAppRole(ctx, d.app); err == nil || !strings.Contains(err.Error(), "CREATEROLE") {
		t.Errorf("EnsureAppRole of a CREATEROLE role: %v; want a refusal naming CREATEROLE", err)
	}
	if _, err := s.EnsureAppRole(ctx, d.migrator); err == nil || !strings.Contains(err.Error(), "role of its own") {
		t.Errorf("EnsureAppRole of the migrator: %v; want a refusal", err)
	}
}

// The attacks of a pipeline taken over: the migrator is the credential
// the pipeline's code can reach (it ships the migrations), so it must not
// lead to the master user, other roles or other databases. As the
// migrator, each is refused for want of privilege.
func TestMigratorCannotReachTheMasterUser(t *testing.T) {
	d := setUpAppRole(t)
	ctx := context.Background()
	migrator := mustConnect(t, d.migratorURL)
	for _, attack := range []string{
		"CREATE ROLE loot LOGIN PASSWORD 'loot'",
		"ALTER ROLE " + d.owner + " PASSWORD 'taken'",
		"ALTER ROLE " + d.app + " PASSWORD 'taken'",
		"GRANT " + d.owner + " TO " + d.migrator,
		"SET ROLE " + d.owner,
		"CREATE DATABASE loot",
		"SELECT * FROM " + d.otherSchemaTable,
		"ALTER SCHEMA private OWNER TO " + d.migrator,
	} {
		_, err := migrator.Exec(ctx, attack)
		if !permissionDenied(err) {
			t.Errorf("as the migrator, %s: %v; want a permission error (42501)", attack, err)
		}
	}
	conn, err := pgx.Connect(ctx, d.server.URL(d.other, d.migrator, ""))
	if err == nil {
		conn.Close(ctx)
	}
	if !permissionDenied(err) {
		t.Errorf("as the migrator, connect to database %s: %v; want a permission error (42501)", d.other, err)
	}
	var super, createRole, createDB bool
	if err := migrator.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createRole, &createDB); err != nil || super || createRole || createDB {
		t.Errorf("migrator superuser %v, createrole %v, createdb %v (%v); want none", super, createRole, createDB, err)
	}
}

// A database an earlier release migrated as the master user is handed to
// the migrator, which then migrates and owns every table; InitRoles run
// again changes nothing.
func TestInitRolesHandsOverAnOldDatabase(t *testing.T) {
	d := newRDSLikeDatabase(t)
	ctx := context.Background()
	old, err := postgres.Open(ctx, d.ownerURL, postgres.Options{})
	if err != nil {
		t.Fatalf("migrate as the master user, as before: %v", err)
	}
	old.Close()
	d.initRoles(t)
	d.initRoles(t)
	d.ensure(t)
	rows, err := mustConnect(t, d.ownerURL).Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND pg_get_userbyid(c.relowner) <> $1`, d.migrator)
	if err != nil {
		t.Fatal(err)
	}
	notHanded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(notHanded) > 0 {
		t.Errorf("objects not owned by the migrator: %v (%v); want none", notHanded, err)
	}
	if _, err := mustConnect(t, d.migratorURL).Exec(ctx, "ALTER TABLE polls ADD COLUMN probe boolean; ALTER TABLE polls DROP COLUMN probe"); err != nil {
		t.Errorf("as the migrator, change a table made by the master user: %v", err)
	}
	wantAppRoleRefused(t, d)
}

// Without migrations a server refuses a database that pollstack migrate
// has not brought to its version, instead of failing on missing columns.
func TestNoMigrationsRefusesAnOldSchema(t *testing.T) {
	url := newDatabase(t)
	_, err := postgres.Open(context.Background(), url, postgres.Options{NoMigrations: true})
	if err == nil || !strings.Contains(err.Error(), "pollstack migrate") {
		t.Fatalf("open an empty database without migrations: %v; want an error naming pollstack migrate", err)
	}
	conn := mustConnect(t, url)
	if _, err := conn.Exec(context.Background(), "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_migrations (version, name) VALUES (1, '001_polls.sql')"); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(context.Background(), url, postgres.Options{NoMigrations: true})
	if err == nil || !strings.Contains(err.Error(), "at migration 1") {
		t.Fatalf("open a database at migration 1 without migrations: %v; want an error naming migration 1", err)
	}
}

// Each new connection, the pool's and the change feed's, asks for its
// credentials: an IAM token lasts 15 minutes, so each connection must sign
// its own. The fake signer hands out numbered tokens; the server trusts
// local connections, so it is the calls that are counted here (the cmd
// package checks that a signed token is what reaches the server).
func TestCredentialsAskedForEachConnection(t *testing.T) {
	d := setUpAppRole(t)
	var mu sync.Mutex
	var tokens []string
	opts := postgres.Options{NoMigrations: true, Credentials: func(ctx context.Context, refresh bool) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		tokens = append(tokens, fmt.Sprint("token-", len(tokens)+1))
		return d.app, tokens[len(tokens)-1], nil
	}}
	const pool = 4
	s, err := postgres.Open(context.Background(), d.appURL+"&pool_min_conns="+fmt.Sprint(pool), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := s.Watch(func([]string) {})
	defer stop()
	want := pool + 1 // the pool's connections and the LISTEN connection
	admin := mustConnect(t, d.server.URL("postgres", d.server.User, ""))
	var sessions int
	for deadline := time.Now().Add(10 * time.Second); sessions < want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE usename = $1`, d.app).Scan(&sessions); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if sessions < want || len(tokens) < sessions {
		t.Errorf("%d sessions as the app role, %d tokens asked for (%v); want at least %d sessions, each with its own token", sessions, len(tokens), tokens, want)
	}
}

// On RDS the app role joins rds_iam, which admits IAM tokens; the test
// server gets a role of that name for the time of the test.
func TestEnsureAppRoleJoinsRDSIAM(t *testing.T) {
	server := pgtest.Shared(t)
	ctx := context.Background()
	if err := server.Exec(ctx, "postgres", "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam NOLOGIN; END IF; END$$"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Its members first: DROP ROLE refuses a role that has any.
		server.Exec(ctx, "postgres", "DO $$DECLARE m text; BEGIN FOR m IN SELECT quote_ident(r.rolname) FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member WHERE a.roleid = 'rds_iam'::regrole LOOP EXECUTE 'REVOKE rds_iam FROM ' || m; END LOOP; DROP ROLE rds_iam; END$$")
	})
	d := setUpAppRole(t)
	var member bool
	admin := mustConnect(t, server.URL("postgres", server.User, ""))
	for _, role := range []string{d.app, d.migrator} {
		if err := admin.QueryRow(ctx, `SELECT pg_has_role($1, 'rds_iam', 'MEMBER')`, role).Scan(&member); err != nil || !member {
			t.Errorf("%s a member of rds_iam: %v (%v); want true", role, member, err)
		}
	}
}
