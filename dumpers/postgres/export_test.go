package postgres

import (
	"context"
	"io"
)

// RunScript runs an SQL script (psql dialect without meta-commands) on the
// database cfg names; tests use it to load fixtures.
func RunScript(ctx context.Context, cfg *Config, r io.Reader) error {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return execScript(ctx, conn, r, script{})
}

// Split returns the statements of script (for the splitter's tests).
func Split(script io.Reader) ([]string, error) {
	s := newScanner(script)
	var out []string
	for {
		st, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, st)
		if isCopyFromStdin(st) {
			b, err := io.ReadAll(s.CopyData())
			if err != nil {
				return out, err
			}
			out = append(out, "<copy>"+string(b))
		}
	}
}

// ParseArray decodes a one-dimensional array in text format.
var ParseArray = parseArray

// CheckStatement runs the allow-list on one statement of schema.sql/post.sql
// (data false) or of a data stream (data true): the statement to run, or why
// it is refused.
func CheckStatement(stmt string, data bool) (run string, refused string) {
	cl := classDDL
	if data {
		cl = classData
	}
	v, r := checkStmt(cl, stmt)
	return v.sql, string(r)
}

// SetBeforeDropBackup sets a hook called before the backup database of a swap
// is dropped (tests that are not parallel only); nil removes it.
func SetBeforeDropBackup(f func(backup string)) { beforeDropBackup = f }

// SetDeltaPart sets the size of the parts a delta applies at once, for a test.
func SetDeltaPart(n int) (restore func()) {
	old := deltaPart
	deltaPart = n
	return func() { deltaPart = old }
}

// SetRewriteAt sets rewriteAt, for a test.
func SetRewriteAt(n int) (restore func()) {
	old := rewriteAt
	rewriteAt = n
	return func() { rewriteAt = old }
}

// SetRewriteSoonAt sets rewriteSoonAt, for a test.
func SetRewriteSoonAt(n int) (restore func()) {
	old := rewriteSoonAt
	rewriteSoonAt = n
	return func() { rewriteSoonAt = old }
}

// Rewrites counts the tables a delta rewrote.
func Rewrites() int64 { return rewrites.Load() }
