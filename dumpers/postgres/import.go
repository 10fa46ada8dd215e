package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"synco/dumpers"
)

// importParallel is how many data streams load at once.
const importParallel = 4

// importSession is set on every connection of an import.
const importSession = `SELECT pg_catalog.set_config('search_path', '', false);
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET client_min_messages = warning;
SET synchronous_commit = off;
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET row_security = off`

// Import restores the dump in src into the database cfg names, safely: it
// loads everything into a fresh staging database and only when that fully
// succeeded swaps it in place of the target (see the package doc). On any
// error or cancellation the target is left as it was and the staging database
// is dropped. The target is created if it does not exist. Errors wrap ErrAuth,
// ErrPrivilege (CREATEDB, database ownership, pg_signal_backend) or
// ErrUnsupportedServer where those apply.
func Import(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) (err error) {
	admin, err := connect(ctx, cfg.WithDatabase(maintenanceDB(cfg.Database)))
	if err != nil {
		return fmt.Errorf("import into %s: %w", cfg, err)
	}
	defer admin.Close(context.WithoutCancel(ctx))

	staging := tempName(cfg.Database, "__synco_")
	if err := createStaging(ctx, admin, cfg.Database, staging); err != nil {
		return fmt.Errorf("import into %s: %w", cfg, err)
	}
	installed := false
	defer func() {
		if !installed {
			cctx := context.WithoutCancel(ctx)
			if admin.IsClosed() { // broken by a cancellation: reconnect to clean up
				if a, cerr := connect(cctx, cfg.WithDatabase(maintenanceDB(cfg.Database))); cerr == nil {
					defer a.Close(cctx)
					admin = a
				}
			}
			if derr := dropDatabase(cctx, admin, staging); derr != nil && err != nil {
				err = fmt.Errorf("%w (and drop staging database %s: %v)", err, staging, derr)
			}
		}
	}()
	if err := load(ctx, cfg.WithDatabase(staging), src, progress); err != nil {
		return fmt.Errorf("import into %s: load staging database %s: %w", cfg, staging, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import into %s: %w", cfg, err)
	}
	dropErr, err := swap(ctx, admin, cfg.Database, staging)
	if err != nil {
		return fmt.Errorf("import into %s: %w", cfg, err)
	}
	installed = true
	if dropErr != nil {
		return fmt.Errorf("import into %s: installed, but %w", cfg, dropErr)
	}
	return nil
}

// maintenanceDB is the database admin statements connect to.
func maintenanceDB(target string) string {
	if target == "postgres" {
		return "template1"
	}
	return "postgres"
}

// tempName derives a database name from base that fits PostgreSQL's 63 bytes.
func tempName(base, infix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := infix + hex.EncodeToString(b)
	for len(base)+len(suffix) > 63 {
		_, n := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-n]
	}
	return base + suffix
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// createStaging creates the staging database with the encoding and locale of
// the target when the target exists.
func createStaging(ctx context.Context, admin *pgconn.PgConn, target, staging string) error {
	stmt := "CREATE DATABASE " + quoteIdent(staging) + " TEMPLATE template0"
	var enc, coll, ctype string
	err := queryRow(ctx, admin, `SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database
 WHERE datname = $1`, []string{target}, &enc, &coll, &ctype)
	switch {
	case err == nil:
		stmt += " ENCODING " + literal(enc) + " LC_COLLATE " + literal(coll) + " LC_CTYPE " + literal(ctype)
	case err != errNoRows:
		return fmt.Errorf("read target database %s: %w", target, err)
	}
	if err := exec(ctx, admin, stmt); err != nil {
		return fmt.Errorf("create staging database %s: %w", staging, privErr(err, "CREATEDB"))
	}
	return nil
}

// countingReader reports bytes and rows read from the data streams.
type countingReader struct {
	r io.Reader
	rowCounter
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.count(p[:n])
	return n, err
}

// load runs schema.sql, the data streams in parallel, then post.sql.
func load(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) error {
	var total atomic.Int64
	main, err := importConn(ctx, cfg)
	if err != nil {
		return err
	}
	defer main.Close(context.WithoutCancel(ctx))
	run := func(ctx context.Context, conn *pgconn.PgConn, name, table string) error {
		r, err := src.Open(ctx, name)
		if err != nil {
			return fmt.Errorf("open stream %s: %w", name, err)
		}
		defer r.Close()
		cr := &countingReader{r: r, rowCounter: rowCounter{table: table, total: &total, report: progress}}
		var rows int64
		if err := execScript(ctx, conn, cr, func(n int64) { rows += n }); err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
		if progress != nil {
			progress(dumpers.Progress{Table: table, Rows: rows, Bytes: total.Load(), Done: true})
		}
		return nil
	}
	if err := run(ctx, main, dumpers.SchemaStream, ""); err != nil {
		return err
	}
	var data []string
	for _, n := range src.Names() {
		if strings.HasPrefix(n, dumpers.DataDir) {
			data = append(data, n)
		}
	}
	ch := make(chan string)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(ch)
		for _, n := range data {
			select {
			case ch <- n:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range min(importParallel, len(data)) {
		g.Go(func() error {
			conn, err := importConn(gctx, cfg)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			for n := range ch {
				table := strings.TrimSuffix(strings.TrimPrefix(n, dumpers.DataDir), ".sql")
				if err := run(gctx, conn, n, table); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return run(ctx, main, dumpers.PostStream, "")
}

func importConn(ctx context.Context, cfg *Config) (*pgconn.PgConn, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := exec(ctx, conn, importSession); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("set session: %w", err)
	}
	return conn, nil
}
