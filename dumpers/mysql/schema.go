package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"path"
	"sort"
	"strings"

	"synco/dumpers"
)

// column is one column of a table as the data dump needs it.
type column struct {
	name      string
	kind      kind
	generated bool // VIRTUAL or STORED generated: not dumped as data
	nullable  bool
	maxLen    int // CHARACTER_MAXIMUM_LENGTH, 0 if none
}

// table is one base table of the dumped database.
type table struct {
	name    string
	create  string // SHOW CREATE TABLE, AUTO_INCREMENT kept
	columns []column
	order   []string // ORDER BY expressions
	key     []string // the columns of the unique key order is, if any
	size    int64    // information_schema estimate, to start big tables first
	noData  bool     // structure only
	seqNext string   // MariaDB SEQUENCE: its next_not_cached_value ("" for tables)
}

// querier is what the schema readers need from a connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// readTables lists the base tables of the current database in byte order of their
// names, without the excluded ones, with everything the dump needs.
func readTables(ctx context.Context, q querier, opt dumpers.Options) ([]*table, error) {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, TABLE_TYPE, COALESCE(DATA_LENGTH, 0)
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var tables []*table
	for rows.Next() {
		var t table
		var typ string
		if err := rows.Scan(&t.name, &typ, &t.size); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if typ == "VIEW" || matchAny(opt.Exclude, t.name) || t.name == RecordTable { // the record of a synco install is local
			continue
		}
		if typ == "SYSTEM VERSIONED" && opt.Left != nil {
			opt.Left(fmt.Sprintf("the history rows of the system-versioned table %s: the copy has its current rows only", quoteIdent(t.name)))
		}
		t.noData = matchAny(opt.StructureOnly, t.name) || typ == "SEQUENCE"
		if typ == "SEQUENCE" {
			t.seqNext = "?"
		}
		tables = append(tables, &t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].name < tables[j].name })
	for _, t := range tables {
		if err := readTable(ctx, q, t); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

func readTable(ctx context.Context, q querier, t *table) error {
	var name string
	show := "SHOW CREATE TABLE "
	if t.seqNext != "" {
		// SHOW CREATE TABLE gives a sequence's table form, without its
		// options (start, increment, cache…): one created from that has the
		// defaults. mariadb-dump uses SHOW CREATE SEQUENCE as well.
		show = "SHOW CREATE SEQUENCE "
	}
	err := q.QueryRowContext(ctx, show+quoteIdent(t.name)).Scan(&name, &t.create)
	if err != nil {
		what := strings.ToLower(strings.TrimSpace(show)) + " " + t.name
		return privilegeErr(what, "SELECT", fmt.Errorf("%s: %w", what, err))
	}
	if t.seqNext != "" {
		// like mysqldump: restore the sequence to its next not cached value
		err := q.QueryRowContext(ctx, "SELECT next_not_cached_value FROM "+quoteIdent(t.name)).Scan(&t.seqNext)
		if err != nil {
			return privilegeErr("read sequence "+t.name, "SELECT", fmt.Errorf("read sequence %s: %w", t.name, err))
		}
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, EXTRA, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, t.name)
	if err != nil {
		return fmt.Errorf("read columns of %s: %w", t.name, err)
	}
	for rows.Next() {
		var c column
		var dt, extra, null string
		var maxLen sql.NullInt64
		if err := rows.Scan(&c.name, &dt, &extra, &null, &maxLen); err != nil {
			rows.Close()
			return fmt.Errorf("read columns of %s: %w", t.name, err)
		}
		c.kind = kindOf(dt)
		x := strings.ToUpper(extra)
		c.generated = strings.Contains(x, "VIRTUAL") || strings.Contains(x, "STORED GENERATED") || strings.Contains(x, "PERSISTENT")
		c.nullable = null == "YES"
		if maxLen.Valid && maxLen.Int64 < 1<<30 {
			c.maxLen = int(maxLen.Int64)
		}
		t.columns = append(t.columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read columns of %s: %w", t.name, err)
	}
	return readOrder(ctx, q, t)
}

// readOrder picks the row order of a data stream: the primary key; else the first
// (by name) unique key whose columns are all NOT NULL; else every dumped column,
// compared as bytes so that case-insensitive collations cannot tie different rows.
func readOrder(ctx context.Context, q querier, t *table) error {
	rows, err := q.QueryContext(ctx, `SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`, t.name)
	if err != nil {
		return fmt.Errorf("read indexes of %s: %w", t.name, err)
	}
	nullable := map[string]bool{}
	for _, c := range t.columns {
		nullable[c.name] = c.nullable
	}
	type index struct {
		cols []string
		ok   bool
	}
	idx := map[string]*index{}
	var names []string
	for rows.Next() {
		var name string
		var nonUnique int
		var col sql.NullString
		if err := rows.Scan(&name, &nonUnique, &col); err != nil {
			rows.Close()
			return fmt.Errorf("read indexes of %s: %w", t.name, err)
		}
		ix := idx[name]
		if ix == nil {
			ix = &index{ok: nonUnique == 0}
			idx[name] = ix
			names = append(names, name)
		}
		if !col.Valid || nullable[col.String] {
			ix.ok = false // functional key part or NULL-able column: not a row identity
		}
		ix.cols = append(ix.cols, col.String)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read indexes of %s: %w", t.name, err)
	}
	sort.Strings(names)
	pick := idx["PRIMARY"]
	if pick == nil || !pick.ok {
		pick = nil
		for _, n := range names {
			if idx[n].ok {
				pick = idx[n]
				break
			}
		}
	}
	t.order, t.key = nil, nil
	if pick != nil {
		t.key = pick.cols
		for _, c := range pick.cols {
			t.order = append(t.order, quoteIdent(c))
		}
		return nil
	}
	for _, c := range t.columns {
		if c.generated {
			continue
		}
		if c.kind == kindString {
			t.order = append(t.order, "CAST("+quoteIdent(c.name)+" AS BINARY)")
		} else {
			t.order = append(t.order, quoteIdent(c.name))
		}
	}
	return nil
}

// schemaHeader starts schema.sql: the session settings the whole dump is loaded
// under. post.sql restores the checks at its end.
const schemaHeader = "-- synco dump of a MySQL/MariaDB database, format 1\n" +
	"SET NAMES utf8mb4;\n" +
	"SET FOREIGN_KEY_CHECKS = 0;\n" +
	"SET UNIQUE_CHECKS = 0;\n" +
	"SET time_zone = '+00:00';\n" +
	"SET sql_mode = '" + loadSQLMode + "';\n"

// schemaSQL renders schema.sql: settings, the database's default character set,
// then DROP + CREATE of every table in name order.
func schemaSQL(ctx context.Context, q querier, tables []*table) ([]byte, error) {
	var cs, coll string
	err := q.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()`).Scan(&cs, &coll)
	if err != nil {
		return nil, fmt.Errorf("read database character set: %w", err)
	}
	var b strings.Builder
	b.WriteString(schemaHeader)
	fmt.Fprintf(&b, "ALTER DATABASE CHARACTER SET %s COLLATE %s;\n", cs, coll)
	for _, t := range tables {
		if t.seqNext != "" {
			fmt.Fprintf(&b, "\nDROP SEQUENCE IF EXISTS %s;\n%s;\nDO SETVAL(%s, %s, 0);\n", quoteIdent(t.name), t.create, quoteIdent(t.name), t.seqNext)
			continue
		}
		fmt.Fprintf(&b, "\nDROP TABLE IF EXISTS %s;\n%s;\n", quoteIdent(t.name), t.create)
	}
	return []byte(b.String()), nil
}
