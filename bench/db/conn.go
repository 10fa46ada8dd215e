package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
)

// engineOf returns "mysql" or "postgres" for a DSN URL.
func engineOf(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "mysql://"), strings.HasPrefix(dsn, "mariadb://"):
		return "mysql", nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", nil
	}
	return "", fmt.Errorf("dsn: want mysql:// or postgres://")
}

// dbName is the database a DSN names.
func dbName(dsn string) (string, error) {
	e, err := engineOf(dsn)
	if err != nil {
		return "", err
	}
	if e == "mysql" {
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "", err
		}
		return c.Database, nil
	}
	c, err := postgres.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	return c.Database, nil
}

// openMySQL connects to the server of dsn; db "" means no default database.
func openMySQL(dsn, db string) (*sql.DB, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	mc := gomysql.NewConfig()
	mc.User, mc.Passwd, mc.DBName = c.User, c.Password, db
	if c.Socket != "" {
		mc.Net, mc.Addr = "unix", c.Socket
	} else {
		mc.Net, mc.Addr = "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	}
	mc.Params = map[string]string{"time_zone": "'+00:00'", "unique_checks": "0", "foreign_key_checks": "0"}
	mc.Collation = "utf8mb4_unicode_ci"
	conn, err := gomysql.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// connectPG connects to database db (instead of the DSN's) with TimeZone UTC.
func connectPG(ctx context.Context, dsn, db string) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %w", err)
	}
	cfg.Database = db
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["TimeZone"] = "UTC"
	cfg.RuntimeParams["DateStyle"] = "ISO, YMD"
	return pgconn.ConnectConfig(ctx, cfg)
}

// pgExec runs sql (may be several statements) and returns the rows of the last
// result as text.
func pgExec(ctx context.Context, c *pgconn.PgConn, sql string) ([][]string, error) {
	res, err := c.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows [][]string
	if len(res) > 0 {
		for _, r := range res[len(res)-1].Rows {
			s := make([]string, len(r))
			for i, v := range r {
				s[i] = string(v)
			}
			rows = append(rows, s)
		}
	}
	return rows, nil
}

func pgQuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func myQuoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// dropDB drops the database named in dsn and every
// "<name>__synco_…" staging/backup database an interrupted import left.
func dropDB(ctx context.Context, dsn string) error {
	engine, err := engineOf(dsn)
	if err != nil {
		return err
	}
	name, err := dbName(dsn)
	if err != nil || name == "" {
		return fmt.Errorf("drop: dsn names no database")
	}
	if engine == "mysql" {
		db, err := openMySQL(dsn, "")
		if err != nil {
			return err
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ? OR schema_name LIKE ?",
			name, strings.ReplaceAll(name, "_", `\_`)+`\_\_synco\_%`)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, n := range names {
			if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+myQuoteIdent(n)); err != nil {
				return fmt.Errorf("drop %s: %w", n, err)
			}
		}
		return nil
	}
	c, err := connectPG(ctx, dsn, "postgres")
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	rows, err := pgExec(ctx, c, fmt.Sprintf("SELECT datname FROM pg_database WHERE datname = '%s' OR datname LIKE '%s'",
		name, strings.ReplaceAll(name, "_", `\_`)+`\_\_synco\_%`))
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := pgExec(ctx, c, "DROP DATABASE IF EXISTS "+pgQuoteIdent(r[0])+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop %s: %w", r[0], err)
		}
	}
	return nil
}
