package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// swap puts the loaded staging database in place of target in one
// transaction (two renames), after ending other sessions on target, which a
// rename requires. It then drops the old database; a failure there is
// returned as dropErr, the swap itself has happened.
func swap(ctx context.Context, admin *pgconn.PgConn, target, staging string) (dropErr, err error) {
	var exists bool
	if err := queryRow(ctx, admin, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", []string{target}, &exists); err != nil {
		return nil, fmt.Errorf("look up database %s: %w", target, err)
	}
	if !exists {
		if err := terminate(ctx, admin, staging); err != nil {
			return nil, err
		}
		if err := exec(ctx, admin, "ALTER DATABASE "+quoteIdent(staging)+" RENAME TO "+quoteIdent(target)); err != nil {
			return nil, fmt.Errorf("rename %s to %s: %w", staging, target, privErr(err, "CREATEDB"))
		}
		return nil, nil
	}
	backup := tempName(target, backupInfix)
	for attempt := 0; ; attempt++ {
		for _, db := range []string{target, staging} { // the loading sessions may still be ending
			if err := terminate(ctx, admin, db); err != nil {
				return nil, err
			}
		}
		err := inTx(ctx, admin, func() error {
			if err := exec(ctx, admin, "ALTER DATABASE "+quoteIdent(target)+" RENAME TO "+quoteIdent(backup)); err != nil {
				return privErr(err, "ownership of database "+target+" and CREATEDB")
			}
			return exec(ctx, admin, "ALTER DATABASE "+quoteIdent(staging)+" RENAME TO "+quoteIdent(target))
		})
		if err == nil {
			break
		}
		var pe *pgconn.PgError
		if attempt < 5 && errors.As(err, &pe) && pe.Code == "55006" { // a client connected again
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			}
			continue
		}
		return nil, fmt.Errorf("swap %s into %s: %w", staging, target, err)
	}
	if beforeDropBackup != nil {
		beforeDropBackup(backup)
	}
	if err := dropDatabase(context.WithoutCancel(ctx), admin, backup); err != nil {
		return fmt.Errorf("drop previous database (now %s): %w", backup, err), nil
	}
	return nil, nil
}

// beforeDropBackup, when set (by tests only), is called with the backup
// database's name before it is dropped.
var beforeDropBackup func(backup string)

// terminate ends the other sessions connected to db, if there are any.
func terminate(ctx context.Context, admin *pgconn.PgConn, db string) error {
	var n int
	err := queryRow(ctx, admin, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, []string{db}, &n)
	if err != nil || n == 0 {
		return err
	}
	if _, err := query(ctx, admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db); err != nil {
		return fmt.Errorf("end sessions on %s: %w", db, privErr(err, "pg_signal_backend (or superuser)"))
	}
	return nil
}

// dropDatabase drops db, ending its sessions first.
func dropDatabase(ctx context.Context, admin *pgconn.PgConn, db string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := terminate(ctx, admin, db); err != nil {
		return err
	}
	return exec(ctx, admin, "DROP DATABASE IF EXISTS "+quoteIdent(db))
}

// inTx runs f in a transaction on conn: committed if f succeeds, rolled back
// otherwise. Like pgx.BeginFunc, it closes conn when BEGIN, ROLLBACK or COMMIT
// fail and leave it in an unknown state.
func inTx(ctx context.Context, conn *pgconn.PgConn, f func() error) error {
	if err := exec(ctx, conn, "BEGIN"); err != nil {
		die(conn)
		return err
	}
	if err := f(); err != nil {
		if rerr := exec(ctx, conn, "ROLLBACK"); rerr != nil {
			die(conn)
		}
		return err
	}
	res, err := conn.Exec(ctx, "COMMIT").ReadAll()
	if err != nil {
		if conn.TxStatus() != 'I' {
			die(conn)
		}
		return err
	}
	if len(res) == 1 && res[0].CommandTag.String() == "ROLLBACK" {
		return errors.New("commit unexpectedly resulted in rollback")
	}
	return nil
}

// die closes conn at once, without waiting for the server.
func die(conn *pgconn.PgConn) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = conn.Close(ctx)
}
