package postgres

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
)

// execScript runs an SQL script statement by statement on conn, feeding the
// rows after each "COPY … FROM stdin" to the server with COPY FROM STDIN.
// onCopy, if set, is called after each COPY with the number of rows.
func execScript(ctx context.Context, conn *pgconn.PgConn, r io.Reader, onCopy func(rows int64)) error {
	s := newScanner(r)
	for {
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
		if isCopyFromStdin(stmt) {
			data := &errMemo{r: s.CopyData()}
			tag, err := conn.CopyFrom(ctx, data, stmt)
			if err != nil && data.err != nil {
				err = data.err // the source failed; the server only echoes its text
			}
			if err != nil {
				return fmt.Errorf("line %d: %s: %w", startLine, firstLine(stmt), err)
			}
			if onCopy != nil {
				onCopy(tag.RowsAffected())
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
