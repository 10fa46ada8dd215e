package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// snapshot is a set of connections that all read the same consistent state.
type snapshot struct {
	conns  []*sql.Conn
	locked bool // synchronised with FLUSH TABLES WITH READ LOCK
}

// openSnapshot opens n connections that see one consistent state of the database,
// the way mydumper does: FLUSH TABLES WITH READ LOCK stops all commits, every
// worker opens START TRANSACTION WITH CONSISTENT SNAPSHOT, then UNLOCK TABLES. The
// lock is held only while the workers start their transactions.
//
// Without the RELOAD privilege (needed for FLUSH TABLES WITH READ LOCK) the snapshot
// falls back to one connection: one transaction is consistent by itself, it just
// dumps one table at a time. n < 2 skips the lock.
func openSnapshot(ctx context.Context, db *sql.DB, n int) (s *snapshot, err error) {
	s = &snapshot{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if n > 1 {
		lock, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("open connection: %w", err)
		}
		defer lock.Close()
		if _, err := lock.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
			var pe *PrivilegeError
			if !errors.As(privilegeErr("", "RELOAD", err), &pe) {
				return nil, fmt.Errorf("flush tables with read lock: %w", err)
			}
			n = 1 // no RELOAD privilege: one connection, one transaction
		} else {
			s.locked = true
			defer func() {
				if s.locked {
					// release before returning whatever happened
					_, _ = lock.ExecContext(context.WithoutCancel(ctx), "UNLOCK TABLES")
				}
			}()
		}
	}
	for range max(n, 1) {
		c, err := db.Conn(ctx)
		if err != nil {
			return s, fmt.Errorf("open connection: %w", err)
		}
		s.conns = append(s.conns, c)
		if err := setupSession(ctx, c, ""); err != nil {
			return s, err
		}
		for _, q := range []string{
			"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
			"START TRANSACTION WITH CONSISTENT SNAPSHOT",
		} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return s, fmt.Errorf("start snapshot (%s): %w", q, err)
			}
		}
	}
	return s, nil
}

// close ends the transactions and returns the connections; safe on nil (what
// openSnapshot returns when it fails before opening a worker connection).
func (s *snapshot) close() {
	if s == nil {
		return
	}
	for _, c := range s.conns {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		c.Close()
	}
	s.conns = nil
}
