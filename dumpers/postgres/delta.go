package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"synco/dumpers"
	"synco/dumpers/delta"
)

// deltaLimit caps the memory of a delta install (the rows to delete and insert,
// and the rows the merge holds while looking for a common key); beyond it a full
// import is done, which is then no slower anyway.
var deltaLimit = 256 << 20

// statsQuiet is how long ago another session must have gone idle for its
// change counters to be counted for sure (statsUsable).
const statsQuiet = "11 seconds"

// Install installs a dump into the database cfg names: as a delta when the
// target still is what the last install left (package doc, "Delta install"),
// else with ImportWithMode, and records what it installed in the target's
// RecordTable (only when src is a dumpers.Reopener: then the next install can be
// a delta). The LoadMode is that of a full import (0 for a delta or no change).
// A failure or a cancelled ctx during a delta rolls its transaction back: the
// target holds the previous snapshot. Errors: as ImportWithMode; a refused
// statement in a changed stream is a *dumpers.RefusedError on the delta path too
// (no fallback). When the snapshot is installed but could not be recorded, the
// error is a *dumpers.CleanupError (the next install is a full one).
func Install(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) (dumpers.Installed, LoadMode, error) {
	re, ok := src.(dumpers.Reopener)
	var refs map[string]dumpers.StreamRef
	if ok {
		refs, ok = refsOf(src, re)
	}
	if !ok {
		mode, err := ImportWithMode(ctx, cfg, src, progress)
		return dumpers.Installed{Mode: "full"}, mode, err
	}
	d := &deltaInstall{cfg: cfg, src: src, re: re, refs: refs, progress: progress}
	inst, reason, err := d.try(ctx)
	if err != nil {
		return inst, 0, fmt.Errorf("import into %s: %w", cfg, err)
	}
	if reason == "" {
		return inst, 0, nil
	}
	inst = dumpers.Installed{Mode: "full", Reason: reason}
	rows := &loadedRows{rows: map[string]int64{}}
	mode, err := ImportWithMode(ctx, cfg, src, rows.wrap(progress))
	var ce *dumpers.CleanupError
	if err != nil && !errors.As(err, &ce) {
		return inst, mode, err
	}
	if rerr := d.recordFull(ctx, rows.rows); rerr != nil {
		rerr = fmt.Errorf("record what was installed in %s (the next install will be a full one): %w", cfg, rerr)
		if err != nil {
			return inst, mode, &dumpers.CleanupError{Err: errors.Join(ce.Err, rerr)}
		}
		return inst, mode, &dumpers.CleanupError{Err: rerr}
	}
	return inst, mode, err
}

// loadedRows collects the rows a full import loaded per data stream.
type loadedRows struct {
	mu   sync.Mutex
	rows map[string]int64
}

func (l *loadedRows) wrap(progress func(dumpers.Progress)) func(dumpers.Progress) {
	return func(p dumpers.Progress) {
		if p.Done && p.Table != "" {
			l.mu.Lock()
			l.rows[dumpers.DataDir+p.Table+".sql"] += p.Rows
			l.mu.Unlock()
		}
		if progress != nil {
			progress(p)
		}
	}
}

type deltaInstall struct {
	cfg      *Config
	src      dumpers.Source
	re       dumpers.Reopener
	refs     map[string]dumpers.StreamRef // of the new dump
	progress func(dumpers.Progress)
	recorded bool // an install with nothing to do wrote the record (after a statistics reset)
}

// open connects to the target as an install session.
func (d *deltaInstall) open(ctx context.Context) (*pgconn.PgConn, error) {
	conn, err := connect(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	if err := exec(ctx, conn, importSession+";\nSET application_name = '"+installApp+"'"); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("set session: %w", err)
	}
	return conn, nil
}

// lock takes the install lock of the target for the transaction.
func lock(ctx context.Context, conn *pgconn.PgConn) error {
	return exec(ctx, conn, "SELECT pg_advisory_xact_lock(hashtext('synco install'), hashtext(current_database()))")
}

// recordFull records a full install: refs and the fingerprint, whose counters
// are what the import did (rows: rows loaded per data stream, nothing updated or
// deleted). It first waits a little for the loading sessions' counters to
// reach the server's statistics, so that they are not taken for a local edit.
func (d *deltaInstall) recordFull(ctx context.Context, rows map[string]int64) error {
	conn, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var stats map[string]counts
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		if stats, err = readStats(ctx, conn); err != nil {
			return err
		}
		settled := true
		for n, c := range stats {
			if c != (counts{rows[n], 0, 0, 0}) {
				settled = false
			}
		}
		if settled || wait > 2*time.Second {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	for n := range stats {
		stats[n] = counts{rows[n], 0, 0, 0}
	}
	return inTx(ctx, conn, func() error {
		if err := lock(ctx, conn); err != nil {
			return err
		}
		cat, err := readCatalogPrint(ctx, conn)
		if err != nil {
			return err
		}
		fp := &fingerprint{cat: cat, stats: stats}
		return writeRecord(ctx, conn, d.refs, fp.String())
	})
}

// tableDelta is the difference of one changed table.
type tableDelta struct {
	stream string
	oid    string
	qname  string   // quoted, schema-qualified (by the server)
	keyCol []string // primary-key columns
	qkey   []string // the same, quoted by the server
	// whole: the table has a unique index besides the primary key, or an
	// exclusion constraint: every delete of its difference runs before any
	// insert, as a changed row may take a value another row gives up further
	// on — the deletes in parts as the merge finds them, the inserts in one
	// part at its end (delta.Parts.DeletesFirst).
	whole bool
	keys  bool // the temporary table of keys to delete was made
	// local: changed locally since the last install (local.go), its old rows
	// are read from the target, not the installed snapshot; noNew: the new
	// dump has no data stream for it (no rows).
	local, noNew bool
}

// deltaPart is how much of a table's difference (bytes of keys and rows) is
// applied at once, while the next part is computed (as in package mysql).
var deltaPart = 256 << 10

// tablePart is a part of a table's difference, or its end (end; reason or err
// when a full import is needed or it failed).
type tablePart struct {
	td   *tableDelta
	diff *delta.Diff
	stmt string // the new stream's COPY statement, for diff's inserts
	// rewrite: every row of the table goes, before the parts that follow
	// insert the new stream's rows (a table filled anew: deltaInstall.rewrite).
	rewrite bool
	end     bool
	reason  string
	err     error
}

// try applies the dump as a delta. It returns a reason when a full import is
// needed instead (then it changed nothing), an error when the install failed.
func (d *deltaInstall) try(ctx context.Context) (dumpers.Installed, string, error) {
	conn, err := d.open(ctx)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "3D000" {
		return dumpers.Installed{}, "no record of an earlier install", nil // no such database
	}
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := exec(ctx, conn, "BEGIN"); err != nil {
		return dumpers.Installed{}, "", err
	}
	inst, reason, err := d.inTx(ctx, conn)
	if err != nil || reason != "" || (inst.Mode != "delta" && !d.recorded) {
		if rerr := exec(context.WithoutCancel(ctx), conn, "ROLLBACK"); rerr != nil {
			die(conn)
		}
		return inst, reason, err
	}
	res, err := conn.Exec(ctx, "COMMIT").ReadAll()
	if err == nil && len(res) == 1 && res[0].CommandTag.String() == "ROLLBACK" {
		err = errors.New("commit unexpectedly resulted in rollback")
	}
	if err != nil {
		return dumpers.Installed{}, "", fmt.Errorf("commit: %w", err)
	}
	// Our own counters reach the statistics now, not 1 to 10 s later.
	_ = exec(context.WithoutCancel(ctx), conn, "SELECT pg_stat_force_next_flush()")
	return inst, "", nil
}

func (d *deltaInstall) inTx(ctx context.Context, conn *pgconn.PgConn) (dumpers.Installed, string, error) {
	if err := lock(ctx, conn); err != nil {
		return dumpers.Installed{}, "", err
	}
	rec, err := readRecord(ctx, conn)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	if rec == nil || rec.fp == "" {
		return dumpers.Installed{}, "no record of an earlier install", nil
	}
	if !slices.Equal(slices.Sorted(maps.Keys(rec.refs)), slices.Sorted(maps.Keys(d.refs))) {
		return dumpers.Installed{}, "tables were added or removed at the source", nil
	}
	if reason, err := statsUsable(ctx, conn); err != nil || reason != "" {
		return dumpers.Installed{}, reason, err
	}
	was, err := parseFingerprint(rec.fp)
	if err != nil {
		return dumpers.Installed{}, "no record of an earlier install", nil
	}
	now, err := readFingerprint(ctx, conn)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	var inst dumpers.Installed
	var local, localSeqs []string
	if a, b := was.String(), now.String(); a != b {
		var reset, ok bool
		if local, localSeqs, reset, ok = localChanges(was, now); !ok {
			return dumpers.Installed{}, fingerprintDiff(a, b) + " changed locally since the last install (or an install was interrupted)", nil
		}
		if reset { // the counters no longer tell: the rows do
			differ, reason, err := d.differing(ctx, rec, local)
			if err != nil || reason != "" {
				return dumpers.Installed{}, reason, err
			}
			inst.Verified, local = len(local)-len(differ), differ
		}
		// Tables and sequences changed locally (local.go): from the
		// counters and values they have now.
		was = now
		inst.Local = len(local)
	}
	if rec.refs[dumpers.SchemaStream].Hash != d.refs[dumpers.SchemaStream].Hash {
		return dumpers.Installed{}, d.schemaChanged(ctx, rec.refs[dumpers.SchemaStream]), nil
	}
	var setvals []string
	if rec.refs[dumpers.PostStream].Hash != d.refs[dumpers.PostStream].Hash {
		var reason string
		setvals, reason, err = d.comparePost(ctx, rec.refs[dumpers.PostStream])
		if err != nil || reason != "" {
			return dumpers.Installed{}, reason, err
		}
	}
	if len(localSeqs) > 0 {
		// The new dump's value of every sequence (setval leaves an
		// unchanged one as it is).
		all, reason, err := d.newSetvals(ctx)
		if err != nil || reason != "" {
			return dumpers.Installed{}, reason, err
		}
		setvals = all
	}
	var changed []string
	for _, n := range d.src.Names() {
		if _, ok := dumpers.TableOf(n); ok && (rec.refs[n].Hash != d.refs[n].Hash || slices.Contains(local, n)) {
			changed = append(changed, n)
		}
	}
	for _, n := range local {
		if _, ok := d.refs[n]; !ok {
			changed = append(changed, n) // rows where the new dump has none
		}
	}
	if len(changed) == 0 && len(setvals) == 0 {
		inst.Mode = "unchanged"
		if inst.Verified > 0 || inst.Local > 0 {
			// The counters after a reset, so that the next install need
			// not compare the rows again.
			if err := writeRecord(ctx, conn, d.refs, now.String()); err != nil {
				return dumpers.Installed{}, "", err
			}
			d.recorded = true
		}
		return inst, "", nil
	}
	replica, err := mayReplica(ctx, conn)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	tds, reason, err := d.tables(ctx, conn, changed, replica)
	if err != nil || reason != "" {
		return dumpers.Installed{}, reason, err
	}
	for _, td := range tds {
		_, has := d.refs[td.stream]
		td.local, td.noNew = slices.Contains(local, td.stream), !has
	}
	applied, reason, err := d.apply(ctx, conn, rec, tds, setvals, replica, was)
	applied.Local, applied.Verified = inst.Local, inst.Verified
	return applied, reason, err
}

// newSetvals returns the setval statement of every sequence in the new dump's
// post.sql (checked).
func (d *deltaInstall) newSetvals(ctx context.Context) ([]string, string, error) {
	r, err := d.src.Open(ctx, dumpers.PostStream)
	if err != nil {
		return nil, "", fmt.Errorf("open stream %s: %w", dumpers.PostStream, err)
	}
	_, set, err := postStatements(r, true)
	r.Close()
	if err != nil {
		return nil, "", err
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(set)) {
		out = append(out, set[n])
	}
	return out, "", nil
}

// diffs computes the differences of the changed tables, two at a time, and
// hands them to send in parts, then each table's end; it returns when all
// are done or one failed (then ctx is cancelled for the others).
func (d *deltaInstall) diffs(ctx context.Context, rec *record, tds []*tableDelta, send func(tablePart) error) {
	var budget atomic.Int64
	budget.Store(int64(deltaLimit))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for _, td := range tds {
		g.Go(func() error {
			end := tablePart{td: td, end: true}
			end.reason, end.err = d.diff(gctx, rec, td, &budget, send)
			if err := send(end); err != nil {
				return err
			}
			if end.err != nil || end.reason != "" {
				return errFallback // stop the others
			}
			return nil
		})
	}
	_ = g.Wait()
}

// errFallback stops the other diffs when one failed or found that a full
// import is needed.
var errFallback = errors.New("full import needed")

// errTooMuch: the parts handed over so far exceed deltaLimit.
var errTooMuch = errors.New("too many rows changed")

func (d *deltaInstall) diff(ctx context.Context, rec *record, td *tableDelta, budget *atomic.Int64, send func(tablePart) error) (string, error) {
	var old io.ReadCloser
	var err error
	if td.local {
		old = d.localRows(ctx, td.stream)
	} else if old, err = d.re.Reopen(ctx, rec.refs[td.stream]); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return dumpers.NoSnapshot, nil
	}
	defer old.Close()
	nr, err := d.openNew(ctx, td)
	if err != nil {
		return "", fmt.Errorf("open stream %s: %w", td.stream, err)
	}
	defer nr.Close()
	oldRows := newCopyRows(td.stream, old, td.keyCol)
	newRows := newCopyRows(td.stream, nr, td.keyCol)
	oldRows.empty, newRows.empty = td.local, td.noNew
	disjoint := rewriteAt
	if dumpers.SharesNothing(d.re, rec.refs[td.stream], d.refs[td.stream]) {
		disjoint = min(rewriteSoonAt, rewriteAt)
	}
	err = delta.MergeParts(oldRows, newRows, delta.Parts{Limit: int(budget.Load()), Size: deltaPart, Disjoint: disjoint, DeletesFirst: td.whole}, func(p *delta.Diff) error {
		if budget.Add(-int64(p.Bytes())) < 0 {
			return errTooMuch
		}
		stmt := newRows.stmt
		if stmt == "" { // the new stream has no rows and was never started
			stmt = oldRows.stmt
		}
		return send(tablePart{td: td, diff: p, stmt: stmt})
	})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, delta.ErrDisjoint):
		old.Close()
		nr.Close()
		rewrites.Add(1)
		return d.rewrite(ctx, td, send)
	case errors.Is(err, delta.ErrTooLarge) || errors.Is(err, errTooMuch):
		return "too many rows changed for a delta install", nil
	case errors.As(err, new(*delta.OldError)):
		return "the installed snapshot of " + td.qname + " could not be read again", nil
	case errors.Is(err, errDeltaShape):
		return "the data of " + td.qname + " is not in the dumper's shape", nil
	default:
		return "", err
	}
	return "", nil
}

// rewriteAt is when a table whose two snapshots have not one key in common is
// taken for rewritten: once their first rows hold this many bytes (both sides).
// rewriteSoonAt is the same for a table whose new stream shares no chunk with
// the installed one (dumpers.SharesNothing): no stretch of it is unchanged, as
// in a table filled anew; one that lost its first rows (a log whose oldest
// entries were deleted) still shares the chunks of the rest and waits for
// rewriteAt. As in package mysql.
var rewriteAt, rewriteSoonAt = 16 << 20, 256 << 10

// rewrites counts the tables rewritten (for tests).
var rewrites atomic.Int64

// rewrite replaces every row of a table whose snapshots share no rows (a cache
// that was filled anew): tablePart.rewrite tells apply to delete every row of
// the table, then the new stream's rows, read (and checked) again from its
// start, come in parts. Comparing the two snapshots would hold both in memory
// (a cache bigger than half of deltaLimit made the whole install a full
// import) and apply nothing before both were read; the result is the same.
func (d *deltaInstall) rewrite(ctx context.Context, td *tableDelta, send func(tablePart) error) (string, error) {
	nr, err := d.openNew(ctx, td)
	if err != nil {
		return "", fmt.Errorf("open stream %s: %w", td.stream, err)
	}
	defer nr.Close()
	rows := newCopyRows(td.stream, nr, td.keyCol)
	rows.empty = td.noNew
	if err := send(tablePart{td: td, rewrite: true}); err != nil {
		return "", err
	}
	p, size := &delta.Diff{}, 0
	flush := func() error {
		if len(p.Insert) == 0 {
			return nil
		}
		err := send(tablePart{td: td, diff: p, stmt: rows.stmt})
		p, size = &delta.Diff{}, 0
		return err
	}
	for {
		r, err := rows.Next()
		if err == io.EOF {
			return "", flush()
		}
		if errors.Is(err, errDeltaShape) {
			return "the data of " + td.qname + " is not in the dumper's shape", nil
		}
		if err != nil {
			return "", err
		}
		p.Insert = append(p.Insert, bytes.Clone(r.Line))
		if size += len(r.Line); size >= deltaPart {
			if err := flush(); err != nil {
				return "", err
			}
		}
	}
}

// apply runs the differences in the transaction conn has open, part by part
// as diffs computes them, with session_replication_role = replica when allowed
// (no trigger, no foreign-key check fires: the snapshot is consistent as a
// whole), then sets the changed sequences and writes the record with the
// fingerprint the database has afterwards: counters are those of was plus this
// delta's rows. A table's parts run in order, each one's deletes first; a row
// that meets a key still there (a target collation that orders keys otherwise
// than the source's, delta.MergeParts) is a reason for a full import.
func (d *deltaInstall) apply(ctx context.Context, conn *pgconn.PgConn, rec *record, tds []*tableDelta, setvals []string, replica bool, was *fingerprint) (dumpers.Installed, string, error) {
	inst := dumpers.Installed{Mode: "delta"}
	if replica {
		if err := exec(ctx, conn, "SET LOCAL session_replication_role = replica"); err != nil {
			return inst, "", fmt.Errorf("set session_replication_role: %w", err)
		}
	}
	dctx, stop := context.WithCancel(ctx)
	parts := make(chan tablePart, 2) // bounds the parts computed ahead of the server
	done := make(chan struct{})
	defer func() { stop(); <-done }() // no diff outlives apply
	send := func(p tablePart) error {
		select {
		case parts <- p:
			return nil
		case <-dctx.Done():
			return dctx.Err()
		}
	}
	go func() {
		defer close(done)
		d.diffs(dctx, rec, tds, send)
	}()
	index := map[*tableDelta]int{}
	for i, td := range tds {
		index[td] = i
	}
	changed := map[*tableDelta]bool{}
	inserted := map[*tableDelta]int64{}
	for left := len(tds); left > 0; {
		var p tablePart
		select {
		case p = <-parts:
		case <-ctx.Done():
			return inst, "", ctx.Err()
		}
		td := p.td
		table := strings.TrimSuffix(strings.TrimPrefix(td.stream, dumpers.DataDir), ".sql")
		if p.end {
			if p.err != nil || p.reason != "" {
				return inst, p.reason, p.err
			}
			left--
			if d.progress != nil && changed[td] {
				d.progress(dumpers.Progress{Table: table, Rows: inserted[td], Done: true})
			}
			continue
		}
		if !changed[td] {
			changed[td] = true
			inst.Tables = append(inst.Tables, table)
		}
		if p.rewrite {
			n, truncated, err := td.empty(ctx, conn)
			if err != nil {
				return inst, "", err
			}
			if truncated {
				inst.Replaced++
				continue
			}
			c := was.stats[td.stream]
			c[2] += n
			was.stats[td.stream] = c
			inst.Deleted += n
			continue
		}
		if reason, err := td.deletes(ctx, conn, index[td], p.diff.Delete); err != nil || reason != "" {
			return inst, reason, err
		}
		if reason, err := td.inserts(ctx, conn, p.stmt, p.diff.Insert); err != nil || reason != "" {
			return inst, reason, err
		}
		c := was.stats[td.stream]
		c[0] += int64(len(p.diff.Insert))
		c[2] += int64(len(p.diff.Delete))
		was.stats[td.stream] = c
		inst.Deleted += int64(len(p.diff.Delete))
		inst.Inserted += int64(len(p.diff.Insert))
		inserted[td] += int64(len(p.diff.Insert))
	}
	slices.Sort(inst.Tables)
	for _, sv := range setvals {
		seq, _ := setvalOf(sv)
		// Sequences are not transactional, but a sequence restarted in this
		// transaction is: setval then changes its new file, which a rollback drops.
		var q string
		if err := queryRow(ctx, conn, `SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = $1::regclass AND c.relkind = 'S'`,
			[]string{seq}, &q); err != nil {
			return inst, "", fmt.Errorf("sequence %s: %w", seq, err)
		}
		if err := exec(ctx, conn, "ALTER SEQUENCE "+q+" RESTART"); err != nil {
			return inst, "", fmt.Errorf("sequence %s: %w", q, err)
		}
		if err := exec(ctx, conn, sv); err != nil {
			return inst, "", fmt.Errorf("sequence %s: %w", q, err)
		}
	}
	cat, err := readCatalogPrint(ctx, conn)
	if err != nil {
		return inst, "", err
	}
	fp := &fingerprint{cat: cat, stats: was.stats}
	if err := writeRecord(ctx, conn, d.refs, fp.String()); err != nil {
		return inst, "", err
	}
	return inst, "", nil
}

// empty removes every row of a table about to be rewritten, in the
// transaction: by TRUNCATE when no other table's foreign key references it
// (TRUNCATE refuses those, whatever session_replication_role says), else by
// DELETE, which returns the rows deleted. TRUNCATE leaves no dead rows behind
// (a rewritten cache does not double its size until a vacuum) and takes
// milliseconds where DELETE took 0.1–0.9 s for 152 MB of rows; the change
// counters count no row deleted by it (nor, at commit, what this transaction
// did to the table before it: nothing, as a rewrite starts with it).
func (td *tableDelta) empty(ctx context.Context, conn *pgconn.PgConn) (deleted int64, truncated bool, err error) {
	var referenced bool
	if err := queryRow(ctx, conn, `SELECT EXISTS (SELECT FROM pg_constraint WHERE contype = 'f' AND confrelid = $1::oid AND conrelid <> $1::oid)`,
		[]string{td.oid}, &referenced); err != nil {
		return 0, false, fmt.Errorf("delta of %s: %w", td.qname, err)
	}
	q := "TRUNCATE ONLY " + td.qname
	if referenced {
		q = "DELETE FROM ONLY " + td.qname
	}
	res := conn.ExecParams(ctx, q, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return 0, false, fmt.Errorf("delta of %s: empty the table: %w", td.qname, res.Err)
	}
	return res.CommandTag.RowsAffected(), !referenced, nil
}

// deletes removes the rows with keys: the keys, as the dump wrote them (COPY
// text), are copied into a temporary table of the key columns (one per table,
// emptied for each part), and one DELETE joins it. It must delete exactly one
// row per key (else the database is not the installed snapshot: a full import).
func (td *tableDelta) deletes(ctx context.Context, conn *pgconn.PgConn, i int, del [][]byte) (string, error) {
	if len(del) == 0 {
		return "", nil
	}
	keys := fmt.Sprintf("pg_temp.synco_keys_%d", i)
	if !td.keys {
		if err := exec(ctx, conn, "CREATE TEMPORARY TABLE "+keys+" ON COMMIT DROP AS SELECT "+strings.Join(td.qkey, ", ")+
			" FROM "+td.qname+" WITH NO DATA"); err != nil {
			return "", fmt.Errorf("delta of %s: %w", td.qname, err)
		}
		td.keys = true
	} else if err := exec(ctx, conn, "TRUNCATE "+keys); err != nil {
		return "", fmt.Errorf("delta of %s: %w", td.qname, err)
	}
	tag, err := conn.CopyFrom(ctx, &linesReader{lines: del}, "COPY "+keys+" ("+strings.Join(td.qkey, ", ")+") FROM STDIN")
	if err != nil {
		return "", fmt.Errorf("delta of %s: copy the keys to delete: %w", td.qname, err)
	}
	if tag.RowsAffected() != int64(len(del)) {
		return "", fmt.Errorf("delta of %s: %d keys to delete, %d copied: %w", td.qname, len(del), tag.RowsAffected(), dumpers.ErrRefused)
	}
	on := make([]string, len(td.qkey))
	for j, k := range td.qkey {
		on[j] = "t." + k + " = k." + k
	}
	res := conn.ExecParams(ctx, "DELETE FROM ONLY "+td.qname+" t USING "+keys+" k WHERE "+strings.Join(on, " AND "), nil, nil, nil, nil).Read()
	if res.Err != nil {
		return "", fmt.Errorf("delta of %s: delete rows: %w", td.qname, res.Err)
	}
	if n := res.CommandTag.RowsAffected(); n != int64(len(del)) {
		return fmt.Sprintf("table %s does not hold the installed snapshot (%d of %d rows to delete found)", td.qname, n, len(del)), nil
	}
	return "", nil
}

// inserts copies the rows lines in, as the dump wrote them, with the new
// stream's COPY statement stmt (which the allow-list passed). A row whose key
// the table still holds is a reason for a full import (see apply).
func (td *tableDelta) inserts(ctx context.Context, conn *pgconn.PgConn, stmt string, lines [][]byte) (string, error) {
	if len(lines) == 0 {
		return "", nil
	}
	tag, err := conn.CopyFrom(ctx, &linesReader{lines: lines}, stmt)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		return "rows of " + td.qname + " collide with rows still there (the local collation orders keys otherwise than the source's)", nil
	}
	if err != nil {
		return "", fmt.Errorf("delta of %s: insert rows: %w", td.qname, err)
	}
	if tag.RowsAffected() != int64(len(lines)) {
		return "", fmt.Errorf("delta of %s: %d rows to insert, %d copied: %w", td.qname, len(lines), tag.RowsAffected(), dumpers.ErrRefused)
	}
	return "", nil
}

// linesReader reads lines, each followed by a newline.
type linesReader struct {
	lines [][]byte
	cur   []byte
	nl    bool
}

func (l *linesReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.cur) == 0 {
			if l.nl {
				p[n] = '\n'
				n++
				l.nl = false
				continue
			}
			if len(l.lines) == 0 {
				break
			}
			l.cur, l.lines, l.nl = l.lines[0], l.lines[1:], true
			continue
		}
		c := copy(p[n:], l.cur)
		l.cur = l.cur[c:]
		n += c
	}
	if n == 0 && len(l.lines) == 0 && len(l.cur) == 0 && !l.nl {
		return 0, io.EOF
	}
	return n, nil
}
