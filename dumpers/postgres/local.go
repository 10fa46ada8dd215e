package postgres

import (
	"context"
	"errors"
	"io"
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
// number) gets the new dump's value (its setval in post.sql).
//
// It relies on a table's dump being byte for byte what the source's was (the
// same dumper version and a server that gives the values back alike;
// TestInstalledDumpsAsInstalled). Otherwise the rows differ and are replaced
// by their difference: more work, the same result.

// localChanges compares the fingerprint now with the recorded one, was. It
// returns the data streams of the tables whose counters alone moved and the
// sequences whose value alone moved; ok is false when anything else differs.
func localChanges(was, now *fingerprint) (tables, seqs []string, ok bool) {
	a, b := catLines(was.cat), catLines(now.cat)
	if len(a) != len(b) {
		return nil, nil, false
	}
	for k, l := range b {
		if a[k] == l {
			continue
		}
		// a sequence's line ends with its value
		i, j := strings.LastIndexByte(a[k], ' '), strings.LastIndexByte(l, ' ')
		if !strings.HasPrefix(k, "relation\t") || !strings.HasPrefix(l, "S ") || i < 0 || j < 0 || a[k][:i] != l[:j] {
			return nil, nil, false
		}
		seqs = append(seqs, k)
	}
	if len(was.stats) != len(now.stats) {
		return nil, nil, false
	}
	for n, c := range now.stats {
		w, in := was.stats[n]
		if !in {
			return nil, nil, false
		}
		if w != c {
			tables = append(tables, n)
		}
	}
	return tables, seqs, true
}

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
