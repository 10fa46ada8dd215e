package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// sessionSQL fixes every setting that changes how values are printed, so the
// dump's bytes depend only on the data.
const sessionSQL = `SELECT pg_catalog.set_config('search_path', '', false);
SET client_encoding = 'UTF8';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SET bytea_output = 'hex';
SET xmloption = content;
SET standard_conforming_strings = on;
SET quote_all_identifiers = off;
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET row_security = off`

// beginSnapshot starts the transaction of the leader and of every worker.
const beginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// snapshot is the leader transaction of a dump: it exports its snapshot so
// worker connections see exactly the same data.
type snapshot struct {
	cfg     *Config
	conn    *pgconn.PgConn
	inTx    bool   // the snapshot transaction is open
	id      string // pg_export_snapshot()
	version int
}

func openSnapshot(ctx context.Context, cfg *Config) (*snapshot, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &snapshot{cfg: cfg, conn: conn}
	if err := s.init(ctx); err != nil {
		s.close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *snapshot) init(ctx context.Context) error {
	if err := exec(ctx, s.conn, sessionSQL); err != nil {
		return fmt.Errorf("set session of %s: %w", s.cfg, err)
	}
	if err := queryRow(ctx, s.conn, "SELECT current_setting('server_version_num')::int", nil, &s.version); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}
	if err := exec(ctx, s.conn, beginSnapshot); err != nil {
		return fmt.Errorf("begin snapshot transaction: %w", err)
	}
	s.inTx = true
	if err := queryRow(ctx, s.conn, "SELECT pg_export_snapshot()", nil, &s.id); err != nil {
		return fmt.Errorf("export snapshot: %w", privErr(err, "EXECUTE on pg_export_snapshot()"))
	}
	return nil
}

// worker opens another connection that shares the leader's snapshot.
func (s *snapshot) worker(ctx context.Context) (*pgconn.PgConn, error) {
	conn, err := connect(ctx, s.cfg)
	if err != nil {
		return nil, err
	}
	fail := func(what string, err error) (*pgconn.PgConn, error) {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := exec(ctx, conn, sessionSQL); err != nil {
		return fail("set worker session", err)
	}
	if err := exec(ctx, conn, beginSnapshot); err != nil {
		return fail("begin worker transaction", err)
	}
	if err := exec(ctx, conn, "SET TRANSACTION SNAPSHOT "+literal(s.id)); err != nil {
		return fail("import snapshot "+s.id, err)
	}
	return conn, nil
}

func (s *snapshot) close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if s.inTx && !s.conn.IsClosed() {
		_ = exec(ctx, s.conn, "ROLLBACK")
	}
	_ = s.conn.Close(ctx)
}
