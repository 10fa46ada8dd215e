package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	gomysql "github.com/go-sql-driver/mysql"
	"golang.org/x/sync/errgroup"
)

// loadChunk is how many encoded bytes go into one LOAD DATA statement (one
// transaction) on MariaDB.
const loadChunk = 32 << 20

// rowWriter generates the rows of t in order and hands encoded batches to emit.
type rowWriter struct {
	t      *table
	g      *gen
	c      counts
	engine string
	next   int // next row id, 1-based
	bytes  atomic.Int64
}

// write encodes rows into w until at least limit bytes were written or the
// table is complete; it reports whether rows remain.
func (rw *rowWriter) write(w io.Writer, limit int64) (more bool, err error) {
	n := rw.c[rw.t.name]
	var buf []byte
	var written int64
	for rw.next <= n && written < limit {
		buf = appendRow(buf, rw.engine, rw.t.row(rw.g, rw.next, &rw.c))
		rw.next++
		if len(buf) >= 256<<10 || rw.next > n || written+int64(len(buf)) >= limit {
			if _, err := w.Write(buf); err != nil {
				return false, err
			}
			written += int64(len(buf))
			rw.bytes.Add(int64(len(buf)))
			buf = buf[:0]
		}
	}
	return rw.next <= n, nil
}

// load creates the database named in dsn (dropping it first) and fills it with
// the generated tables, two tables at a time.
func load(ctx context.Context, dsn string, size int64, seed uint64, logf func(string, ...any)) error {
	engine, err := engineOf(dsn)
	if err != nil {
		return err
	}
	name, err := dbName(dsn)
	if err != nil || name == "" {
		return fmt.Errorf("load: dsn names no database")
	}
	if err := dropDB(ctx, dsn); err != nil {
		return err
	}
	c := rowCounts(size)
	v := newVocab(seed)
	writers := make([]*rowWriter, len(tables))
	for i, t := range tables {
		writers[i] = &rowWriter{t: t, g: newGen(v, seed, t.name), c: c, engine: engine, next: 1}
	}
	if engine == "mysql" {
		err = loadMySQL(ctx, dsn, name, writers)
	} else {
		err = loadPG(ctx, dsn, name, writers)
	}
	if err != nil {
		return err
	}
	var total int64
	for _, w := range writers {
		logf("%-9s %9d rows %7.1f MB encoded", w.t.name, c[w.t.name], float64(w.bytes.Load())/1e6)
		total += w.bytes.Load()
	}
	logf("total %.1f MB encoded", float64(total)/1e6)
	return nil
}

func loadMySQL(ctx context.Context, dsn, name string, writers []*rowWriter) error {
	srv, err := openMySQL(dsn, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	if _, err := srv.ExecContext(ctx, "CREATE DATABASE "+myQuoteIdent(name)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	db, err := openMySQL(dsn, name)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, w := range writers {
		if _, err := db.ExecContext(ctx, w.t.mysqlDDL()); err != nil {
			return fmt.Errorf("create table %s: %w", w.t.name, err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, w := range writers {
		g.Go(func() error { return loadMySQLTable(ctx, db, w) })
	}
	return g.Wait()
}

func loadMySQLTable(ctx context.Context, db *sql.DB, w *rowWriter) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var cols, sets []string
	for i, c := range w.t.cols {
		if c.bin {
			cols = append(cols, fmt.Sprintf("@v%d", i))
			sets = append(sets, fmt.Sprintf("%s = UNHEX(@v%d)", myQuoteIdent(c.name), i))
		} else {
			cols = append(cols, myQuoteIdent(c.name))
		}
	}
	for part := 0; ; part++ {
		handler := fmt.Sprintf("%s_%d", w.t.name, part)
		pr, pw := io.Pipe()
		gomysql.RegisterReaderHandler(handler, func() io.Reader { return pr })
		q := fmt.Sprintf("LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s CHARACTER SET utf8mb4 "+
			"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (%s)",
			handler, myQuoteIdent(w.t.name), strings.Join(cols, ", "))
		if len(sets) > 0 {
			q += " SET " + strings.Join(sets, ", ")
		}
		done := make(chan error, 1)
		go func() {
			_, err := conn.ExecContext(ctx, q)
			pr.CloseWithError(err) // unblocks the writer if the statement failed
			done <- err
		}()
		more, werr := w.write(pw, loadChunk)
		pw.CloseWithError(werr)
		err := <-done
		gomysql.DeregisterReaderHandler(handler)
		if werr != nil {
			return fmt.Errorf("load %s: %w", w.t.name, werr)
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", w.t.name, err)
		}
		// LOAD DATA LOCAL turns data errors into warnings: treat any as failure.
		var nwarn int
		if err := conn.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&nwarn); err != nil {
			return err
		}
		if nwarn > 0 {
			var level, msg string
			var code int
			_ = conn.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &msg)
			return fmt.Errorf("load %s: %d warnings, first: %s", w.t.name, nwarn, msg)
		}
		if !more {
			return nil
		}
	}
}

func loadPG(ctx context.Context, dsn, name string, writers []*rowWriter) error {
	admin, err := connectPG(ctx, dsn, "postgres")
	if err != nil {
		return err
	}
	_, err = pgExec(ctx, admin, "CREATE DATABASE "+pgQuoteIdent(name)+" TEMPLATE template0 ENCODING 'UTF8'")
	admin.Close(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	c, err := connectPG(ctx, dsn, name)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	ddl := strings.Join(pgPre, ";\n") + ";\n"
	for _, w := range writers {
		ddl += w.t.pgDDL() + ";\n"
	}
	if _, err := pgExec(ctx, c, ddl); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, w := range writers {
		g.Go(func() error {
			wc, err := connectPG(gctx, dsn, name)
			if err != nil {
				return err
			}
			defer wc.Close(context.WithoutCancel(gctx))
			pr, pw := io.Pipe()
			go func() {
				_, err := w.write(pw, 1<<62)
				pw.CloseWithError(err)
			}()
			q := fmt.Sprintf("COPY %s (%s) FROM STDIN", w.t.name, strings.Join(w.t.colNames(), ", "))
			_, err = wc.CopyFrom(gctx, pr, q)
			pr.CloseWithError(err)
			if err != nil {
				return fmt.Errorf("copy %s: %w", w.t.name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var post []string
	for _, w := range writers {
		post = append(post, w.t.pgPost...)
		if w.t.cols[0].pg == "bigint GENERATED BY DEFAULT AS IDENTITY" {
			post = append(post, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s", w.t.name, w.t.name))
		}
	}
	if _, err := pgExec(ctx, c, strings.Join(post, ";\n")); err != nil {
		return fmt.Errorf("indexes: %w", err)
	}
	// Hint bits and statistics, so the first dump does not pay for them.
	if _, err := pgExec(ctx, c, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
