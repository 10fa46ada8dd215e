package dumpers

import (
	"errors"
	"strconv"
)

// ErrRefused is wrapped by an import's error when the dump holds a statement that
// a dump written by our dumpers never holds: anything that could act outside the
// staging database (other databases or schemas, users, roles, grants, server
// settings, files, programs). The source is trusted only with its own data (DESIGN
// §4), so such a dump is refused as a whole and nothing is swapped in. Errors
// that wrap it are *RefusedError.
var ErrRefused = errors.New("dumpers: statement not allowed in a dump")

// RefusedError names the statement an import refused. Stmt is the start of the
// statement as the source wrote it: untrusted text, sanitize before display.
type RefusedError struct {
	Stream string // dump stream, e.g. "schema.sql"
	N      int    // statement number in the stream, from 1
	Stmt   string // the statement's first ≤ 60 bytes
	Reason string // what is not allowed, e.g. "GRANT", "name qualified with another database"
}

func (e *RefusedError) Error() string {
	return "stream " + e.Stream + " statement " + strconv.Itoa(e.N) + " (" + e.Stmt + "): " + e.Reason + ": " + ErrRefused.Error()
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// CleanupError is returned by an import that installed the snapshot completely but
// could not remove what it left behind (a staging or backup database). The target
// holds the new snapshot; callers report Err as a warning, not as a failure.
type CleanupError struct{ Err error }

func (e *CleanupError) Error() string { return "clean up after the import: " + e.Err.Error() }

func (e *CleanupError) Unwrap() error { return e.Err }
