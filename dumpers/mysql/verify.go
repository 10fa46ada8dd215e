package mysql

import (
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

// Tables taken care of by their rows. The fingerprint proves a table
// unchanged by its change time, and two things defeat that:
//
//   - MariaDB keeps InnoDB's UPDATE_TIME in memory only: after a server restart
//     (a laptop's, or a container's that ddev or docker compose stopped
//     overnight) every table's is NULL until it is written again, and so is a
//     table's that InnoDB evicted from its dictionary cache. A NULL change time
//     proves nothing: the table may have been written, then lost its time.
//   - A local write (a developer's edit, a local application's cache or
//     sessions) moves the time: the table is not the installed one any more.
//
// Before, either made the install a full import. Now, a base table whose
// fingerprint line is the recorded one but for its change time (so its
// structure is the installed one: CREATE_TIME moves with any DDL) is handled
// by its rows. One that lost its time is dumped as the source dumps it — this
// package's dumper, the same session settings — and its data stream compared
// byte for byte with the installed one, read again from the cache
// (dumpers.Reopener), the dump stopped at the first byte that differs; equal,
// nothing is left to do for it, but its change time stays NULL until it is
// written, and it would be compared again at every install: when a delta
// runs anyway, it deletes and inserts the first row of each such table that the
// source did not change, as it was (tableDelta.stamp), which gives the table a
// change time at the delta's commit. One that differs, or was written, is "local":
// the delta merges the new dump's rows with the rows it holds now (a dump of it
// read as it goes, localRows) instead of with the installed snapshot, and so
// brings it back to the new dump, whether or not the source changed it. Then
// the delta goes on from the fingerprint read now: a write after it gives the
// table another change time, which the check before the commit sees
// (changedMeanwhile); a table written in the current second is first let out of
// it (settle). Comparing reads the tables once (our dump took a quarter to a
// third of our import's time, bench/RESULTS.md "Databases"; 0.7 s for 282 MB
// where a full import took 4.3 s, "After a restart of MariaDB"), where a full
// import rewrote them all.
//
// It relies on a table's dump being byte for byte what the source's was: the
// same dumper version, and a server that gives the values back as the
// source's did (the same engine and major version, as a development copy
// usually has; TestInstalledDumpsAsInstalled). Otherwise the compared rows
// differ, and a local table's rows are replaced by their difference — more
// work, the same result. Tables installed empty (their change time NULL since
// the import that created them) are asked for a row, 200 to a query.

// lostTime matches the end of a base table's fingerprint line: its change time.
var lostTime = regexp.MustCompile(` (-|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?)$`)

// localChanges compares now, a current fingerprint, with the recorded one,
// rec. Of the base tables whose line is the recorded one but for their change
// time, lost are those whose time is NULL now, written those with another
// time (a local write, after which the table keeps its structure: CREATE_TIME
// moves with any DDL, TRUNCATE included). was is rec with those tables' lines
// as they are in now and without their checksum lines: the fingerprint to
// compare with the target once their rows are taken care of.
func localChanges(rec, now string) (lost, written []string, was string) {
	recLine := map[string]string{}
	for _, l := range fpLines(rec, true) {
		k, _ := fpKey(l)
		recLine[k] = l
	}
	local := map[string]string{}
	for _, l := range fpLines(now, true) {
		k, t := fpKey(l)
		_, what, _ := strings.Cut(strings.TrimSuffix(l, "\n"), "\t")
		r, ok := recLine[k]
		if t == "" || !ok || !strings.HasPrefix(what, "BASE TABLE ") {
			continue
		}
		_, rwhat, _ := strings.Cut(strings.TrimSuffix(r, "\n"), "\t")
		m, n := lostTime.FindStringIndex(rwhat), lostTime.FindStringIndex(what)
		if m == nil || n == nil || rwhat[:m[0]] != what[:n[0]] {
			continue
		}
		switch {
		case strings.HasSuffix(what, " -"):
			lost = append(lost, t)
		case what != rwhat:
			written = append(written, t)
		default:
			continue
		}
		local[k] = l
	}
	var b, sums strings.Builder
	for _, l := range fpLines(rec, false) {
		k, t := fpKey(l)
		if strings.HasPrefix(k, checksumKind+" ") {
			if local[tableKey(t)] == "" {
				sums.WriteString(l)
			}
			continue
		}
		if nl := local[k]; nl != "" {
			l = nl
		}
		b.WriteString(l)
	}
	return lost, written, b.String() + sums.String()
}

// localSequences returns the sequences whose state in now, a current
// fingerprint, is not the one recorded in rec (a local NEXTVAL), and rec
// with their states as they are in now: the fingerprint to compare with the
// target once the delta sets them to the new dump's values again.
func localSequences(rec, now string) (seqs []string, was string) {
	cur := map[string]string{}
	for _, l := range fpLines(now, false) {
		if k, t := fpKey(l); t != "" && strings.HasPrefix(k, sequenceKind+" ") {
			cur[k] = l
		}
	}
	var b strings.Builder
	for _, l := range fpLines(rec, false) {
		if k, t := fpKey(l); cur[k] != "" && cur[k] != l {
			seqs = append(seqs, t)
			l = cur[k]
		}
		b.WriteString(l)
	}
	return seqs, b.String()
}

// tableKey is the fingerprint key of table's line.
func tableKey(table string) string { return "table " + hex.EncodeToString([]byte(table)) }

// verifyRows dumps tables (verifyParallel at a time) and compares each one's
// data stream with the installed one. It returns the tables that differ, how
// many had rows and the installed ones, and a reason when the installed
// snapshot cannot be read again.
func (d *deltaInstall) verifyRows(ctx context.Context, rec *record, tables []string) (differ []string, equal int, reason string, err error) {
	// Tables installed empty (most of those whose change time is NULL when
	// the server did not restart) are checked many to a query.
	var empty, dumped []string
	for _, name := range tables {
		if _, ok := rec.refs[dumpers.DataStream(name)]; ok {
			dumped = append(dumped, name)
		} else {
			empty = append(empty, name)
		}
	}
	for len(empty) > 0 {
		n := min(len(empty), emptyBatch)
		filled, err := d.withRows(ctx, empty[:n])
		if err != nil {
			return nil, 0, "", fmt.Errorf("compare the tables with the installed ones: %w", err)
		}
		differ, empty = append(differ, filled...), empty[n:]
	}
	tables = dumped
	results := make([]error, len(tables))
	var rows atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyParallel)
	for i, name := range tables {
		g.Go(func() error {
			err := d.verifyTable(gctx, rec, name)
			if err == nil {
				rows.Add(1)
			}
			if errors.Is(err, dumpers.ErrDiffers) || errors.Is(err, dumpers.ErrNoSnapshot) {
				results[i], err = err, nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, "", fmt.Errorf("compare the tables with the installed ones: %w", err)
	}
	for i, r := range results {
		switch {
		case errors.Is(r, dumpers.ErrNoSnapshot):
			return nil, 0, dumpers.NoSnapshot, nil
		case r != nil:
			differ = append(differ, tables[i])
		}
	}
	return differ, int(rows.Load()), "", nil
}

// verifyParallel is how many tables verifyRows dumps at once (the dumper's
// default).
const verifyParallel = 4

// emptyBatch is how many tables withRows asks about in one query.
var emptyBatch = 200

// withRows returns those of tables that hold a row.
func (d *deltaInstall) withRows(ctx context.Context, tables []string) ([]string, error) {
	q := make([]string, len(tables))
	for i, t := range tables {
		q[i] = "EXISTS (SELECT 1 FROM " + quoteIdent(d.target) + "." + quoteIdent(t) + ")"
	}
	got := make([]bool, len(tables))
	ptrs := make([]any, len(tables))
	for i := range got {
		ptrs[i] = &got[i]
	}
	if err := d.db.QueryRowContext(ctx, "SELECT "+strings.Join(q, ", ")).Scan(ptrs...); err != nil {
		return nil, err
	}
	var out []string
	for i, t := range tables {
		if got[i] {
			out = append(out, t)
		}
	}
	return out, nil
}

// verifyTable dumps table and compares it with its installed data stream
// (there is one): dumpers.ErrDiffers when they differ.
func (d *deltaInstall) verifyTable(ctx context.Context, rec *record, name string) error {
	sink := &dumpers.CompareSink{Re: d.re, Want: rec.refs[dumpers.DataStream(name)]}
	if err := d.dumpTable(ctx, name, sink); err != nil {
		return err
	}
	if !sink.Created { // no rows now
		return dumpers.ErrDiffers
	}
	return nil
}

// dumpTable dumps table of the target into sink, as the source's dumper does.
func (d *deltaInstall) dumpTable(ctx context.Context, name string, sink dumpers.Sink) error {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "USE "+quoteIdent(d.target)); err != nil {
		return err
	}
	if err := setupSession(ctx, c, ""); err != nil {
		return err
	}
	t := &table{name: name}
	if err := readTable(ctx, c, t); err != nil {
		return err
	}
	var total atomic.Int64
	return dumpTable(ctx, c, sink, t, "", nil, &total, func(dumpers.Progress) {})
}

// localRows is a reader of the rows table holds now, dumped as the source's
// dumper does: the old stream of a table changed locally.
func (d *deltaInstall) localRows(ctx context.Context, name string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(d.dumpTable(ctx, name, dumpers.WriterSink{W: pw}))
	}()
	return pr
}
