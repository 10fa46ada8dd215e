package mysql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"synco/dumpers"
)

// ErrTruncated: a stream ends inside a statement.
var ErrTruncated = errors.New("mysql: stream ends inside a statement (truncated)")

// importParallel is the number of data streams loaded at once.
const importParallel = 4

// Import restores a dump into the database named in cfg, which is created if
// missing. Everything is loaded into a fresh staging database first — or, when the
// account may not create one (StagingMode), into prefixed tables of the target —
// and only when all of it loaded is it swapped into the target (see package doc),
// so on any error (also a cancelled ctx) the target is as it was. After success the target holds
// exactly the dump: tables, views, triggers, routines and events that only existed
// locally are gone. progress may be nil.
//
// Every statement is checked against the allow-list before it runs (see the
// package doc, Security): a dump that holds anything else fails with a
// *dumpers.RefusedError (errors.Is dumpers.ErrRefused) and nothing of it is
// installed. The dump is loaded as a limited account when the given one may create
// it (LoadAccountMode). Imports of one target wait for each other (up to a minute,
// then ErrImportRunning); databases that a killed import left behind are dropped.
// When the snapshot is installed but removing the staging or backup database, or
// restricting the loading account again, fails, the error is a
// *dumpers.CleanupError. Errors otherwise: as Dump, plus failures of the dump's
// statements, wrapped with the stream and statement number.
func Import(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) error {
	if cfg.Database == "" {
		return fmt.Errorf("import: %w: no database named", ErrInvalidDSN)
	}
	_, err := importNoting(ctx, cfg, src, progress)
	return err
}

// importNoting is Import, and returns what the import changed from the dump
// to fit this server (Installed.Notes).
func importNoting(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) ([]string, error) {
	srv, err := open(ctx, cfg.WithDatabase(""))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer srv.db.Close()
	coll, err := readCollations(ctx, srv.db)
	if err != nil {
		return nil, fmt.Errorf("import into %s: %w", cfg.Database, err)
	}
	if err := importInto(ctx, srv.db, cfg, src, coll, progress); err != nil {
		return coll.notes(), fmt.Errorf("import into %s: %w", cfg.Database, err)
	}
	return coll.notes(), nil
}

func importInto(ctx context.Context, db *sql.DB, cfg *Config, src dumpers.Source, coll *collations, progress func(dumpers.Progress)) (err error) {
	unlock, err := lockTarget(ctx, db, cfg.Database)
	if err != nil {
		return err
	}
	defer unlock()
	if err := reclaim(ctx, db, cfg.Database); err != nil {
		return err
	}
	if err := reclaimTables(ctx, db, cfg.Database, nil); err != nil {
		return err
	}
	im := &importer{db: db, loader: db, src: src, target: cfg.Database, coll: coll, progress: progress,
		stage: tempName(cfg.Database, "__synco_")}
	mode, err := stagingMode(ctx, db, im.stage, tempName(cfg.Database, "__synco_old_"))
	if err != nil {
		return err
	}
	if mode == StageTables {
		im.tables = newTableStage()
	}
	la, err := openLoadAccount(ctx, db, cfg, im.target, im.stage)
	if err != nil {
		return err
	}
	if la != nil {
		im.loader = la.db
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if cerr := la.close(cctx, db); cerr != nil {
				if err == nil {
					err = &dumpers.CleanupError{Err: cerr}
				} else {
					err = errors.Join(err, cerr)
				}
			}
		}()
	}
	return im.run(ctx)
}

type importer struct {
	db       *sql.DB // the given account: staging, swap, clean-up
	loader   *sql.DB // the account that runs the dump's statements
	src      dumpers.Source
	target   string
	stage    string      // the staging database (StageDatabase)
	tables   *tableStage // StageTables: the staged tables' names; nil otherwise
	coll     *collations // the server's, for the dump's statements that name others
	progress func(dumpers.Progress)
	total    atomic.Int64
}

func (im *importer) report(p dumpers.Progress) {
	if im.progress != nil {
		im.progress(p)
	}
}

func (im *importer) run(ctx context.Context) (err error) {
	var data []string
	have := map[string]bool{}
	for _, n := range im.src.Names() {
		have[n] = true
		if strings.HasPrefix(n, dumpers.DataDir) && strings.HasSuffix(n, ".sql") {
			data = append(data, n)
		}
	}
	for _, n := range []string{dumpers.SchemaStream, dumpers.PostStream} {
		if !have[n] {
			return fmt.Errorf("stream %s missing from the dump", n)
		}
	}
	if im.tables != nil {
		drop, perr := im.prepareTables(ctx)
		if perr != nil {
			return perr
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, drop())
			}
		}()
	} else {
		if _, err := im.db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(im.stage)); err != nil {
			return privilegeErr("create staging database "+im.stage, "CREATE", fmt.Errorf("create staging database %s: %w", im.stage, err))
		}
		defer func() {
			if err != nil {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				if _, derr := im.db.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(im.stage)); derr != nil {
					err = errors.Join(err, fmt.Errorf("drop staging database %s: %w", im.stage, derr))
				}
			}
		}()
	}

	if err := im.load(ctx, dumpers.SchemaStream, ""); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(importParallel)
	for _, n := range data {
		g.Go(func() error { return im.load(gctx, n, tableOfStream(n)) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	post, err := im.readAll(ctx, dumpers.PostStream)
	if err != nil {
		return err
	}
	if im.tables != nil {
		// No trial: post.sql names the real tables, which are the target's until the
		// swap. A failure in it rolls the swap back (swapTables).
		return im.swapTables(ctx, post)
	}
	// Run post.sql in the staging database first (events aside, which could fire
	// there): a view or trigger that does not load fails here, target untouched.
	var trial []allowed
	for _, st := range post {
		if !st.event {
			trial = append(trial, st)
		}
	}
	if err := im.execAll(ctx, im.stage, dumpers.PostStream, trial); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return im.swap(ctx, post)
}

// conn opens a connection of the given account set up for loading, with db as
// default database; loadConn one of the loading account.
func (im *importer) conn(ctx context.Context, db string) (*sql.Conn, error) {
	return connOn(ctx, im.db, db)
}

func (im *importer) loadConn(ctx context.Context, db string) (*sql.Conn, error) {
	return connOn(ctx, im.loader, db)
}

func connOn(ctx context.Context, pool *sql.DB, db string) (*sql.Conn, error) {
	c, err := pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open connection: %w", err)
	}
	if err := setupSession(ctx, c, loadSQLMode); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "USE "+quoteIdent(db)); err != nil {
		c.Close()
		return nil, fmt.Errorf("use %s: %w", db, err)
	}
	return c, nil
}

// load runs one stream's statements in the staging database on its own connection.
func (im *importer) load(ctx context.Context, name, tableName string) error {
	r, err := im.src.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("open stream %s: %w", name, err)
	}
	defer r.Close()
	c, err := im.loadConn(ctx, im.loadDB())
	if err != nil {
		return err
	}
	defer c.Close()
	sp := newSplitter(r)
	ck := newChecker(name)
	var rows, seen int64
	for i := 1; ; i++ {
		st, groups, err := sp.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read stream %s: %w", name, err)
		}
		if sp.unterminated {
			// our dumps end every statement: a partial INSERT must not load
			return fmt.Errorf("read stream %s: %w", name, ErrTruncated)
		}
		a, err := ck.check(i, st)
		if err != nil {
			return err
		}
		if ck.kind != kindData {
			a.stmt = im.coll.fix(a.stmt)
		}
		skip := false
		if im.tables != nil {
			if ck.kind == kindData {
				a.stmt = im.tables.rewriteInsert(a.stmt)
			} else if a, skip, err = im.tables.rewriteSchema(a, ck.backslash, ck.ansiQuotes); err != nil {
				return stmtErr(name, i, st, err)
			}
		}
		if !skip {
			if err := execAllowed(ctx, c, name, i, a); err != nil {
				return err
			}
		}
		if groups > 1 && len(st) > 6 && strings.EqualFold(string(st[:6]), "INSERT") {
			rows += int64(groups - 1)
		}
		im.report(dumpers.Progress{Table: tableName, Rows: rows, Bytes: im.total.Add(sp.n - seen)})
		seen = sp.n
	}
	im.report(dumpers.Progress{Table: tableName, Rows: rows, Bytes: im.total.Add(sp.n - seen), Done: tableName != ""})
	return nil
}

// loadDB is the database the dump's tables load into.
func (im *importer) loadDB() string {
	if im.tables != nil {
		return im.target
	}
	return im.stage
}

// readAll reads and checks every statement of a (small) stream.
func (im *importer) readAll(ctx context.Context, name string) ([]allowed, error) {
	r, err := im.src.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", name, err)
	}
	defer r.Close()
	sp := newSplitter(r)
	ck := newChecker(name)
	var out []allowed
	for i := 1; ; i++ {
		st, _, err := sp.next()
		if err == io.EOF {
			im.report(dumpers.Progress{Bytes: im.total.Add(sp.n)})
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", name, err)
		}
		if sp.unterminated {
			return nil, fmt.Errorf("read stream %s: %w", name, ErrTruncated)
		}
		a, err := ck.check(i, st)
		if err != nil {
			return nil, err
		}
		a.stmt = im.coll.fix(a.stmt)
		out = append(out, a)
	}
}

// execAll runs statements on a fresh connection of the loading account to db.
func (im *importer) execAll(ctx context.Context, db, stream string, stmts []allowed) error {
	c, err := im.loadConn(ctx, db)
	if err != nil {
		return err
	}
	defer c.Close()
	return execOn(ctx, c, stream, stmts)
}

func execOn(ctx context.Context, c *sql.Conn, stream string, stmts []allowed) error {
	for i, a := range stmts {
		if err := execAllowed(ctx, c, stream, i+1, a); err != nil {
			return err
		}
	}
	return nil
}

// execAllowed runs a checked statement and the statement of ours that follows it.
func execAllowed(ctx context.Context, c *sql.Conn, stream string, n int, a allowed) error {
	if _, err := execStmt(ctx, c, a.stmt); err != nil {
		return stmtErr(stream, n, a.stmt, err)
	}
	if a.follow != "" {
		if _, err := c.ExecContext(ctx, a.follow); err != nil {
			return stmtErr(stream, n, []byte(a.follow), err)
		}
	}
	return nil
}

func stmtErr(stream string, n int, st []byte, err error) error {
	head := string(st)
	if len(head) > 60 {
		head = head[:60]
		for !utf8.ValidString(head) {
			head = head[:len(head)-1]
		}
		head += "…"
	}
	return fmt.Errorf("stream %s statement %d (%s): %w", stream, n, strings.Join(strings.Fields(head), " "), err)
}

// tableOfStream turns "data/<escaped>.sql" back into the table name.
func tableOfStream(name string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(name, dumpers.DataDir), ".sql")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tempName is base + tag + 8 random hex digits, base shortened (at a character
// boundary) to keep the name within MySQL's 64 characters.
func tempName(base, tag string) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	suffix := tag + hex.EncodeToString(r[:])
	for utf8.RuneCountInString(base)+len(suffix) > 64 {
		_, n := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-n]
	}
	return base + suffix
}
