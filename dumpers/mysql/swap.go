package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"synco/dumpers"
)

// swap makes the target hold the staging database's content. MySQL has no RENAME
// DATABASE, and RENAME TABLE cannot move views, or tables with triggers, to another
// database, so:
//
//  1. save the target's routines, views, triggers and events as SQL (in memory);
//  2. drop the staging triggers and the target's triggers and views;
//  3. one RENAME TABLE statement (atomic) moves every target table into a backup
//     database and every staging table into the target;
//  4. drop the target's old routines and events, replay post.sql in the target;
//  5. set the target's default character set, drop backup and staging databases.
//
// A failure in 2–3 recreates the saved objects; in 4 the tables are renamed back
// and the saved objects recreated. The target stays a consistent database the
// whole time, but readers may see it without triggers or views for the moment the
// swap takes. The swap runs to its end even when ctx is cancelled meanwhile.
func (im *importer) swap(ctx context.Context, post []allowed) (err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	var exists int
	if err := im.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", im.target).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", im.target, err)
	}
	if exists == 0 {
		if _, err := im.db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(im.target)); err != nil {
			return privilegeErr("create database "+im.target, "CREATE", fmt.Errorf("create database %s: %w", im.target, err))
		}
		defer func() {
			if err != nil {
				_, _ = im.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(im.target))
			}
		}()
	}
	c, err := im.conn(ctx, im.target)
	if err != nil {
		return err
	}
	defer c.Close()
	saved, err := objectsSQL(ctx, c, nil, false)
	if err != nil {
		return fmt.Errorf("save objects of %s: %w", im.target, err)
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
	oldTables, err := baseTables(ctx, c, im.target)
	if err != nil {
		return err
	}
	newTables, err := baseTables(ctx, c, im.stage)
	if err != nil {
		return err
	}
	backup := tempName(im.target, "__synco_old_")
	if _, err := c.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(backup)); err != nil {
		return privilegeErr("create backup database "+backup, "CREATE", fmt.Errorf("create backup database %s: %w", backup, err))
	}
	dropBackup := func() error {
		_, err := c.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(backup))
		return err
	}
	if err := dropObjects(ctx, c, im.stage, "TRIGGER"); err != nil {
		return errors.Join(err, dropBackup())
	}
	if err := dropObjects(ctx, c, im.target, "TRIGGER", "VIEW"); err != nil {
		return errors.Join(restore(err), dropBackup())
	}
	var moves, back []string
	for _, t := range oldTables {
		moves = append(moves, qualified(im.target, t)+" TO "+qualified(backup, t))
	}
	for _, t := range newTables {
		moves = append(moves, qualified(im.stage, t)+" TO "+qualified(im.target, t))
		back = append(back, qualified(im.target, t)+" TO "+qualified(im.stage, t))
	}
	for _, t := range oldTables {
		back = append(back, qualified(backup, t)+" TO "+qualified(im.target, t))
	}
	if len(moves) > 0 {
		if _, err := c.ExecContext(ctx, "RENAME TABLE "+strings.Join(moves, ", ")); err != nil {
			err = privilegeErr("rename tables", "ALTER, DROP, CREATE and INSERT", fmt.Errorf("swap tables: %w", err))
			return errors.Join(restore(err), dropBackup())
		}
	}
	err = dropObjects(ctx, c, im.target, "PROCEDURE", "FUNCTION", "EVENT")
	if err == nil {
		// as the loading account: the triggers and events of the dump are its own
		err = im.execAll(ctx, im.target, "post.sql", post)
	}
	if err != nil {
		// roll back: new objects out, tables back, old objects in
		if derr := dropObjects(ctx, c, im.target, "TRIGGER", "VIEW", "PROCEDURE", "FUNCTION", "EVENT"); derr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w (old tables are in %s)", derr, backup))
		}
		if len(back) > 0 {
			if _, rerr := c.ExecContext(ctx, "RENAME TABLE "+strings.Join(back, ", ")); rerr != nil {
				return errors.Join(err, fmt.Errorf("roll back: rename tables: %w (old tables are in %s)", rerr, backup))
			}
		}
		return errors.Join(restore(err), dropBackup())
	}
	var cs, coll string
	if err := c.QueryRowContext(ctx, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, im.stage).Scan(&cs, &coll); err != nil {
		return fmt.Errorf("read character set of %s: %w", im.stage, err)
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s CHARACTER SET %s COLLATE %s", quoteIdent(im.target), cs, coll)); err != nil {
		return fmt.Errorf("set character set of %s: %w", im.target, err)
	}
	if err := dropBackup(); err != nil {
		return &dumpers.CleanupError{Err: fmt.Errorf("drop backup database %s: %w", backup, err)}
	}
	if _, err := c.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(im.stage)); err != nil {
		return &dumpers.CleanupError{Err: fmt.Errorf("drop staging database %s: %w", im.stage, err)}
	}
	return nil
}

func qualified(db, name string) string { return quoteIdent(db) + "." + quoteIdent(name) }

// baseTables lists the tables (not views) of db.
func baseTables(ctx context.Context, q querier, db string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'`, db)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables of %s: %w", db, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// dropObjects drops every object of the given kinds in db.
func dropObjects(ctx context.Context, c *sql.Conn, db string, kinds ...string) error {
	queries := map[string]string{
		"TRIGGER":   "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
		"VIEW":      "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
		"PROCEDURE": "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE'",
		"FUNCTION":  "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'FUNCTION'",
		"EVENT":     "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
	}
	for _, k := range kinds {
		rows, err := c.QueryContext(ctx, queries[k], db)
		if err != nil {
			return fmt.Errorf("list %ss of %s: %w", strings.ToLower(k), db, err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("list %ss of %s: %w", strings.ToLower(k), db, err)
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list %ss of %s: %w", strings.ToLower(k), db, err)
		}
		for _, n := range names {
			if _, err := c.ExecContext(ctx, "DROP "+k+" IF EXISTS "+qualified(db, n)); err != nil {
				return privilegeErr("drop "+strings.ToLower(k)+" "+n, dropPrivilege[k], fmt.Errorf("drop %s %s.%s: %w", strings.ToLower(k), db, n, err))
			}
		}
	}
	return nil
}

var dropPrivilege = map[string]string{"TRIGGER": "TRIGGER", "VIEW": "DROP", "PROCEDURE": "ALTER ROUTINE", "FUNCTION": "ALTER ROUTINE", "EVENT": "EVENT"}

// execStream runs the statements of an in-memory SQL text.
func execStream(ctx context.Context, c *sql.Conn, name string, text []byte) error {
	sp := newSplitter(bytes.NewReader(text))
	for i := 1; ; i++ {
		st, _, err := sp.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if _, err := c.ExecContext(ctx, string(st)); err != nil {
			return stmtErr(name, i, st, err)
		}
	}
}
