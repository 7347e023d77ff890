package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EnsureAppRole makes name the role the server connects as, with the least
// it needs: it may log in to this database only, use the schema the
// migrations wrote, and read and write rows of its tables (only read
// schema_migrations), and nothing else: no CREATE, ALTER, DROP, TRUNCATE,
// temporary tables, other schema or other database this owner can close.
//
// It runs as the owner (the user migrations run as, on RDS the master
// user), after the migrations, under their lock and in one transaction: it
// first takes back whatever the role was granted on these objects, then
// grants exactly the above, so running it again (every deploy) also undoes
// a grant made by hand. The role gets no password: on RDS it is a member of
// rds_iam and logs in with IAM tokens only; where rds_iam does not exist
// (plain PostgreSQL), give it a password or a pg_hba rule by hand.
// It returns the other databases it closed to the role.
func (s *Store) EnsureAppRole(ctx context.Context, name string) (closed []string, err error) {
	if name == "" {
		return nil, errors.New("postgres: app role: empty name")
	}
	conn, err := s.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: app role: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("postgres: app role: take lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := ensureRole(ctx, tx, name); err != nil {
			return err
		}
		var (
			role   = pgx.Identifier{name}.Sanitize()
			db     string
			schema string
		)
		if err := tx.QueryRow(ctx, `SELECT quote_ident(current_database()), quote_ident(current_schema())`).Scan(&db, &schema); err != nil {
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
	var super, createRole, createDB, replication, bypassRLS bool
	err := tx.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`, name).
		Scan(&super, &createRole, &createDB, &replication, &bypassRLS)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"); err != nil {
			return fmt.Errorf("create role: %w", err)
		}
	case err != nil:
		return err
	case super || createRole || createDB || replication || bypassRLS:
		return errors.New("exists with SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS: drop it or take those away as a superuser first")
	default:
		if _, err := tx.Exec(ctx, "ALTER ROLE "+role+" LOGIN"); err != nil {
			return fmt.Errorf("alter role: %w", err)
		}
	}
	// RDS admits IAM tokens for members of rds_iam; plain PostgreSQL has no such role.
	var rdsIAM bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam')`).Scan(&rdsIAM); err != nil {
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
func closeOtherDatabases(ctx context.Context, tx pgx.Tx, role string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT datname FROM pg_database WHERE datname <> current_database() AND datallowconn AND NOT datistemplate AND pg_has_role(datdba, 'USAGE') ORDER BY datname`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, db := range names {
		stmt := "REVOKE CONNECT, TEMPORARY ON DATABASE " + pgx.Identifier{db}.Sanitize() + " FROM PUBLIC, " + role
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return names, nil
}
