package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The package talks to the server through pgconn only: the high-level pgx
// package (its type registry, statement cache, …) adds about 3 MB to the
// binaries. Queries run with the extended protocol and text parameters and
// results; the few result types the catalog needs are decoded here by hand.

// errNoRows is returned by queryRow when the query returned no row.
var errNoRows = errors.New("no rows in result set")

// exec runs sql (one or more statements, simple protocol) and discards its results.
func exec(ctx context.Context, conn *pgconn.PgConn, sql string) error {
	_, err := conn.Exec(ctx, sql).ReadAll()
	return err
}

// query runs one statement with text parameters $1, $2, … (their types are
// inferred by the server) and returns its rows in text format; a NULL value
// is nil.
func query(ctx context.Context, conn *pgconn.PgConn, sql string, args ...string) ([][][]byte, error) {
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	res := conn.ExecParams(ctx, sql, params, nil, nil, nil).Read()
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Rows, nil
}

// eachRow runs sql and, for every row, scans it into dst and calls f.
func eachRow(ctx context.Context, conn *pgconn.PgConn, sql string, dst []any, f func() error) error {
	rows, err := query(ctx, conn, sql)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := scan(row, dst...); err != nil {
			return err
		}
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// queryRow runs sql with args and scans the first row into dst; errNoRows
// if there is none.
func queryRow(ctx context.Context, conn *pgconn.PgConn, sql string, args []string, dst ...any) error {
	rows, err := query(ctx, conn, sql, args...)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return errNoRows
	}
	return scan(rows[0], dst...)
}

// scan decodes the text values of row into dst: *string, *int, *int64,
// *uint32, *bool, *[]string or *[]uint32 (one-dimensional arrays). NULL is
// an error.
func scan(row [][]byte, dst ...any) error {
	if len(row) != len(dst) {
		return fmt.Errorf("scan row: %d values into %d destinations", len(row), len(dst))
	}
	for i, v := range row {
		if v == nil {
			return fmt.Errorf("scan column %d: unexpected NULL", i)
		}
		if err := scanValue(string(v), dst[i]); err != nil {
			return fmt.Errorf("scan column %d: %w", i, err)
		}
	}
	return nil
}

func scanValue(s string, dst any) error {
	var err error
	switch d := dst.(type) {
	case *string:
		*d = s
	case *int:
		var n int64
		n, err = strconv.ParseInt(s, 10, 0)
		*d = int(n)
	case *int64:
		*d, err = strconv.ParseInt(s, 10, 64)
	case *uint32:
		var n uint64
		n, err = strconv.ParseUint(s, 10, 32)
		*d = uint32(n)
	case *bool:
		switch s {
		case "t":
			*d = true
		case "f":
			*d = false
		default:
			err = fmt.Errorf("invalid boolean %q", s)
		}
	case *[]string:
		*d, err = parseArray(s)
	case *[]uint32:
		*d, err = parseOIDArray(s)
	default:
		err = fmt.Errorf("unsupported destination %T", dst)
	}
	return err
}

func parseOIDArray(s string) ([]uint32, error) {
	els, err := parseArray(s)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, len(els))
	for i, e := range els {
		n, err := strconv.ParseUint(e, 10, 32)
		if err != nil {
			return nil, err
		}
		out[i] = uint32(n)
	}
	return out, nil
}

// parseArray decodes a one-dimensional array in PostgreSQL's text format
// ({a,"b c","d\"e"}); NULL elements are an error.
func parseArray(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("invalid array %q", s)
	}
	body := s[1 : len(s)-1]
	out := []string{}
	if body == "" {
		return out, nil
	}
	for i := 0; ; {
		if body[i] == '"' {
			var b strings.Builder
			for i++; ; i++ {
				if i >= len(body) {
					return nil, fmt.Errorf("invalid array %q: unterminated quote", s)
				}
				c := body[i]
				if c == '\\' {
					if i++; i >= len(body) {
						return nil, fmt.Errorf("invalid array %q: trailing backslash", s)
					}
					c = body[i]
				} else if c == '"' {
					i++
					break
				}
				b.WriteByte(c)
			}
			out = append(out, b.String())
		} else {
			j := i
			for j < len(body) && body[j] != ',' {
				j++
			}
			el := body[i:j]
			switch {
			case el == "NULL":
				return nil, fmt.Errorf("invalid array %q: NULL element", s)
			case el == "" || strings.ContainsAny(el, `{}"\`):
				return nil, fmt.Errorf("invalid array %q: not one-dimensional", s)
			}
			out = append(out, el)
			i = j
		}
		if i == len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("invalid array %q", s)
		}
		i++
		if i == len(body) {
			return nil, fmt.Errorf("invalid array %q: trailing comma", s)
		}
	}
}
