package postgres

import (
	"context"
	"errors"
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

// LoadMode says which account ran a dump's statements (package doc, "Security").
type LoadMode int

const (
	// LoadAsRole: a throw-away role with no privilege besides owning the
	// staging database, connected as itself. The strongest mode.
	LoadAsRole LoadMode = iota + 1
	// LoadSetRole: the same throw-away role, reached with SET ROLE on
	// connections of the importing user, because the server did not let the
	// role log in (pg_hba.conf). Dynamic SQL in a function body that runs during
	// the import could RESET ROLE.
	LoadSetRole
	// LoadAsUser: the importing user itself, which may not create roles
	// (neither superuser nor CREATEROLE). Statements are still checked.
	LoadAsUser
)

func (m LoadMode) String() string {
	switch m {
	case LoadAsRole:
		return "throw-away role"
	case LoadSetRole:
		return "throw-away role via SET ROLE"
	case LoadAsUser:
		return "importing user"
	}
	return "unknown"
}

// Import restores the dump in src into the database cfg names; it is
// ImportWithMode without the mode.
func Import(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) error {
	_, err := ImportWithMode(ctx, cfg, src, progress)
	return err
}

// ImportWithMode restores the dump in src into the database cfg names, safely:
// it checks every statement against what our dumper writes, loads everything
// into a fresh staging database as a throw-away role when it can, and only
// when that fully succeeded swaps it in place of the target (package doc). On
// any error or cancellation the target is left as it was and the staging
// database and role are dropped. The target is created if it does not exist.
// A user without CREATEDB that may create schemas in the existing target loads
// into the target itself in one transaction instead (StageSchemas, StagingMode).
// It returns the account the statements ran as.
//
// Errors wrap dumpers.ErrRefused (a *dumpers.RefusedError: a statement our
// dumps never hold), ErrAuth, ErrPrivilege (CREATEDB, database ownership,
// pg_signal_backend) or ErrUnsupportedServer where those apply. A
// *dumpers.CleanupError means the snapshot is installed but a backup
// database or the throw-away role could not be dropped.
func ImportWithMode(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) (mode LoadMode, err error) {
	maint := cfg.WithDatabase(maintenanceDB(cfg.Database))
	admin, err := connect(ctx, maint)
	if err != nil {
		return 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	defer func() { admin.Close(context.WithoutCancel(ctx)) }()
	reclaim(ctx, admin, cfg.Database)
	stage, err := stagingMode(ctx, admin, cfg.Database)
	if err != nil {
		return 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	if stage == StageSchemas {
		if err := importSchemas(ctx, cfg, src, progress); err != nil {
			return LoadAsUser, fmt.Errorf("import into %s: %w", cfg, err)
		}
		return LoadAsUser, nil
	}

	role, password, err := createLoadRole(ctx, admin)
	if err != nil {
		return 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	staging := tempName(cfg.Database, stagingInfix)
	installed := false
	defer func() {
		cctx := context.WithoutCancel(ctx)
		if admin.IsClosed() { // broken by a cancellation: reconnect to clean up
			if a, cerr := connect(cctx, maint); cerr == nil {
				admin = a
			}
		}
		var cleanErrs []error
		if !installed {
			if derr := dropDatabase(cctx, admin, staging); derr != nil {
				cleanErrs = append(cleanErrs, fmt.Errorf("drop staging database %s: %w", staging, derr))
			}
		}
		if role != "" {
			if derr := exec(cctx, admin, "DROP ROLE IF EXISTS "+quoteIdent(role)); derr != nil {
				cleanErrs = append(cleanErrs, fmt.Errorf("drop role %s: %w", role, derr))
			}
		}
		switch {
		case len(cleanErrs) == 0:
		case err != nil:
			err = fmt.Errorf("%w (and %v)", err, errors.Join(cleanErrs...))
		default:
			err = &dumpers.CleanupError{Err: fmt.Errorf("import into %s: %w", cfg, errors.Join(cleanErrs...))}
		}
	}()
	if err := createStaging(ctx, admin, cfg.Database, staging, role); err != nil {
		return 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	ld, err := newLoader(ctx, cfg.WithDatabase(staging), role, password)
	if err != nil {
		return 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	defer ld.close(context.WithoutCancel(ctx))
	if err := load(ctx, ld, src, progress); err != nil {
		return ld.mode, fmt.Errorf("import into %s: load staging database %s: %w", cfg, staging, err)
	}
	err = ld.handOver(ctx)
	ld.close(context.WithoutCancel(ctx))
	if err != nil {
		return ld.mode, fmt.Errorf("import into %s: %w", cfg, err)
	}
	if err := ctx.Err(); err != nil {
		return ld.mode, fmt.Errorf("import into %s: %w", cfg, err)
	}
	dropErr, err := swap(ctx, admin, cfg.Database, staging)
	if err != nil {
		return ld.mode, fmt.Errorf("import into %s: %w", cfg, err)
	}
	installed = true
	if dropErr != nil {
		return ld.mode, &dumpers.CleanupError{Err: fmt.Errorf("import into %s: %w", cfg, dropErr)}
	}
	return ld.mode, nil
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
	suffix := infix + randHex(4)
	return truncateName(base, 63-len(suffix)) + suffix
}

// truncateName shortens base to at most n bytes, at a character boundary.
func truncateName(base string, n int) string {
	for len(base) > n {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// createStaging creates the staging database, owned by owner if not "", with
// the encoding and locale of the target when the target exists.
func createStaging(ctx context.Context, admin *pgconn.PgConn, target, staging, owner string) error {
	stmt := "CREATE DATABASE " + quoteIdent(staging) + " TEMPLATE template0"
	if owner != "" {
		stmt += " OWNER " + quoteIdent(owner)
	}
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

// load runs schema.sql, the data streams in parallel, then post.sql, each
// statement checked against the allow-list before it runs.
func load(ctx context.Context, ld *loader, src dumpers.Source, progress func(dumpers.Progress)) error {
	return loadWith(ctx, connsOf(ld), src, progress)
}

// conns opens the connections a load runs on: up to parallel of them at once,
// each given back with its close function. extension, if not nil, runs an allowed
// CREATE EXTENSION.
type conns struct {
	open      func(ctx context.Context) (*pgconn.PgConn, func(), error)
	parallel  int
	extension func(ctx context.Context, stmt string) error
}

// connsOf opens connections of a loader, importParallel of them for the data.
func connsOf(ld *loader) conns {
	return conns{
		open: func(ctx context.Context) (*pgconn.PgConn, func(), error) {
			c, err := ld.conn(ctx)
			if err != nil {
				return nil, nil, err
			}
			return c, func() { c.Close(context.WithoutCancel(ctx)) }, nil
		},
		parallel:  importParallel,
		extension: ld.extension,
	}
}

func loadWith(ctx context.Context, cs conns, src dumpers.Source, progress func(dumpers.Progress)) error {
	var total atomic.Int64
	main, closeMain, err := cs.open(ctx)
	if err != nil {
		return err
	}
	defer closeMain()
	run := func(ctx context.Context, conn *pgconn.PgConn, name, table string, cl streamClass) error {
		r, err := src.Open(ctx, name)
		if err != nil {
			return fmt.Errorf("open stream %s: %w", name, err)
		}
		defer r.Close()
		cr := &countingReader{r: r, rowCounter: rowCounter{table: table, total: &total, report: progress}}
		var rows int64
		sc := script{stream: name, checked: true, class: cl, extension: cs.extension, onCopy: func(n int64) { rows += n }}
		if err := execScript(ctx, conn, cr, sc); err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
		if progress != nil {
			progress(dumpers.Progress{Table: table, Rows: rows, Bytes: total.Load(), Done: true})
		}
		return nil
	}
	if err := run(ctx, main, dumpers.SchemaStream, "", classDDL); err != nil {
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
	for range min(cs.parallel, len(data)) {
		g.Go(func() error {
			conn, closeConn, err := cs.open(gctx)
			if err != nil {
				return err
			}
			defer closeConn()
			for n := range ch {
				table := strings.TrimSuffix(strings.TrimPrefix(n, dumpers.DataDir), ".sql")
				if err := run(gctx, conn, n, table, classData); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return run(ctx, main, dumpers.PostStream, "", classDDL)
}
