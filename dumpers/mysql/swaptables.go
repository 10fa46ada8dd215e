package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"synco/dumpers"
)

// prepareTables readies the target for staging in its own tables (StageTables):
// the target is created if missing. drop removes what the import staged (and the
// target if it created it); it runs to its end even when ctx is cancelled.
func (im *importer) prepareTables(ctx context.Context) (drop func() error, err error) {
	var exists int
	if err := im.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", im.target).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up database %s: %w", im.target, err)
	}
	if exists == 0 {
		if _, err := im.db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(im.target)); err != nil {
			return nil, privilegeErr("create database "+im.target, "CREATE", fmt.Errorf("create database %s: %w", im.target, err))
		}
	}
	return func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if exists == 0 {
			if _, err := im.db.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(im.target)); err != nil {
				return fmt.Errorf("drop database %s: %w", im.target, err)
			}
			return nil
		}
		return im.dropPrefixed(cctx, im.tables.stage)
	}, nil
}

// dropPrefixed drops the target's tables whose names start with prefix, in one
// statement on a connection without foreign key checks.
func (im *importer) dropPrefixed(ctx context.Context, prefix string) error {
	c, err := im.conn(ctx, im.target)
	if err != nil {
		return err
	}
	defer c.Close()
	tables, err := baseTables(ctx, c, im.target)
	if err != nil {
		return err
	}
	var drop []string
	for _, t := range tables {
		if strings.HasPrefix(t, prefix) {
			drop = append(drop, quoteIdent(t))
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if _, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(drop, ", ")); err != nil {
		return fmt.Errorf("drop staged tables %s* of %s: %w", prefix, im.target, err)
	}
	return nil
}

// swapTables makes the target hold the staged tables (StageTables), like swap does
// for a staging database:
//
//  1. save the target's routines, views, triggers and events as SQL (in memory)
//     and its default character set;
//  2. drop the target's triggers and views;
//  3. one RENAME TABLE statement (atomic) renames every old table of the target to
//     "__synco_old_<hex>_<name>" and every staged one to its real name;
//  4. set the dump's default character set, drop the target's old routines and
//     events, replay post.sql;
//  5. drop the old tables, then give the foreign keys their real names back (one
//     ALTER TABLE per table that has any; foreign key checks off, so no data is read).
//
// A failure in 2–3 recreates the saved objects; in 4 the tables are renamed back,
// character set and objects restored, and the staged tables dropped by the caller.
// A failure in 5 is a *dumpers.CleanupError: the snapshot is installed, foreign
// keys keep working under their staging names. Runs to its end when ctx is
// cancelled meanwhile.
func (im *importer) swapTables(ctx context.Context, post []allowed) (err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	ts := im.tables
	c, err := im.conn(ctx, im.target)
	if err != nil {
		return err
	}
	defer c.Close()
	saved, err := objectsSQL(ctx, c, nil, false)
	if err != nil {
		return fmt.Errorf("save objects of %s: %w", im.target, err)
	}
	var cs, coll string
	if err := c.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, im.target).Scan(&cs, &coll); err != nil {
		return fmt.Errorf("read character set of %s: %w", im.target, err)
	}
	restore := func(cause error) error {
		if rerr := dropObjects(ctx, c, im.target, "TRIGGER", "VIEW", "PROCEDURE", "FUNCTION", "EVENT"); rerr != nil {
			return errors.Join(cause, fmt.Errorf("restore objects of %s: %w", im.target, rerr))
		}
		if rerr := execStream(ctx, c, "saved objects", saved); rerr != nil {
			return errors.Join(cause, fmt.Errorf("restore objects of %s: %w", im.target, rerr))
		}
		return cause
	}
	all, err := baseTables(ctx, c, im.target)
	if err != nil {
		return err
	}
	var oldTables []string
	for _, t := range all {
		if !strings.HasPrefix(t, ts.stage) {
			oldTables = append(oldTables, t)
		}
	}
	if err := dropObjects(ctx, c, im.target, "TRIGGER", "VIEW"); err != nil {
		return restore(err)
	}
	var moves, back []string
	for _, t := range oldTables {
		moves = append(moves, quoteIdent(t)+" TO "+quoteIdent(prefixed(ts.backup, t)))
	}
	for _, t := range ts.tables {
		moves = append(moves, quoteIdent(ts.staged(t))+" TO "+quoteIdent(t))
		back = append(back, quoteIdent(t)+" TO "+quoteIdent(ts.staged(t)))
	}
	for _, t := range oldTables {
		back = append(back, quoteIdent(prefixed(ts.backup, t))+" TO "+quoteIdent(t))
	}
	if len(moves) > 0 {
		if _, err := c.ExecContext(ctx, "RENAME TABLE "+strings.Join(moves, ", ")); err != nil {
			return restore(privilegeErr("rename tables", "ALTER, DROP, CREATE and INSERT", fmt.Errorf("swap tables: %w", err)))
		}
	}
	if ts.charset != nil {
		// the dump's ALTER DATABASE, checked by the allow-list: it names no database
		// and so applies to the connection's, the target
		if _, err = c.ExecContext(ctx, string(ts.charset)); err != nil {
			err = stmtErr(dumpers.SchemaStream, 0, ts.charset, err)
		}
	}
	if err == nil {
		err = dropObjects(ctx, c, im.target, "PROCEDURE", "FUNCTION", "EVENT")
	}
	if err == nil {
		// as the loading account: the triggers and events of the dump are its own
		err = im.execAll(ctx, im.target, dumpers.PostStream, post)
	}
	if err != nil {
		// roll back: new objects out, tables back, character set and old objects in
		if derr := dropObjects(ctx, c, im.target, "TRIGGER", "VIEW", "PROCEDURE", "FUNCTION", "EVENT"); derr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w (old tables are %s*)", derr, ts.backup))
		}
		if len(back) > 0 {
			if _, rerr := c.ExecContext(ctx, "RENAME TABLE "+strings.Join(back, ", ")); rerr != nil {
				return errors.Join(err, fmt.Errorf("roll back: rename tables: %w (old tables are %s*)", rerr, ts.backup))
			}
		}
		if _, rerr := c.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s CHARACTER SET %s COLLATE %s", quoteIdent(im.target), cs, coll)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("roll back: character set of %s: %w", im.target, rerr))
		}
		return restore(err)
	}
	if err := im.dropPrefixed(ctx, ts.backup); err != nil {
		return &dumpers.CleanupError{Err: err}
	}
	for _, t := range ts.tables {
		fks := ts.fks[t]
		if len(fks) == 0 {
			continue
		}
		var alter []string
		for _, fk := range fks {
			alter = append(alter, "DROP FOREIGN KEY "+quoteIdent(fk.staged))
		}
		for _, fk := range fks {
			alter = append(alter, "ADD "+fk.clause)
		}
		if _, err := c.ExecContext(ctx, "ALTER TABLE "+quoteIdent(t)+" "+strings.Join(alter, ", ")); err != nil {
			return &dumpers.CleanupError{Err: fmt.Errorf("give the foreign keys of %s their names back (they work under %s…): %w", t, ts.stage, err)}
		}
	}
	return nil
}
