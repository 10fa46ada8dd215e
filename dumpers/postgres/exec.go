package postgres

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// script says how execScript runs one stream.
type script struct {
	stream  string      // stream name, for errors
	checked bool        // check every statement against the allow-list first (allow.go)
	class   streamClass // what the stream may hold, when checked
	// extension runs an allowed CREATE EXTENSION; nil runs it on the
	// stream's connection.
	extension func(ctx context.Context, stmt string) error
	onCopy    func(rows int64) // called after each COPY with its row count
}

// execScript runs an SQL script statement by statement on conn, feeding the
// rows after each "COPY … FROM stdin" to the server with COPY FROM STDIN.
// When sc.checked, each statement is checked before it runs and the first one
// of a shape our dumps do not write ends the script with a
// *dumpers.RefusedError (wrapping dumpers.ErrRefused); nothing of it runs.
func execScript(ctx context.Context, conn *pgconn.PgConn, r io.Reader, sc script) error {
	s := newScanner(r)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		startLine := s.line
		stmt, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read statement: %w", err)
		}
		isCopy := false
		switch {
		case sc.checked:
			v, why := checkStmt(sc.class, stmt)
			if why != "" {
				return refusedError(sc.stream, n, stmt, why)
			}
			stmt, isCopy = v.sql, v.copy
			if v.extension && sc.extension != nil {
				if err := sc.extension(ctx, stmt); err != nil {
					return fmt.Errorf("line %d: %s: %w", startLine, firstLine(stmt), err)
				}
				continue
			}
		case strings.HasPrefix(stmt, `\`):
			continue // unchecked scripts (test fixtures) skip psql meta-commands
		default:
			isCopy = isCopyFromStdin(stmt)
		}
		if isCopy {
			data := &errMemo{r: s.CopyData()}
			tag, err := conn.CopyFrom(ctx, data, stmt)
			if err != nil && data.err != nil {
				err = data.err // the source failed; the server only echoes its text
			}
			if err != nil {
				return fmt.Errorf("line %d: %s: %w", startLine, firstLine(stmt), err)
			}
			if sc.onCopy != nil {
				sc.onCopy(tag.RowsAffected())
			}
			continue
		}
		if _, err := conn.Exec(ctx, stmt).ReadAll(); err != nil {
			return fmt.Errorf("line %d: %s: %w", startLine, firstLine(stmt), err)
		}
	}
}

// firstLine shortens a statement for an error message.
func firstLine(stmt string) string {
	for i := 0; i < len(stmt); i++ {
		if stmt[i] == '\n' {
			stmt = stmt[:i] + " …"
			break
		}
	}
	if len(stmt) > 120 {
		stmt = stmt[:120] + " …"
	}
	return stmt
}

// errMemo remembers the first read error other than io.EOF.
type errMemo struct {
	r   io.Reader
	err error
}

func (e *errMemo) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
