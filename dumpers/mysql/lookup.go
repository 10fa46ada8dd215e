package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	driver "github.com/go-sql-driver/mysql"
)

// Lookup reads the data stream of a key/value table as Dump writes it (stream
// names it, e.g. "data/wp_options.sql") and returns the values of column valCol
// in the rows whose keyCol is one of keys (WordPress: option_value of the rows
// siteurl and home of wp_options). Values are decoded as the server would read
// them; NULL and binary values are left out. A statement the allow-list refuses
// is a *dumpers.RefusedError; a stream without those columns gives an empty map.
func Lookup(r io.Reader, stream, keyCol, valCol string, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	sp := newSplitter(r)
	ck := newChecker(stream)
	for n := 1; ; n++ {
		st, _, err := sp.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
		if _, err := ck.check(n, st); err != nil {
			return nil, err
		}
		lookupStmt(st, keyCol, valCol, keys, out)
	}
}

// lookupStmt adds the wanted values of one checked INSERT to out.
func lookupStmt(st []byte, keyCol, valCol string, keys []string, out map[string]string) {
	l := &lexer{s: st, backslash: true}
	var (
		cols         []string
		row          [][]byte
		inCols, vals bool
		depth        int
		prev         token
	)
	ki, vi := -1, -1
	for {
		t, ok := l.next()
		if !ok {
			return
		}
		text := st[t.pos:t.end]
		switch {
		case !vals && t.kind == tPunct && text[0] == '(':
			inCols = true
		case inCols && t.kind == tPunct && text[0] == ')':
			inCols = false
			for i, c := range cols {
				if strings.EqualFold(c, keyCol) {
					ki = i
				}
				if strings.EqualFold(c, valCol) {
					vi = i
				}
			}
			if ki < 0 || vi < 0 {
				return
			}
		case inCols && (t.kind == tWord || t.kind == tIdent):
			cols = append(cols, unquote(text, false))
		case !vals && t.kind == tWord && bytes.EqualFold(text, []byte("VALUES")):
			vals = true
		case vals && t.kind == tPunct && text[0] == '(':
			depth++
			row = row[:0]
		case vals && t.kind == tPunct && text[0] == ')':
			depth--
			if len(row) == len(cols) && row[ki] != nil && row[vi] != nil {
				for _, k := range keys {
					if string(row[ki]) == k {
						out[k] = string(row[vi])
					}
				}
			}
		case vals && depth == 1 && t.kind == tString:
			intro := prev.kind == tWord && text[0] != '_' && st[prev.pos] == '_'
			v, ok := stringValue(text, intro)
			if !ok && (text[0] == 'x' || text[0] == 'X') && len(text) > 3 {
				v, _ = hex.DecodeString(string(text[2 : len(text)-1]))
			}
			row = append(row, v)
		case vals && depth == 1 && (t.kind == tNumber || t.kind == tWord && text[0] != '_'):
			if bytes.EqualFold(text, []byte("NULL")) {
				row = append(row, nil)
			} else {
				row = append(row, append([]byte{}, text...))
			}
		}
		prev = t
	}
}

// LookupTable reads the values of column valCol in the rows of table whose
// keyCol is one of keys, from the database named in cfg (the local one, before a
// fetch replaces it). A missing database or table gives an empty map.
func LookupTable(ctx context.Context, cfg *Config, table, keyCol, valCol string, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	srv, err := open(ctx, cfg)
	if err != nil {
		if serverErr(err, erBadDB) {
			return out, nil
		}
		return nil, err
	}
	defer srv.db.Close()
	q := "SELECT " + quoteIdent(keyCol) + ", " + quoteIdent(valCol) + " FROM " + quoteIdent(table) +
		" WHERE " + quoteIdent(keyCol) + " IN (?" + strings.Repeat(", ?", len(keys)-1) + ")"
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := srv.db.QueryContext(ctx, q, args...)
	if err != nil {
		if serverErr(err, erNoSuchTable) {
			return out, nil
		}
		return nil, fmt.Errorf("mysql: read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("mysql: read %s: %w", table, err)
		}
		if k.Valid && v.Valid {
			out[k.String] = v.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: read %s: %w", table, err)
	}
	return out, nil
}

const erNoSuchTable = 1146

// serverErr reports whether err is the server's error number n.
func serverErr(err error, n uint16) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == n
}
