package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"synco/dumpers"
	"synco/dumpers/scrub"
)

// Statement size bounds of a data stream. A statement ends after a row once it
// holds stmtMin bytes and the row's key marks an end (endsStatement), or before a
// row that would take it past stmtMax. Ending on row content rather than on size
// alone keeps the statement boundaries (and so the chunks) of unchanged rows stable
// when a row before them grows or shrinks; ending on the key alone keeps them where
// they are when a row is updated.
const (
	stmtMin = 256 << 10
	stmtMax = 1 << 20
)

// Dumper dumps one MySQL/MariaDB database into dump streams (see package doc).
type Dumper struct {
	cfg     *Config
	workers atomic.Int32
}

// NewDumper returns a Dumper for the database named in cfg.
func NewDumper(cfg *Config) *Dumper { return &Dumper{cfg: cfg} }

// Workers reports how many connections the last Dump read with: Options.Parallel,
// or 1 when the user lacks the RELOAD privilege (see package doc).
func (d *Dumper) Workers() int { return int(d.workers.Load()) }

// Dump writes schema.sql, post.sql and data/<table>.sql (tables with rows only) to
// sink from one consistent snapshot. Errors: ErrAccessDenied, ErrUnreachable,
// ErrUnsupportedServer, *PrivilegeError, or the cause wrapped with what was done.
func (d *Dumper) Dump(ctx context.Context, sink dumpers.Sink, opt dumpers.Options) error {
	if d.cfg.Database == "" {
		return fmt.Errorf("dump: %w: no database named", ErrInvalidDSN)
	}
	srv, err := open(ctx, d.cfg)
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	defer srv.db.Close()
	par := opt.Parallel
	if par < 1 {
		par = 4
	}
	snap, err := openSnapshot(ctx, srv.db, par)
	if err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg.Database, err)
	}
	defer snap.close()
	d.workers.Store(int32(len(snap.conns)))
	if err := d.dump(ctx, snap, sink, opt); err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg.Database, err)
	}
	return nil
}

func (d *Dumper) dump(ctx context.Context, snap *snapshot, sink dumpers.Sink, opt dumpers.Options) error {
	c0 := snap.conns[0]
	tables, err := readTables(ctx, c0, opt)
	if err != nil {
		return err
	}
	var total atomic.Int64
	report := func(p dumpers.Progress) {
		if opt.Progress != nil {
			opt.Progress(p)
		}
	}
	schema, err := schemaSQL(ctx, c0, tables)
	if err != nil {
		return err
	}
	if err := writeStream(ctx, sink, dumpers.SchemaStream, schema); err != nil {
		return err
	}
	report(dumpers.Progress{Bytes: total.Add(int64(len(schema)))})
	skip := func(name string) bool { return matchAny(opt.Exclude, name) }
	post, err := objectsSQL(ctx, c0, skip, true)
	if err != nil {
		return err
	}
	if err := writeStream(ctx, sink, dumpers.PostStream, post); err != nil {
		return err
	}
	report(dumpers.Progress{Bytes: total.Add(int64(len(post)))})

	var work []*table
	for _, t := range tables {
		if !t.noData {
			work = append(work, t)
		}
	}
	// biggest first, so the last table to finish is a small one
	sort.SliceStable(work, func(i, j int) bool { return work[i].size > work[j].size })
	pool := make(chan *sql.Conn, len(snap.conns))
	for _, c := range snap.conns {
		pool <- c
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(len(snap.conns))
	for _, t := range work {
		g.Go(func() error {
			c := <-pool
			defer func() { pool <- c }()
			return dumpTable(gctx, c, sink, t, dumpers.WhereFor(opt.Where, t.name), scrubTable(opt.Scrub, t), &total, report)
		})
	}
	return g.Wait()
}

// scrubTable is the scrubbing of t's dumped columns by rules (nil: none).
func scrubTable(rules *scrub.Rules, t *table) *scrub.Table {
	if rules == nil {
		return nil
	}
	var cols []scrub.Column
	for _, c := range t.columns {
		if !c.generated {
			numeric := c.kind == kindNumber || c.kind == kindFloat || c.kind == kindDouble
			cols = append(cols, scrub.Column{Name: c.name, Numeric: numeric, MaxLen: c.maxLen})
		}
	}
	return rules.Table([]string{t.name}, cols)
}

// appendRow appends one row, (v1,v2,…), to b: vals scrubbed by sc (if not nil)
// through scratch (len(vals) long).
func appendRow(b []byte, vals []sql.RawBytes, scratch [][]byte, cols []column, sc *scrub.Table) []byte {
	for i, v := range vals {
		scratch[i] = v
	}
	var clean []bool
	if sc != nil {
		sc.Row(scratch)
		clean = sc.Clean()
	}
	b = append(b, '(')
	for i, v := range scratch {
		if i > 0 {
			b = append(b, ',')
		}
		k := cols[i].kind
		if sc != nil && v != nil && !sameBytes(v, vals[i]) { // a fake or a rule's constant
			if k == kindNumber && !isNumber(v) {
				k = kindString // the server converts it
			}
			if k == kindString && clean[i] {
				// needs no escaping: what appendString writes, without looking
				b = append(b, '\'')
				b = append(b, v...)
				b = append(b, '\'')
				continue
			}
		}
		b = appendValue(b, v, k)
	}
	return append(b, ')')
}

// sameBytes reports whether a and b are the same bytes in memory (both empty: yes).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func writeStream(ctx context.Context, sink dumpers.Sink, name string, b []byte) error {
	w, err := sink.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create stream %s: %w", name, err)
	}
	if _, err := w.Write(b); err != nil {
		w.Close()
		return fmt.Errorf("write stream %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close stream %s: %w", name, err)
	}
	return nil
}

// dataQuery is the SELECT that reads the dumped columns of t in dump order.
func dataQuery(t *table, where string) (query string, cols []column) {
	var sel []string
	for _, c := range t.columns {
		if !c.generated {
			sel = append(sel, selectExpr(c.name, c.kind))
			cols = append(cols, c)
		}
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(t.name)
	if where != "" {
		q += " WHERE (" + where + ")"
	}
	if len(t.order) > 0 {
		q += " ORDER BY " + strings.Join(t.order, ", ")
	}
	return q, cols
}

// dumpTable streams the rows of t as multi-row INSERT statements, one row per
// line. Memory: one statement (≤ stmtMax, or one row if bigger) plus one row.
//
// sc, if not nil, scrubs each row before it is written.
func dumpTable(ctx context.Context, c *sql.Conn, sink dumpers.Sink, t *table, where string, sc *scrub.Table,
	total *atomic.Int64, report func(dumpers.Progress)) (err error) {
	q, cols := dataQuery(t, where)
	if len(cols) == 0 {
		return nil
	}
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return privilegeErr("read table "+t.name, "SELECT", fmt.Errorf("read table %s: %w", t.name, err))
	}
	defer rows.Close()

	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	header := "INSERT INTO " + quoteIdent(t.name) + " (" + strings.Join(names, ",") + ") VALUES\n"
	vals := make([]sql.RawBytes, len(cols))
	scrubbed := make([][]byte, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var (
		w     io.WriteCloser
		stmt  []byte
		row   []byte
		nrows int64
	)
	defer func() {
		if w != nil {
			if cerr := w.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("close stream %s: %w", dumpers.DataStream(t.name), cerr)
			}
		}
	}()
	flush := func() error {
		if len(stmt) == 0 {
			return nil
		}
		stmt = append(stmt, ";\n"...)
		if w == nil {
			var err error
			if w, err = sink.Create(ctx, dumpers.DataStream(t.name)); err != nil {
				return fmt.Errorf("create stream %s: %w", dumpers.DataStream(t.name), err)
			}
		}
		if _, err := w.Write(stmt); err != nil {
			return fmt.Errorf("write stream %s: %w", dumpers.DataStream(t.name), err)
		}
		report(dumpers.Progress{Table: t.name, Rows: nrows, Bytes: total.Add(int64(len(stmt)))})
		stmt = stmt[:0]
		return nil
	}
	key := keyColumns(t, cols)
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read table %s: %w", t.name, err)
		}
		// The row goes straight into the statement (a copy of every row cost
		// 3 % of a warm publish); back out if it takes the statement past
		// stmtMax: it then starts the next one.
		end := len(stmt)
		if end == 0 {
			stmt = append(stmt, header...)
		} else {
			stmt = append(stmt, ",\n"...)
		}
		stmt = appendRow(stmt, vals, scrubbed, cols, sc)
		if sc != nil && !sc.Active() {
			sc = nil // nothing to scrub, the sample is done
		}
		if end > 0 && len(stmt) > stmtMax {
			row = append(row[:0], stmt[end+2:]...)
			stmt = stmt[:end]
			if err := flush(); err != nil {
				return err
			}
			stmt = append(append(stmt, header...), row...)
		}
		nrows++
		if len(stmt) >= stmtMin && endsStatement(scrubbed, key) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read table %s: %w", t.name, err)
	}
	if err := flush(); err != nil {
		return err
	}
	report(dumpers.Progress{Table: t.name, Rows: nrows, Bytes: total.Load(), Done: true})
	return nil
}
