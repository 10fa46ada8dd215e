package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
)

// A rewritten table (every row replaced: a cache filled anew) is loaded into a
// staging table beside it in the target, "__synco_<8 hex>_<name>" (CREATE
// TABLE … LIKE, the live AUTO_INCREMENT), on a connection of its own and
// outside the delta's transaction, one commit per statement. Once every
// branch of the transaction is prepared, ONE RENAME TABLE moves each such
// table to "__synco_old_<8 hex>_<name>" and its staged table to its name;
// then the branches are committed and the old tables dropped.
//
// The old rows are neither deleted nor purged. On the 470 MB bench's day 2,
// DELETE FROM of the 75 MB cache table took 1.6 s of the delta's critical
// connection before its inserts could start; alone, 58 MB of such rows cost
// the server 1.6–1.7 s of CPU deleted and inserted in one transaction (and
// 0.5 s of purge after it), 1.2–1.6 s inserted into a new table one statement
// per commit — and 2.7–3.3 s inserted in one transaction, which MariaDB 10.6+
// turns into a bulk load of the empty table (less wall time alone, more CPU:
// the delta's other connection and its merges share the cores).
//
// Not staged (emptied in the transaction as before): a table with foreign
// keys, in either direction (CREATE TABLE … LIKE copies none, and a renamed
// parent would take its children's keys along), and a table whose staging
// table cannot be created.
//
// Failure: before the rename, the staged tables are dropped and the branches
// rolled back; if the rename fails, the same, and a full import follows. The
// rename and the commits are two steps: an install killed between them leaves
// the new rows of the rewritten tables with the old rows of the others, and
// the record of the previous install, whose fingerprint (creation times) no
// longer matches, so the next install is a full one. In the plain transaction
// (one connection), a commit that fails after the rename renames the tables
// back. Leftover staged and old tables are dropped under the target's lock by
// the next install (reclaimTables), before it compares the target with the
// record.

// stager holds the tables a delta install stages.
type stager struct {
	db     *sql.DB
	target string
	ts     *tableStage

	mu      sync.Mutex
	tables  []string // real names of the tables staged (created), in order
	swapped bool
}

func newStager(db *sql.DB, target string) *stager {
	return &stager{db: db, target: target, ts: newTableStage()}
}

// stageable reports whether table may be staged: no foreign key refers to it
// or from it.
func (s *stager) stageable(ctx context.Context, table string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE (CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?) OR (UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?)",
		s.target, table, s.target, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("table %s: %w", table, err)
	}
	return n == 0, nil
}

// create makes the staging table of table on c (a connection on the target
// outside the transaction) and returns its name; "" when it cannot (the
// caller empties the table in the transaction instead).
func (s *stager) create(ctx context.Context, c *sql.Conn, table string) (string, error) {
	ok, err := s.stageable(ctx, table)
	if err != nil || !ok {
		return "", err
	}
	var name, create string
	if err := c.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(table)).Scan(&name, &create); err != nil {
		return "", fmt.Errorf("table %s: %w", table, err)
	}
	staged := s.ts.staged(table)
	if _, err := c.ExecContext(ctx, "CREATE TABLE "+quoteIdent(staged)+" LIKE "+quoteIdent(table)); err != nil {
		return "", ctx.Err() // not staged (a privilege missing, …); nil unless cancelled
	}
	if inc, ok := autoIncOf([]byte(create)); ok {
		if _, err := c.ExecContext(ctx, "ALTER TABLE "+quoteIdent(staged)+" AUTO_INCREMENT = "+inc); err != nil {
			_, _ = c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+quoteIdent(staged))
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	s.tables = append(s.tables, table)
	s.mu.Unlock()
	return staged, nil
}

// swapError: the staged tables could not be moved in place (nothing was
// committed; a full import follows).
type swapError struct{ err error }

func (e *swapError) Error() string { return e.err.Error() }

// staged returns the tables staged so far.
func (s *stager) staged() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tables
}

// swap moves every staged table in place of its table, in one statement. It
// runs to its end even if ctx is cancelled meanwhile (the commits that follow
// do too): a RENAME cut off by Ctrl-C could have taken effect unseen.
func (s *stager) swap(ctx context.Context) error {
	tables := s.staged()
	if len(tables) == 0 {
		return nil
	}
	var err error
	if testHookSwap != nil {
		err = testHookSwap()
	}
	if err == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, err = s.db.ExecContext(sctx, s.renames(tables, false))
	}
	if err != nil {
		return &swapError{fmt.Errorf("the tables loaded anew could not be moved in place of the rewritten ones: %w", err)}
	}
	s.mu.Lock()
	s.swapped = true
	s.mu.Unlock()
	return nil
}

// renames is the RENAME TABLE statement that moves each of tables to its old
// name and its staged table in its place, or back (after a swap).
func (s *stager) renames(tables []string, back bool) string {
	var b strings.Builder
	b.WriteString("RENAME TABLE ")
	for i, t := range tables {
		if i > 0 {
			b.WriteString(", ")
		}
		live, old, staged := qualified(s.target, t), qualified(s.target, prefixed(s.ts.backup, t)), qualified(s.target, s.ts.staged(t))
		if back {
			fmt.Fprintf(&b, "%s TO %s, %s TO %s", live, staged, old, live)
		} else {
			fmt.Fprintf(&b, "%s TO %s, %s TO %s", live, old, staged, live)
		}
	}
	return b.String()
}

// testHookSwap, when set (by tests), fails swap with its error.
var testHookSwap func() error

// unswap moves the tables back (after a swap whose commit failed).
func (s *stager) unswap(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.renames(s.staged(), true)); err != nil {
		return fmt.Errorf("move the tables back: %w", err)
	}
	s.mu.Lock()
	s.swapped = false
	s.mu.Unlock()
	return nil
}

// drop drops what is left: the old tables after a swap, else the staged ones.
// It runs with a context of its own (also after a cancellation).
func (s *stager) drop() error {
	tables := s.staged()
	if len(tables) == 0 {
		return nil
	}
	s.mu.Lock()
	prefix := s.ts.stage
	if s.swapped {
		prefix = s.ts.backup
	}
	s.mu.Unlock()
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = qualified(s.target, prefixed(prefix, t))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("drop the tables the install replaced: %w", err)
	}
	s.mu.Lock()
	s.tables = nil
	s.mu.Unlock()
	return nil
}
