package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// swap puts the loaded staging database in place of target in one
// transaction (two renames), after ending other sessions on target, which a
// rename requires. It then drops the old database; a failure there is
// returned as dropErr, the swap itself has happened.
func swap(ctx context.Context, admin *pgx.Conn, target, staging string) (dropErr, err error) {
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", target).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up database %s: %w", target, err)
	}
	if !exists {
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+quoteIdent(staging)+" RENAME TO "+quoteIdent(target)); err != nil {
			return nil, fmt.Errorf("rename %s to %s: %w", staging, target, privErr(err, "CREATEDB"))
		}
		return nil, nil
	}
	backup := tempName(target, "__synco_old_")
	for attempt := 0; ; attempt++ {
		if err := terminate(ctx, admin, target); err != nil {
			return nil, err
		}
		err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "ALTER DATABASE "+quoteIdent(target)+" RENAME TO "+quoteIdent(backup)); err != nil {
				return privErr(err, "ownership of database "+target+" and CREATEDB")
			}
			_, err := tx.Exec(ctx, "ALTER DATABASE "+quoteIdent(staging)+" RENAME TO "+quoteIdent(target))
			return err
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
	if err := dropDatabase(context.WithoutCancel(ctx), admin, backup); err != nil {
		return fmt.Errorf("drop previous database (now %s): %w", backup, err), nil
	}
	return nil, nil
}

// terminate ends the other sessions connected to db, if there are any.
func terminate(ctx context.Context, admin *pgx.Conn, db string) error {
	var n int
	err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db).Scan(&n)
	if err != nil || n == 0 {
		return err
	}
	rows, _ := admin.Query(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, db)
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("end sessions on %s: %w", db, privErr(err, "pg_signal_backend (or superuser)"))
	}
	return nil
}

// dropDatabase drops db, ending its sessions first.
func dropDatabase(ctx context.Context, admin *pgx.Conn, db string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := terminate(ctx, admin, db); err != nil {
		return err
	}
	_, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(db))
	return err
}
