package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"synco/dumpers"
)

// Tables changed locally. A table written since the last install (a
// developer's edit, a local application's sessions or cache) moves its change
// counters, and so made the install a full import. Now a table whose catalog
// line is the recorded one (its structure, its file: TRUNCATE, VACUUM FULL and
// CLUSTER give it a new one) and whose counters alone moved is "local": the
// delta merges the new dump's rows with the rows it holds now — a dump of it
// by this package's dumper, read as the merge goes (localRows) — instead of
// with the installed snapshot, and so brings it back to the new dump in the
// same transaction, whether or not the source changed it. Its counters are
// recorded as read now plus the delta's rows: a write after that read shows at
// the next install. A sequence whose value alone moved (a local insert took a
// number) gets the new dump's value (its setval in post.sql). When the
// statistics were reset (pg_stat_reset, or a crash or an immediate shutdown of
// the server), the counters no longer tell: every table is compared with the
// installed snapshot by its rows (a dump of it, stopped at the first byte that
// differs: dumpers.CompareSink), and those that differ are local.
//
// It relies on a table's dump being byte for byte what the source's was (the
// same dumper version and a server that gives the values back alike;
// TestInstalledDumpsAsInstalled). Otherwise the rows differ and are replaced
// by their difference: more work, the same result.

// localChanges compares the fingerprint now with the recorded one, was. It
// returns the data streams of the tables whose counters alone moved (every
// table's when the statistics were reset: reset) and the sequences whose value
// alone moved; ok is false when anything else differs.
func localChanges(was, now *fingerprint) (tables, seqs []string, reset, ok bool) {
	a, b := catLines(was.cat), catLines(now.cat)
	if len(a) != len(b) {
		return nil, nil, false, false
	}
	for k, l := range b {
		if a[k] == l {
			continue
		}
		if k == statsResetKey {
			reset = true // every table's counters start again from 0
			continue
		}
		// a sequence's line ends with its value
		i, j := strings.LastIndexByte(a[k], ' '), strings.LastIndexByte(l, ' ')
		if !strings.HasPrefix(k, "relation\t") || !strings.HasPrefix(l, "S ") || i < 0 || j < 0 || a[k][:i] != l[:j] {
			return nil, nil, false, false
		}
		seqs = append(seqs, k)
	}
	if len(was.stats) != len(now.stats) {
		return nil, nil, false, false
	}
	for n, c := range now.stats {
		w, in := was.stats[n]
		if !in {
			return nil, nil, false, false
		}
		if w != c || reset {
			tables = append(tables, n)
		}
	}
	slices.Sort(tables)
	slices.Sort(seqs)
	return tables, seqs, reset, true
}

// statsResetKey is the catalog print's line of pg_stat_database.stats_reset.
const statsResetKey = "stats reset\t"

// catLines maps each line of a catalog print by its kind and name to its value.
func catLines(cat string) map[string]string {
	m := map[string]string{}
	for l := range strings.Lines(cat) {
		kind, rest, _ := strings.Cut(strings.TrimSuffix(l, "\n"), "\t")
		name, value, _ := strings.Cut(rest, "\t")
		m[kind+"\t"+name] = value
	}
	return m
}

// localRows is a reader of the rows the table of stream holds now, dumped as
// the source's dumper does (in a snapshot of its own).
func (d *deltaInstall) localRows(ctx context.Context, stream string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(d.dumpLocal(ctx, stream, dumpers.WriterSink{W: pw}))
	}()
	return pr
}

func (d *deltaInstall) dumpLocal(ctx context.Context, stream string, sink dumpers.Sink) error {
	snap, err := openSnapshot(ctx, d.cfg)
	if err != nil {
		return err
	}
	defer snap.close(context.WithoutCancel(ctx))
	cat := &catalog{version: snap.version}
	if err := cat.load(ctx, snap.conn); err != nil {
		return err
	}
	for _, t := range cat.tables {
		if dumpers.DataStream(t.schema+"."+t.name) == stream {
			var total atomic.Int64
			return dumpTable(ctx, snap.conn, sink, t, "", nil, &total, nil)
		}
	}
	return errors.New("table of " + stream + " not found")
}

// openNew opens the new data stream of td (empty when the new dump has none).
func (d *deltaInstall) openNew(ctx context.Context, td *tableDelta) (io.ReadCloser, error) {
	if td.noNew {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return d.src.Open(ctx, td.stream)
}

// differing returns those of tables (data streams) whose rows differ from the
// installed ones (rec): all dumped in one snapshot, verifyParallel at a time;
// reason is set when the installed snapshot cannot be read again.
func (d *deltaInstall) differing(ctx context.Context, rec *record, tables []string) (differ []string, reason string, err error) {
	snap, err := openSnapshot(ctx, d.cfg)
	if err != nil {
		return nil, "", err
	}
	defer snap.close(context.WithoutCancel(ctx))
	cat := &catalog{version: snap.version}
	if err := cat.load(ctx, snap.conn); err != nil {
		return nil, "", err
	}
	sink := &comparisons{re: d.re, rec: rec, got: map[string]*comparison{}}
	var jobs []dataJob
	for _, t := range cat.tables {
		if n := dumpers.DataStream(t.schema + "." + t.name); slices.Contains(tables, n) {
			sink.got[n] = &comparison{}
			if len(t.copyColumns()) > 0 { // else no dump has its rows (applyOptions)
				jobs = append(jobs, dataJob{t: t})
			}
		}
	}
	if len(sink.got) != len(tables) {
		return nil, "", errors.New("compare the tables with the installed ones: a table is missing")
	}
	var total atomic.Int64
	if err := dumpData(ctx, snap, sink, jobs, dumpers.Options{Parallel: verifyParallel}, &total); err != nil {
		return nil, "", fmt.Errorf("compare the tables with the installed ones: %w", err)
	}
	for _, n := range tables {
		switch v := sink.got[n]; {
		case errors.Is(v.err, dumpers.ErrNoSnapshot):
			return nil, dumpers.NoSnapshot, nil
		case v.err != nil || (v.empty != nil && !v.empty.empty()):
			differ = append(differ, n)
		}
	}
	return differ, "", nil
}

// comparisons is the sink of differing's dump: each table's stream goes to a
// comparison with its installed one (dumpers.CompareSink), or, for a table
// installed empty, to rowsFound. A difference is noted and the rest of the
// table read on, so that the other tables' dumps go on.
type comparisons struct {
	re  dumpers.Reopener
	rec *record
	got map[string]*comparison // by stream; filled before the dump, read after
}

// comparison is one table's: err (dumpers.ErrDiffers, ErrNoSnapshot) or, for a
// table installed empty, what its dump wrote.
type comparison struct {
	err   error
	w     io.WriteCloser
	empty *rowsFound
}

func (s *comparisons) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	v := s.got[name]
	if ref, ok := s.rec.refs[name]; ok {
		w, err := (&dumpers.CompareSink{Re: s.re, Want: ref}).Create(ctx, name)
		if err != nil {
			v.err = err
		}
		v.w = w
	} else {
		v.empty = &rowsFound{}
	}
	return v, nil
}

func (v *comparison) Write(p []byte) (int, error) {
	switch {
	case v.err != nil:
	case v.empty != nil:
		if _, err := v.empty.Write(p); err != nil {
			v.err = err
		}
	case v.w != nil:
		if _, err := v.w.Write(p); err != nil {
			v.err = err
		}
	}
	return len(p), nil
}

func (v *comparison) Close() error {
	if v.w != nil {
		if err := v.w.Close(); err != nil && v.err == nil {
			v.err = err
		}
	}
	return nil
}

// verifyParallel is how many tables differing dumps at once.
const verifyParallel = 4

// rowsFound takes the dump of a table installed empty: more than a COPY line
// and the end of its data is a row (dumpers.ErrDiffers as soon as it cannot be
// the dump of no row).
type rowsFound struct{ b []byte }

func (r *rowsFound) Write(p []byte) (int, error) {
	r.b = append(r.b, p...)
	if bytes.Count(r.b, []byte{'\n'}) > 2 || len(r.b) > 1<<20 {
		return 0, dumpers.ErrDiffers
	}
	return len(p), nil
}

// empty reports whether the dump written was that of no row.
func (r *rowsFound) empty() bool {
	return bytes.Count(r.b, []byte{'\n'}) == 2 && bytes.HasPrefix(r.b, []byte("COPY ")) && bytes.HasSuffix(r.b, []byte("\n\\.\n"))
}
