package mysql

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"synco/dumpers"
)

// Tables proven by their rows. MariaDB keeps InnoDB's UPDATE_TIME in memory
// only: after a server restart — a laptop's, or a container's that ddev or
// docker compose stopped overnight — every table's is NULL until it is written
// again, and so is a table's that InnoDB evicted from its dictionary cache. A
// NULL change time proves nothing: a table may have been written and then have
// lost its time. Such a table (a base table whose fingerprint line is the
// recorded one but for a NULL change time) is dumped as the source dumps it —
// this package's dumper, the same session settings — and its data stream
// compared byte for byte with the installed one, read again from the cache
// (dumpers.Reopener); the dump stops at the first byte that differs. Equal, the
// table holds the installed rows, and the delta goes on from the fingerprint
// read now: a write after the dump gives the table a change time, which the
// check before the commit sees (changedMeanwhile). This reads the tables once
// (our dump took a quarter to a third of our import's time, bench/RESULTS.md
// "Databases"), where a full import rewrote them all.
//
// It needs the dump of a table to be byte for byte what the source's was:
// the same dumper version, and a server that gives the values back as the
// source's did (the same engine and major version, as a development copy
// usually has). Otherwise the rows differ and the install is a full one, as
// before. An empty table (its change time NULL since the import that created
// it) costs one query.

// lostTime matches the end of a base table's fingerprint line: its change time.
var lostTime = regexp.MustCompile(` (-|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?)$`)

// lostTimes returns the base tables whose change time is NULL in now, a
// current fingerprint, and whose line is otherwise the one of the recorded
// fingerprint rec; and rec with those tables' lines as they are in now and
// without their checksum lines: the fingerprint to compare with the target
// once their rows are proven.
func lostTimes(rec, now string) (tables []string, was string) {
	recLine := map[string]string{}
	for _, l := range fpLines(rec, true) {
		k, _ := fpKey(l)
		recLine[k] = l
	}
	lost := map[string]string{}
	for _, l := range fpLines(now, true) {
		k, t := fpKey(l)
		_, what, _ := strings.Cut(strings.TrimSuffix(l, "\n"), "\t")
		r, ok := recLine[k]
		if t == "" || !ok || !strings.HasPrefix(what, "BASE TABLE ") || !strings.HasSuffix(what, " -") {
			continue
		}
		_, rwhat, _ := strings.Cut(strings.TrimSuffix(r, "\n"), "\t")
		if m := lostTime.FindStringIndex(rwhat); m != nil && rwhat[:m[0]] == what[:len(what)-2] {
			tables = append(tables, t)
			lost[k] = l
		}
	}
	var b, sums strings.Builder
	for _, l := range fpLines(rec, false) {
		k, _ := fpKey(l)
		if strings.HasPrefix(k, checksumKind+" ") {
			n, _ := hex.DecodeString(strings.TrimPrefix(k, checksumKind+" "))
			if lost[tableKey(string(n))] == "" {
				sums.WriteString(l)
			}
			continue
		}
		if nl := lost[k]; nl != "" {
			l = nl
		}
		b.WriteString(l)
	}
	return tables, b.String() + sums.String()
}

// tableKey is the fingerprint key of table's line.
func tableKey(table string) string { return "table " + hex.EncodeToString([]byte(table)) }

// errDiffers stops the other tables' dumps once one differs.
var errDiffers = errors.New("rows differ from the installed ones")

// verifyRows dumps tables (verifyParallel at a time) and compares each one's
// data stream with the installed one; it returns a reason when one differs or
// cannot be compared, and how many tables had rows to compare.
func (d *deltaInstall) verifyRows(ctx context.Context, rec *record, tables []string) (string, int, error) {
	reasons := make([]string, len(tables))
	var compared atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyParallel)
	for i, name := range tables {
		g.Go(func() error {
			reason, rows, err := d.verifyTable(gctx, rec, name)
			if err == nil && reason != "" {
				reasons[i], err = reason, errDiffers
			}
			if rows {
				compared.Add(1)
			}
			return err
		})
	}
	err := g.Wait()
	for _, r := range reasons {
		if r != "" {
			return r, 0, nil
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("compare the tables with the installed ones: %w", err)
	}
	return "", int(compared.Load()), nil
}

// verifyParallel is how many tables verifyRows dumps at once (the dumper's
// default).
const verifyParallel = 4

// verifyTable dumps table and compares it with its installed data stream
// (rows: there was one to compare; a table installed empty costs one query).
func (d *deltaInstall) verifyTable(ctx context.Context, rec *record, name string) (reason string, rows bool, err error) {
	differs := fmt.Sprintf("table %s changed locally since the last install (its rows differ from the installed ones; MariaDB had forgotten when it changed, after a restart of the server)", quoteIdent(name))
	want, wanted := rec.refs[dumpers.DataStream(name)]
	if !wanted {
		var any bool
		if err := d.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+quoteIdent(d.target)+"."+quoteIdent(name)+")").Scan(&any); err != nil {
			return "", false, err
		}
		if any {
			return differs, false, nil
		}
		return "", false, nil
	}
	c, err := d.db.Conn(ctx)
	if err != nil {
		return "", true, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "USE "+quoteIdent(d.target)); err != nil {
		return "", true, err
	}
	if err := setupSession(ctx, c, ""); err != nil {
		return "", true, err
	}
	t := &table{name: name}
	if err := readTable(ctx, c, t); err != nil {
		return "", true, err
	}
	sink := &compareSink{re: d.re, want: want}
	var total atomic.Int64
	err = dumpTable(ctx, c, sink, t, "", nil, &total, func(dumpers.Progress) {})
	switch {
	case errors.Is(err, errDiffers):
		return differs, true, nil
	case errors.Is(err, errNoSnapshot):
		return "the cache no longer holds the installed snapshot", true, nil
	case err != nil:
		return "", true, err
	case !sink.created: // no rows now
		return differs, true, nil
	}
	return "", true, nil
}

// errNoSnapshot: the installed stream cannot be read again from the cache.
var errNoSnapshot = errors.New("the installed stream is gone")

// compareSink takes a table's data stream from dumpTable and compares it with
// the installed one, want.
type compareSink struct {
	re      dumpers.Reopener
	want    dumpers.StreamRef
	created bool
}

func (s *compareSink) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	s.created = true
	r, err := s.re.Reopen(ctx, s.want)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errNoSnapshot
	}
	return &compareWriter{r: r}, nil
}

// compareWriter compares what is written with r.
type compareWriter struct {
	r   io.ReadCloser
	buf []byte
}

func (w *compareWriter) Write(p []byte) (int, error) {
	if cap(w.buf) < len(p) {
		w.buf = make([]byte, len(p))
	}
	b := w.buf[:len(p)]
	if _, err := io.ReadFull(w.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, errDiffers // more rows now
		}
		return 0, errNoSnapshot
	}
	if !bytes.Equal(b, p) {
		return 0, errDiffers
	}
	return len(p), nil
}

// Close reports errDiffers when the installed stream goes on (fewer rows now).
func (w *compareWriter) Close() error {
	defer w.r.Close()
	var one [1]byte
	switch n, err := io.ReadFull(w.r, one[:]); {
	case n > 0:
		return errDiffers
	case errors.Is(err, io.EOF):
		return nil
	default:
		return errNoSnapshot
	}
}
