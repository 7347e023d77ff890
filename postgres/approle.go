package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// InitRoles makes, once per database, the two roles pollstack runs as, so
// that nothing that ships needs the master password again: migrator, which
// owns the database, migrates it and runs EnsureAppRole on each deploy, and
// app, which the server connects as. It runs as the master user, by an
// administrator (docs/deploy.md), never by the pipeline: the pipeline ships
// the code that migrates, so whatever migrations log in with, the pipeline
// can reach. Neither role may create roles or databases, and neither has a
// password: on RDS both log in with IAM tokens (rds_iam). Tables an earlier
// release made as the master user are handed to migrator, and the master
// user's other databases are closed to both (it returns their names).
// Running it again changes nothing.
func (s *Store) InitRoles(ctx context.Context, migrator, app string) (closed []string, err error) {
	if migrator == "" || app == "" || migrator == app {
		return nil, errors.New("postgres: init roles: want two different role names")
	}
	err = s.underMigrationLock(ctx, func(tx pgx.Tx) error {
		for _, name := range []string{migrator, app} {
			if err := ensureRole(ctx, tx, name); err != nil {
				return fmt.Errorf("role %s: %w", name, err)
			}
		}
		db, schema, err := databaseAndSchema(ctx, tx)
		if err != nil {
			return err
		}
		m := pgx.Identifier{migrator}.Sanitize()
		for _, stmt := range []string{
			// PostgreSQL lets only a member of a role give it ownership.
			"GRANT " + m + " TO CURRENT_USER",
			"ALTER DATABASE " + db + " OWNER TO " + m,
			"GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + m,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		if err := handOver(ctx, tx, m); err != nil {
			return err
		}
		closed, err = closeOtherDatabases(ctx, tx, m, pgx.Identifier{app}.Sanitize())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: init roles: %w", err)
	}
	return closed, nil
}

// handOver gives role the tables, views and sequences of the schema that
// the current user owns (what migrations made as the master user before
// InitRoles). A sequence that belongs to a column follows its table.
func handOver(ctx context.Context, tx pgx.Tx, role string) error {
	rows, err := tx.Query(ctx, `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
		quote_ident(n.nspname) || '.' || quote_ident(c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND pg_get_userbyid(c.relowner) = current_user
		AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
		ORDER BY 2`)
	if err != nil {
		return fmt.Errorf("list objects to hand over: %w", err)
	}
	type object struct{ kind, name string }
	objects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (o object, err error) {
		return o, r.Scan(&o.kind, &o.name)
	})
	if err != nil {
		return fmt.Errorf("list objects to hand over: %w", err)
	}
	for _, o := range objects {
		stmt := "ALTER " + o.kind + " " + o.name + " OWNER TO " + role
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// EnsureAppRole makes name the role the server connects as, with the least
// it needs: it may log in to this database only, use the schema the
// migrations wrote, and read and write rows of its tables (only read
// schema_migrations), and nothing else: no CREATE, ALTER, DROP, TRUNCATE,
// temporary tables, other schema or other database this owner can close.
//
// It runs as the owner (the user migrations run as: the migrator role of
// InitRoles), after the migrations, under their lock and in one transaction: it
// first takes back whatever the role was granted on these objects, then
// grants exactly the above, so running it again (every deploy) also undoes
// a grant made by hand. The role gets no password: on RDS it is a member of
// rds_iam and logs in with IAM tokens only; where rds_iam does not exist
// (plain PostgreSQL), give it a password or a pg_hba rule by hand. An owner
// that may create roles also creates it; else InitRoles must have.
// It returns the other databases it closed to the role.
func (s *Store) EnsureAppRole(ctx context.Context, name string) (closed []string, err error) {
	if name == "" {
		return nil, errors.New("postgres: app role: empty name")
	}
	err = s.underMigrationLock(ctx, func(tx pgx.Tx) error {
		if err := ensureRole(ctx, tx, name); err != nil {
			return err
		}
		role := pgx.Identifier{name}.Sanitize()
		db, schema, err := databaseAndSchema(ctx, tx)
		if err != nil {
			return err
		}
		for _, stmt := range []string{
			// Back to nothing on our objects...
			"REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " + role,
			"REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + schema + " FROM " + role,
			"REVOKE ALL ON SCHEMA " + schema + " FROM " + role,
			"REVOKE ALL ON DATABASE " + db + " FROM " + role,
			// ...and from everyone by default: PostgreSQL before 15 lets
			// every role create in the public schema, and every version lets
			// every role connect and make temporary tables.
			"REVOKE CREATE ON SCHEMA " + schema + " FROM PUBLIC",
			"REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC",
			// ...then exactly what the server needs.
			"GRANT CONNECT ON DATABASE " + db + " TO " + role,
			"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
			"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
			"REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM " + role, // it checks the version, never writes it
			"GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role,
			// Tables and sequences that later migrations create (as this
			// owner) follow, even before this runs again.
			"ALTER DEFAULT PRIVILEGES IN SCHEMA " + schema + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + role,
			"ALTER DEFAULT PRIVILEGES IN SCHEMA " + schema + " GRANT USAGE ON SEQUENCES TO " + role,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		closed, err = closeOtherDatabases(ctx, tx, role)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: app role %s: %w", name, err)
	}
	return closed, nil
}

// underMigrationLock runs fn in one transaction under the migrations'
// advisory lock, so that role changes never interleave with a migration.
func (s *Store) underMigrationLock(ctx context.Context, fn func(pgx.Tx) error) error {
	conn, err := s.conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("take lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	return pgx.BeginFunc(ctx, conn, fn)
}

// databaseAndSchema names the current database and schema, quoted.
func databaseAndSchema(ctx context.Context, tx pgx.Tx) (db, schema string, err error) {
	err = tx.QueryRow(ctx, `SELECT quote_ident(current_database()), quote_ident(current_schema())`).Scan(&db, &schema)
	return db, schema, err
}

// ensureRole creates the role, or checks that an existing one has none of
// the attributes that would defeat the grants (only a superuser could take
// them away: on RDS the owner is not one).
func ensureRole(ctx context.Context, tx pgx.Tx, name string) error {
	var self bool
	if err := tx.QueryRow(ctx, `SELECT current_user = $1`, name).Scan(&self); err != nil {
		return err
	}
	if self {
		return errors.New("is the user migrations run as: the app must connect as a role of its own")
	}
	role := pgx.Identifier{name}.Sanitize()
	var super, createRole, createDB, replication, bypassRLS, login bool
	err := tx.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`, name).
		Scan(&super, &createRole, &createDB, &replication, &bypassRLS, &login)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"); err != nil {
			return fmt.Errorf("create role (an administrator runs `pollstack migrate --init-roles` once as the master user): %w", err)
		}
	case err != nil:
		return err
	case super || createRole || createDB || replication || bypassRLS:
		return errors.New("exists with SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS: drop it or take those away as a superuser first")
	case !login:
		if _, err := tx.Exec(ctx, "ALTER ROLE "+role+" LOGIN"); err != nil {
			return fmt.Errorf("alter role: %w", err)
		}
	}
	// RDS admits IAM tokens for members of rds_iam; plain PostgreSQL has no
	// such role. Granted once: the migrator may not grant it again.
	var rdsIAM bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') AND NOT pg_has_role($1, 'rds_iam', 'MEMBER')`, name).Scan(&rdsIAM); err != nil {
		return err
	}
	if rdsIAM {
		if _, err := tx.Exec(ctx, "GRANT rds_iam TO "+role); err != nil {
			return fmt.Errorf("grant rds_iam: %w", err)
		}
	}
	return nil
}

// closeOtherDatabases takes CONNECT and TEMPORARY away from PUBLIC and the
// role on the other databases this owner owns (on RDS the postgres
// database), so that the app role cannot reach them. Databases of other owners (templates,
// rdsadmin) are not ours to change; RDS lets no ordinary role into them.
func closeOtherDatabases(ctx context.Context, tx pgx.Tx, roles ...string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT datname FROM pg_database WHERE datname <> current_database() AND datallowconn AND NOT datistemplate AND pg_has_role(datdba, 'USAGE') ORDER BY datname`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, db := range names {
		stmt := "REVOKE CONNECT, TEMPORARY ON DATABASE " + pgx.Identifier{db}.Sanitize() + " FROM " + strings.Join(append([]string{"PUBLIC"}, roles...), ", ")
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return names, nil
}
