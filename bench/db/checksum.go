package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// checksums returns one line per base table of the database named in dsn,
// "<table> <rows> <checksum>", in name order.
//
//	MariaDB: CHECKSUM TABLE (EXTENDED: reads every row).
//	PostgreSQL: md5 of the concatenated md5(row::text) in primary-key order
//	(string_agg of whole rows would hit the 1 GB text limit on big tables);
//	the session runs with TimeZone UTC, so timestamptz prints the same.
func checksums(ctx context.Context, dsn string) ([]string, error) {
	engine, err := engineOf(dsn)
	if err != nil {
		return nil, err
	}
	name, err := dbName(dsn)
	if err != nil {
		return nil, err
	}
	if engine == "mysql" {
		db, err := openMySQL(dsn, name)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		return mysqlChecksums(ctx, db, name)
	}
	c, err := connectPG(ctx, dsn, name)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	tabs, err := pgExec(ctx, c, `SELECT c.oid::regclass::text,
  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.n)
     FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n), pg_attribute a
    WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid AND a.attnum = k.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []string
	for _, t := range tabs {
		order := t[1]
		if order == "" {
			order = "t::text COLLATE \"C\""
		}
		rows, err := pgExec(ctx, c, fmt.Sprintf("SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY %s), '')) FROM %s t", order, t[0]))
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", t[0], err)
		}
		out = append(out, fmt.Sprintf("%s %s %s", t[0], rows[0][0], rows[0][1]))
	}
	return out, nil
}

func mysqlChecksums(ctx context.Context, db *sql.DB, name string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", name)
	if err != nil {
		return nil, err
	}
	var tabs []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tabs = append(tabs, t)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tabs {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+myQuoteIdent(t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		var tn string
		var sum sql.NullString
		if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+myQuoteIdent(t)+" EXTENDED").Scan(&tn, &sum); err != nil {
			return nil, fmt.Errorf("checksum %s: %w", t, err)
		}
		out = append(out, fmt.Sprintf("%s %d %s", t, n, strings.TrimSpace(sum.String)))
	}
	return out, nil
}
