package postgres

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"

	"synco/dumpers"
	"synco/dumpers/scrub"
)

// copyColumns returns the quoted columns whose values are dumped: all but
// generated ones, which the server computes again on load.
func (t *table) copyColumns() []string {
	var cols []string
	for _, c := range t.cols {
		if c.generated == "" {
			cols = append(cols, c.qname)
		}
	}
	return cols
}

// copyQuery is the statement whose output is the table's data: rows in
// primary-key order, or, without a primary key, in the byte order (COLLATE
// "C") of the whole row's text, which is total: rows with equal text print
// the same bytes.
func (t *table) copyQuery(where string) string {
	cols := strings.Join(t.copyColumns(), ", ")
	q := "COPY (SELECT " + cols + " FROM ONLY " + t.qname + " AS t"
	if where != "" {
		q += " WHERE (" + where + ")"
	}
	if len(t.pk) > 0 {
		q += " ORDER BY " + strings.Join(t.pk, ", ")
	} else {
		q += " ORDER BY ROW(" + prefixed("t.", t.copyColumns()) + ")::text COLLATE \"C\""
	}
	return q + ") TO STDOUT"
}

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

// rowCounter counts rows (COPY text rows end in '\n'; newlines inside values are
// escaped) and bytes of one table, reporting every reportEvery bytes; the dump's
// writer and the import's reader share it.
type rowCounter struct {
	table    string
	rows     int64
	sinceRep int64
	total    *atomic.Int64
	report   func(dumpers.Progress)
}

const reportEvery = 1 << 20

func (c *rowCounter) count(b []byte) {
	c.rows += int64(bytes.Count(b, []byte{'\n'}))
	c.sinceRep += int64(len(b))
	all := c.total.Add(int64(len(b)))
	if c.report != nil && c.sinceRep >= reportEvery {
		c.sinceRep = 0
		c.report(dumpers.Progress{Table: c.table, Rows: c.rows, Bytes: all})
	}
}

// progressWriter counts what is written through it.
type progressWriter struct {
	w io.Writer
	rowCounter
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.count(b[:n])
	return n, err
}

// dumpTable writes data/<schema.table>.sql: one COPY block.
// sc, if not nil, scrubs each row before it is written.
func dumpTable(ctx context.Context, conn *pgconn.PgConn, sink dumpers.Sink, t *table, where string, sc *scrub.Table,
	total *atomic.Int64, report func(dumpers.Progress)) (err error) {
	name := t.schema + "." + t.name
	out, err := sink.Create(ctx, dumpers.DataStream(name))
	if err != nil {
		return fmt.Errorf("create stream for %s: %w", t.qname, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close stream for %s: %w", t.qname, cerr)
		}
	}()
	bw := bufio.NewWriterSize(out, 64<<10)
	head := "COPY " + t.qname + " (" + strings.Join(t.copyColumns(), ", ") + ") FROM stdin;\n"
	total.Add(int64(len(head)))
	if _, err := bw.WriteString(head); err != nil {
		return fmt.Errorf("write data of %s: %w", t.qname, err)
	}
	pw := &progressWriter{w: bw, rowCounter: rowCounter{table: name, total: total, report: report}}
	var copyOut io.Writer = pw
	if sc != nil {
		copyOut = newCopyScrubber(pw, sc)
	}
	if _, err := conn.CopyTo(ctx, copyOut, t.copyQuery(where)); err != nil {
		return fmt.Errorf("dump data of %s: %w", t.qname, privErr(err, "SELECT on table "+t.qname))
	}
	total.Add(3)
	if _, err := bw.WriteString("\\.\n"); err != nil {
		return fmt.Errorf("write data of %s: %w", t.qname, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write data of %s: %w", t.qname, err)
	}
	if report != nil {
		report(dumpers.Progress{Table: name, Rows: pw.rows, Bytes: total.Load(), Done: true})
	}
	return nil
}
