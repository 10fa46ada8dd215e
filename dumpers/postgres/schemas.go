package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"

	"synco/dumpers"
)

// StageMode says where an import stages the dump before it replaces the target.
type StageMode int

const (
	// StageDatabase: in a staging database next to the target, swapped in by
	// renaming databases (package doc, "Import and the swap"). Needs CREATEDB.
	StageDatabase StageMode = iota + 1
	// StageSchemas: inside the target database, in one transaction: its
	// schemas are renamed out of the way, the dump is loaded under the real
	// names, the old schemas are dropped, and only the COMMIT makes it visible.
	// For users without CREATEDB that may create schemas in the target (its
	// owner, usually). See the package doc.
	StageSchemas
)

func (m StageMode) String() string {
	switch m {
	case StageDatabase:
		return "staging database"
	case StageSchemas:
		return "one transaction in the target database"
	}
	return "unknown"
}

// StagingMode tells where ImportWithMode would stage a dump for the database cfg
// names: StageSchemas when the user has neither superuser nor CREATEDB but the
// target exists and the user may create schemas in it, StageDatabase otherwise.
// Errors: as ImportWithMode's connection errors.
func StagingMode(ctx context.Context, cfg *Config) (StageMode, error) {
	admin, err := connect(ctx, cfg.WithDatabase(maintenanceDB(cfg.Database)))
	if err != nil {
		return StageDatabase, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	return stagingMode(ctx, admin, cfg.Database)
}

// stagingMode decides by the user's attributes and privileges, before anything
// is created.
func stagingMode(ctx context.Context, admin *pgconn.PgConn, target string) (StageMode, error) {
	var createDB, createSchema bool
	err := queryRow(ctx, admin, `SELECT r.rolsuper OR r.rolcreatedb,
 coalesce((SELECT has_database_privilege(d.oid, 'CREATE') FROM pg_database d WHERE d.datname = $1), false)
 FROM pg_roles r WHERE r.rolname = current_user`, []string{target}, &createDB, &createSchema)
	if err != nil {
		return StageDatabase, fmt.Errorf("read privileges of the importing user: %w", err)
	}
	if !createDB && createSchema {
		return StageSchemas, nil
	}
	return StageDatabase, nil
}

// oldSchemaPrefix starts the names the target's schemas are renamed to for the
// time of a StageSchemas import; they exist only inside its transaction.
const oldSchemaPrefix = "__synco_old_"

// importSchemas loads the dump into the target itself, in one transaction on one
// connection (StageSchemas):
//
//  1. every schema of the target (pg_* and information_schema aside) is renamed
//     to "__synco_old_<hex>_<n>"; extensions that live in them are dropped (the
//     dump creates those it has);
//  2. public is created as a new database has it, then schema.sql, the data
//     streams one after another and post.sql run, every statement checked;
//  3. the renamed schemas are dropped (CASCADE), after which every object the
//     dump created must still be there;
//  4. COMMIT.
//
// Any error or cancellation rolls the transaction back (or ends the connection,
// which makes the server roll it back): the target is as before and nothing of
// the import is left. Readers of the target see the old content until the COMMIT;
// the old tables are locked from step 3 until then.
func importSchemas(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) error {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := exec(ctx, conn, importSession); err != nil {
		return fmt.Errorf("set session: %w", err)
	}
	old := oldSchemaPrefix + randHex(4) + "_"
	return inTx(ctx, conn, func() error {
		if err := moveSchemasAside(ctx, conn, old); err != nil {
			return err
		}
		if err := createPublic(ctx, conn); err != nil {
			return err
		}
		cs := conns{
			open:     func(context.Context) (*pgconn.PgConn, func(), error) { return conn, func() {}, nil },
			parallel: 1,
		}
		if err := loadWith(ctx, cs, src, progress); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		return dropAside(ctx, conn, old)
	})
}

// moveSchemasAside renames the target's schemas to old + n and drops the
// extensions that live in them.
func moveSchemasAside(ctx context.Context, conn *pgconn.PgConn, old string) error {
	rows, err := query(ctx, conn, `SELECT nspname FROM pg_namespace
 WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\_%' ORDER BY nspname COLLATE "C"`)
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	for i, r := range rows {
		name := string(r[0])
		if err := exec(ctx, conn, "ALTER SCHEMA "+quoteIdent(name)+" RENAME TO "+quoteIdent(old+strconv.Itoa(i))); err != nil {
			return fmt.Errorf("rename schema %s: %w", name, privErr(err, "ownership of schema "+name+" (or CREATEDB)"))
		}
	}
	exts, err := query(ctx, conn, `SELECT x.extname, pg_get_userbyid(x.extowner) FROM pg_extension x
 JOIN pg_namespace n ON n.oid = x.extnamespace WHERE starts_with(n.nspname, $1)`, old)
	if err != nil {
		return fmt.Errorf("list extensions: %w", err)
	}
	for _, r := range exts {
		name, owner := string(r[0]), string(r[1])
		if err := exec(ctx, conn, "DROP EXTENSION "+quoteIdent(name)+" CASCADE"); err != nil {
			return fmt.Errorf("replace extension %s (owned by %s): %w", name, owner, privErr(err, "ownership of extension "+name+" (or CREATEDB)"))
		}
	}
	return nil
}

// createPublic creates schema public as CREATE DATABASE makes it: owned by
// pg_database_owner with USAGE for all (PostgreSQL 15 and newer) when the user
// owns the database; otherwise owned by the user, with USAGE and CREATE for all
// before 15.
func createPublic(ctx context.Context, conn *pgconn.PgConn) error {
	var ver int
	var owner bool
	if err := queryRow(ctx, conn, `SELECT current_setting('server_version_num')::int,
 (SELECT datdba FROM pg_database WHERE datname = current_database()) = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
		nil, &ver, &owner); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}
	stmt := "CREATE SCHEMA public; GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC"
	if ver >= 150000 {
		stmt = "CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC"
		if owner {
			stmt = "CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC"
		}
	}
	if err := exec(ctx, conn, stmt+"; COMMENT ON SCHEMA public IS 'standard public schema'"); err != nil {
		return fmt.Errorf("create schema public: %w", err)
	}
	return nil
}

// dropAside drops the schemas moved aside, and checks that this took nothing of
// the new content with it (a dependency of a new object on an old one).
func dropAside(ctx context.Context, conn *pgconn.PgConn, old string) error {
	const objects = `SELECT
 (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> 'pg_toast' AND NOT starts_with(n.nspname, $1))
 + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE NOT starts_with(n.nspname, $1))
 + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname <> 'pg_toast' AND NOT starts_with(n.nspname, $1))`
	var before, after int64
	if err := queryRow(ctx, conn, objects, []string{old}, &before); err != nil {
		return fmt.Errorf("count objects: %w", err)
	}
	rows, err := query(ctx, conn, `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, old)
	if err != nil {
		return fmt.Errorf("list schemas: %w", err)
	}
	for _, r := range rows {
		if err := exec(ctx, conn, "DROP SCHEMA "+quoteIdent(string(r[0]))+" CASCADE"); err != nil {
			return fmt.Errorf("drop previous schema: %w", err)
		}
	}
	if err := queryRow(ctx, conn, objects, []string{old}, &after); err != nil {
		return fmt.Errorf("count objects: %w", err)
	}
	if after != before {
		return fmt.Errorf("dropping the previous schemas would drop %d objects of the dump with them", before-after)
	}
	return nil
}
