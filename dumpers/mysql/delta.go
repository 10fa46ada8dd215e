package mysql

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/dumpers"
	"synco/dumpers/delta"
)

// deltaLimit caps the difference a delta install applies (the keys to delete
// and the rows to insert, of all tables; a rewritten table's rows are not
// counted: they are read from the new stream, not held) and the rows a merge holds while
// looking for a common key; beyond it a full import is done (the transaction
// is rolled back), which is then no slower anyway. A delta holds only a few
// parts of the difference at a time (deltaPart).
var deltaLimit = 256 << 20

// Batch sizes of the statements a delta install runs.
const (
	deleteBatch = 1000
	insertBatch = 1 << 20
)

// Install installs a dump into the database named in cfg: as a delta when the
// target still is what the last install left (see below), else with Import, and
// records what it installed in the target's RecordTable (only when src is a
// dumpers.Reopener: then the next install can be a delta).
//
// Delta install. The record holds every stream's ref and a fingerprint of the
// target taken right after the install (see fingerprint: engines, creation and
// change times of every table, views, routines, triggers, events — read from
// information_schema — and the one row of each sequence, its state: MariaDB
// moves no change time of a sequence, on NEXTVAL, SETVAL or ALTER SEQUENCE).
// When the fingerprint still matches, the same streams (data streams may
// differ) make up the dump, post.sql is unchanged, and schema.sql differs at
// most in AUTO_INCREMENT values and the values sequences are set to, then:
//
//   - no data stream changed: nothing is done (no statement that writes);
//   - else each changed table's old stream (read again through src) is merged with
//     the new one (package delta) into the rows to delete and to insert, and these
//     are applied in ONE transaction with the record's new refs — spread over two
//     connections when the delta changes several tables, one XA branch each,
//     committed by two-phase commit (deltatx.go) — (deletes first, as
//     DELETE … WHERE key IN (<the dump's literals>); inserts as INSERT statements
//     of the dump's shape that pass the same allow-list as an import), then the
//     changed AUTO_INCREMENT values and sequences are set (ALTER SEQUENCE …
//     RESTART WITH the dump's value: the state its SETVAL after CREATE
//     SEQUENCE gives) and the fingerprint recorded.
//
// The streams of a changed table are read in one pass over their bytes when
// they are exactly in the layout our dumper writes (canonRows: a grammar
// stricter than the allow-list's, so such a stream would pass it statement by
// statement; its header is checked by the allow-list itself). A stream that
// leaves that layout anywhere — an older dumper's, a hand-made or a hostile
// one — is read again from its start by the general readers (rowReader: the
// statement splitter, the allow-list on every statement, the lexer), as an
// import reads it. Either way, only rows and keys taken from the streams reach
// the server, in statements that are checked once more just before they run.
// Where both streams continue with the same bytes (most of a table after a small
// change), the new stream's rows are read (and checked) but not compared, and
// the old stream's are passed over (delta.Skipper). A table whose snapshots
// have no key in common in their first rows (rewriteAt; rewriteSoonAt when
// they share no chunk either: a cache filled anew) gets the new stream's rows
// without holding both snapshots to compare them (rewrite): loaded into a
// staging table beside it, outside the transaction, and moved in its place
// between the prepares and the commits (deltastage.go); a table with foreign
// keys is emptied and refilled in the transaction. Several tables are compared
// at a time, and their differences are applied part by part as they are computed
// (delta.MergeParts), in the one transaction. Parts of a table run in order,
// each one's deletes first; a row that meets a key still there (only when the
// target orders keys otherwise than the source) makes it a full import.
//
// A local application may write while the delta runs. Just before the commit
// (after the XA prepares), the target's fingerprint without the delta's own,
// uncommitted rows must still be the recorded one, and no session may be
// waiting for a lock of the delta on the target's tables (it would commit
// right after the delta, in the second of its commit, where no change time
// shows it): else the transaction is rolled back and the delta tried once more
// (the table written then is local, verify.go); a second write meanwhile makes
// it a full import.
// After the commit, the tables the delta did not touch are recorded as they
// were when it started (keepUntouched), so that a change to one of them from
// then on makes the next install a full one. What is left unseen is a change
// to a touched table committed after that check and before the record
// (settledFingerprint: milliseconds when the tables changed in the commit's
// second are checksummed, up to the end of that second when it waits), by a
// session that did not wait for the delta's locks.
//
// A table written locally since the last install, or whose change time the
// server forgot (a restart), its structure unchanged, is handled by its rows
// (verify.go): compared with the installed snapshot, or merged with the rows
// it holds now instead of with the snapshot. A sequence used locally (its state
// moved) is set to the new dump's value, as a full import would.
//
// Otherwise, and for a changed table that is not InnoDB, has no primary key or
// has triggers (MariaDB cannot keep them from firing), or when the old stream is
// gone from the cache or the difference is large (deltaLimit), the whole dump is
// imported with Import, and Installed.Reason says why. A failure or a cancelled
// ctx during a delta rolls its transaction back: the target holds the previous
// snapshot. Errors: as Import; a refused statement in a changed stream is a
// *dumpers.RefusedError also on the delta path (no fallback).
func Install(ctx context.Context, cfg *Config, src dumpers.Source, progress func(dumpers.Progress)) (dumpers.Installed, error) {
	if cfg.Database == "" {
		return dumpers.Installed{}, fmt.Errorf("import: %w: no database named", ErrInvalidDSN)
	}
	re, ok := src.(dumpers.Reopener)
	if !ok {
		notes, err := importNoting(ctx, cfg, src, progress)
		return dumpers.Installed{Mode: "full", Notes: notes}, err
	}
	refs, ok := refsOf(src, re)
	if !ok {
		notes, err := importNoting(ctx, cfg, src, progress)
		return dumpers.Installed{Mode: "full", Notes: notes}, err
	}
	srv, err := open(ctx, cfg.WithDatabase(""))
	if err != nil {
		return dumpers.Installed{}, fmt.Errorf("import: %w", err)
	}
	defer srv.db.Close()
	d := &deltaInstall{db: srv.db, mariadb: srv.mariadb, durableXA: durableXA(srv.version), target: cfg.Database, src: src, re: re, refs: refs, progress: progress}
	inst, reason, err := d.try(ctx)
	if err == nil && reason != "" && d.meanwhile {
		// Written locally while the delta ran: once more, the table written
		// then being local now (verify.go). A second write meanwhile makes
		// it a full import.
		d.meanwhile = false
		// InnoDB serves its lock waits from a copy refreshed when it was
		// not read for 100 ms (writerWaiting): not the last try's again.
		select {
		case <-time.After(150 * time.Millisecond):
			inst, reason, err = d.try(ctx)
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		return inst, fmt.Errorf("import into %s: %w", cfg.Database, err)
	}
	if reason == "" {
		return inst, nil
	}
	inst = dumpers.Installed{Mode: "full", Reason: reason}
	inst.Notes, err = importNoting(ctx, cfg, src, progress)
	var ce *dumpers.CleanupError
	if err != nil && !errors.As(err, &ce) {
		return inst, err
	}
	if rerr := d.recordFull(ctx); rerr != nil {
		rerr = fmt.Errorf("record what was installed (the next install will be a full one): %w", rerr)
		if err != nil {
			return inst, &dumpers.CleanupError{Err: errors.Join(ce.Err, rerr)}
		}
		return inst, &dumpers.CleanupError{Err: rerr}
	}
	return inst, err
}

type deltaInstall struct {
	db       *sql.DB
	mariadb  bool
	target   string
	src      dumpers.Source
	re       dumpers.Reopener
	refs     map[string]dumpers.StreamRef // of the new dump
	progress func(dumpers.Progress)
	xa       bool // the server lets a delta apply on several connections (deltatx.go)
	// durableXA: the server keeps prepared XA branches across disconnects
	durableXA bool
	// meanwhile: the last try rolled back because the target was written
	// while it ran (changedMeanwhile, writerWaiting)
	meanwhile bool
	// installed, coll: the installed schema.sql and the server's collations,
	// read once when a creation time is unknown (creation.go)
	installed *schemaValues
	coll      *collations
}

// recordFull records a full install: refs, then the fingerprint.
func (d *deltaInstall) recordFull(ctx context.Context) error {
	unlock, err := lockTarget(ctx, d.db, d.target)
	if err != nil {
		return err
	}
	defer unlock()
	if err := createRecord(ctx, d.db, d.target); err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := writeRefs(ctx, tx, d.target, d.refs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fp, err := settledFingerprint(ctx, d.db, d.target, checksumLimit, d.mariadb)
	if err != nil {
		return err
	}
	return writeFingerprint(ctx, d.db, d.target, fp)
}

// tableDelta is one changed table.
type tableDelta struct {
	stream, table string
	keyCols       []string
	// whole: the table has a unique key besides the primary one, so every
	// delete of its difference runs before any insert (a changed row may take
	// a unique value another row gives up further on): the deletes in parts as
	// the merge finds them, the inserts in one part at its end
	// (delta.Parts.DeletesFirst).
	whole    bool
	disjoint int         // delta.Parts.Disjoint (disjointAt)
	staged   *tableStage // rewritten into a staging table (deltastage.go); nil: in place
	// local: changed locally since the last install (verify.go), its old rows
	// are read from the target, not the installed snapshot; noNew: the new
	// dump has no data stream for it (no rows); noOld: the installed one had
	// none.
	local, noNew, noOld bool
	// stamp: unchanged at the source, and compared equal to the installed
	// snapshot after its change time was lost (verify.go); the delta deletes
	// and inserts its first row as it was, which gives it a change time
	// again, so that the next install need not compare it (stampRow).
	stamp bool
	ck    *checker // of the INSERTs the delta runs
	stmts int      // INSERTs checked so far
}

// deltaPart is how much of a table's difference (bytes of keys and rows) is
// handed to the transaction at once: it applies one part while the next is
// computed. On the 470 MB bench's day 2 (1–3 MB of difference in most tables),
// waiting for a whole table's difference before applying any of it left the
// server idle for the first 0.7–1.2 s of the install. A table whose keys all
// changed (a rewritten cache) still comes in one part, at its end: the merge
// cannot tell earlier that a key will not come (it does not know the
// collation's order).
var deltaPart = 256 << 10

// diffParallel is how many tables are compared at once. Many more than a
// laptop's cores: a merge mostly waits — for its new stream's chunks to arrive
// (fetch hands a stream over as it downloads) or for the server to take its
// parts — and a table that waits for a slot cannot start either. Over the
// bench's 100 Mbit/s link, with four at once, the sessions table (whose data
// had arrived) waited 4.5 s for a slot behind tables still downloading, and
// its rows were the last applied: day 2 over the link 10.5 s; with eight,
// 8.7 s. Each holds two 1 MiB read buffers and a part.
const diffParallel = 8

// tablePart is a part of a table's difference (diff), the order to delete
// all its rows (rewrite), or the end of it (end: its applier reports the
// table done).
type tablePart struct {
	td      *tableDelta
	diff    *delta.Diff
	header  []byte // the dump's "INSERT INTO `t` (…) VALUES", for diff's inserts
	rewrite bool
	end     bool
}

// try applies the dump as a delta. It returns a reason when a full import is
// needed instead (then it changed nothing), an error when the install failed.
func (d *deltaInstall) try(ctx context.Context) (dumpers.Installed, string, error) {
	unlock, err := lockTarget(ctx, d.db, d.target)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	defer unlock()
	if d.xa, err = recoverBranches(ctx, d.db, d.target); err != nil {
		return dumpers.Installed{}, "", err
	}
	d.xa = d.xa && d.durableXA
	rec, err := readRecord(ctx, d.db, d.target)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	if rec == nil || rec.fp == "" {
		return dumpers.Installed{}, "no record of an earlier install", nil
	}
	// Staged and replaced tables of a killed delta (deltastage.go), before
	// they could count as local changes; not a table of the snapshot named so.
	if err := reclaimTables(ctx, d.db, d.target, func(table string) bool {
		_, ok := rec.refs[dumpers.DataStream(table)]
		return ok
	}); err != nil {
		return dumpers.Installed{}, "", err
	}
	// A data stream comes and goes with its table's rows (an empty table has
	// none): a table emptied or filled at the source is a change of rows.
	// Tables added or removed change schema.sql (compareSchema).
	if !hasCoreStreams(rec.refs) || !hasCoreStreams(d.refs) {
		return dumpers.Installed{}, "no record of an earlier install", nil
	}
	known := func(ctx context.Context, want, now string) (string, error) {
		return d.knownCreation(ctx, rec, want, now)
	}
	fp, err := currentFingerprint(ctx, d.db, d.target, rec.fp, known)
	if err != nil {
		return dumpers.Installed{}, "", err
	}
	recorded := rec.fp
	localSeqs, seqFP := localSequences(recorded, fp)
	rec.fp = seqFP
	// Tables that lost their change times (a restart), or were written
	// locally without a change of structure, are taken care of by their rows
	// (verify.go), if all else is as recorded.
	var inst dumpers.Installed
	var local, stamp []string
	lost, written, was := localChanges(rec.fp, fp)
	if len(written) > 0 {
		// A write later in the second of a table's last change would not
		// move its change time (see settle).
		if err := settle(ctx, d.db, d.target); err != nil {
			return dumpers.Installed{}, "", err
		}
		if fp, err = currentFingerprint(ctx, d.db, d.target, rec.fp, known); err != nil {
			return dumpers.Installed{}, "", err
		}
		localSeqs, rec.fp = localSequences(recorded, fp)
		lost, written, was = localChanges(rec.fp, fp)
	}
	if len(lost)+len(written) > 0 {
		if fp, err = currentFingerprint(ctx, d.db, d.target, was, known); err != nil {
			return dumpers.Installed{}, "", err
		}
		if fp != was {
			return dumpers.Installed{}, localChange(was, fp), nil
		}
		differ, n, reason, err := d.verifyRows(ctx, rec, lost)
		if err != nil || reason != "" {
			return dumpers.Installed{}, reason, err
		}
		local = append(differ, written...)
		rec.fp, inst.Verified, inst.Local = was, n, len(local)
		for _, t := range lost {
			s := dumpers.DataStream(t)
			if r, ok := rec.refs[s]; ok && r.Hash == d.refs[s].Hash && !slices.Contains(differ, t) {
				stamp = append(stamp, s)
			}
		}
	}
	if fp != rec.fp {
		return dumpers.Installed{}, localChange(rec.fp, fp), nil
	}
	if rec.refs[dumpers.PostStream].Hash != d.refs[dumpers.PostStream].Hash {
		return dumpers.Installed{}, d.readableOr(ctx, rec.refs[dumpers.PostStream], "views, routines, triggers or events changed at the source"), nil
	}
	var autoInc, seqSet map[string]string
	if rec.refs[dumpers.SchemaStream].Hash != d.refs[dumpers.SchemaStream].Hash {
		same, ai, sv, reason, err := d.compareSchema(ctx, rec.refs[dumpers.SchemaStream])
		if err != nil || reason != "" {
			return dumpers.Installed{}, reason, err
		}
		if !same {
			return dumpers.Installed{}, "table definitions changed at the source", nil
		}
		autoInc, seqSet = ai, sv
	}
	if len(localSeqs) > 0 {
		// As a full import would, the sequences used locally get the new
		// dump's values again.
		nv, err := d.newSchema(ctx)
		if err != nil {
			return dumpers.Installed{}, "", err
		}
		for _, q := range localSeqs {
			v, ok := nv.seqs[q]
			if !ok {
				return dumpers.Installed{}, "sequence " + quoteIdent(q) + " changed locally since the last install", nil
			}
			seqSet = mergeMaps(seqSet, map[string]string{q: v})
		}
		inst.Local += len(localSeqs)
	}
	var changed []string
	isLocal := map[string]bool{}
	for _, t := range local {
		isLocal[dumpers.DataStream(t)] = true
	}
	for _, n := range d.src.Names() {
		if _, ok := dumpers.TableOf(n); ok && (rec.refs[n].Hash != d.refs[n].Hash || isLocal[n]) {
			changed = append(changed, n)
			delete(isLocal, n)
		}
	}
	for n := range rec.refs {
		if _, ok := dumpers.TableOf(n); ok && !isLocal[n] {
			if _, has := d.refs[n]; !has {
				isLocal[n] = true // not local: emptied at the source, its rows go as well
			}
		}
	}
	changed = append(changed, slices.Sorted(maps.Keys(isLocal))...) // rows where the source has none
	if len(local) > 0 {
		// A full import gives a table the source's AUTO_INCREMENT; local
		// inserts moved it.
		ai, err := d.autoIncOf(ctx, local)
		if err != nil {
			return dumpers.Installed{}, "", err
		}
		autoInc = mergeMaps(autoInc, ai)
	}
	if len(changed) == 0 && len(autoInc) == 0 && len(seqSet) == 0 {
		inst.Mode = "unchanged"
		return inst, "", nil
	}
	// A delta transaction runs anyway: the tables compared equal get their
	// change times back in it. (An install with nothing else to do writes
	// nothing, and compares them again next time.)
	nchanged := len(changed)
	changed = append(changed, stamp...)
	// The tables' information_schema queries, a few at a time: one after the
	// other, 6 tables took 0.16 s of the 470 MB bench's day 2.
	tds := make([]*tableDelta, len(changed))
	reasons := make([]string, len(changed))
	var g errgroup.Group
	g.SetLimit(4)
	for i, n := range changed {
		g.Go(func() error {
			table, _ := dumpers.TableOf(n)
			keyCols, unique, reason, err := d.tableInfo(ctx, table)
			if i >= nchanged && reason != "" {
				return nil // not stamped (no key, triggers): compared again next time
			}
			if err != nil || reason != "" {
				reasons[i] = reason
				return err
			}
			_, hasNew := d.refs[n]
			_, hasOld := rec.refs[n]
			tds[i] = &tableDelta{stream: n, table: table, keyCols: keyCols, whole: unique, disjoint: d.disjointAt(rec, n),
				local: slices.Contains(local, table), noNew: !hasNew, noOld: !hasOld, stamp: i >= nchanged}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return dumpers.Installed{}, "", err
	}
	for _, r := range reasons {
		if r != "" {
			return dumpers.Installed{}, r, nil
		}
	}
	applied, reason, err := d.apply(ctx, rec, slices.DeleteFunc(tds, func(td *tableDelta) bool { return td == nil }), autoInc, seqSet)
	applied.Verified, applied.Local = inst.Verified, inst.Local
	return applied, reason, err
}

// readableOr returns reason, or dumpers.NoSnapshot when the installed stream
// old, whose hash differs from the new one's, cannot be read again: the hashes
// are keyed, so a publication with other keys differs in every stream.
func (d *deltaInstall) readableOr(ctx context.Context, old dumpers.StreamRef, reason string) string {
	if !dumpers.Readable(ctx, d.re, old) {
		return dumpers.NoSnapshot
	}
	return reason
}

// hasCoreStreams reports whether refs holds the streams every dump has.
func hasCoreStreams(refs map[string]dumpers.StreamRef) bool {
	_, schema := refs[dumpers.SchemaStream]
	_, post := refs[dumpers.PostStream]
	return schema && post
}

// autoIncOf returns the AUTO_INCREMENT the new dump gives each of tables: its
// schema.sql's table option, or 1 (InnoDB then takes the next value after the
// rows' largest).
func (d *deltaInstall) autoIncOf(ctx context.Context, tables []string) (map[string]string, error) {
	r, err := d.src.Open(ctx, dumpers.SchemaStream)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", dumpers.SchemaStream, err)
	}
	sv, err := schemaStatements(r, true)
	r.Close()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range tables {
		out[t] = cmp.Or(sv.autoInc[t], "1")
	}
	return out, nil
}

// mergeMaps returns a with b's entries added (a may be nil).
func mergeMaps(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	maps.Copy(a, b)
	return a
}

// compareSchema compares the old and the new schema.sql statement by statement
// with the AUTO_INCREMENT table options and the values sequences are set to
// left out; it returns the new values of the tables whose AUTO_INCREMENT
// changed, and of the sequences whose value did.
func (d *deltaInstall) compareSchema(ctx context.Context, old dumpers.StreamRef) (same bool, autoInc, seqs map[string]string, reason string, err error) {
	r, err := d.re.Reopen(ctx, old)
	if err != nil {
		return false, nil, nil, dumpers.NoSnapshot, nil
	}
	a, err := schemaStatements(r, false)
	r.Close()
	if err != nil {
		return false, nil, nil, dumpers.NoSnapshot, nil
	}
	b, err := d.newSchema(ctx)
	if err != nil {
		return false, nil, nil, "", err
	}
	if !slices.EqualFunc(a.stmts, b.stmts, bytes.Equal) {
		return false, nil, nil, "", nil
	}
	changed := func(old, cur map[string]string) map[string]string {
		out := map[string]string{}
		for t, v := range cur {
			if old[t] != v {
				out[t] = v
			}
		}
		return out
	}
	return true, changed(a.autoInc, b.autoInc), changed(a.seqs, b.seqs), "", nil
}

// newSchema reads the new schema.sql (checked).
func (d *deltaInstall) newSchema(ctx context.Context) (schemaValues, error) {
	r, err := d.src.Open(ctx, dumpers.SchemaStream)
	if err != nil {
		return schemaValues{}, fmt.Errorf("open stream %s: %w", dumpers.SchemaStream, err)
	}
	defer r.Close()
	return schemaStatements(r, true)
}

// schemaValues is a schema.sql without the values a delta sets apart from its
// rows: per table its AUTO_INCREMENT=n table option, per sequence the value
// of its DO SETVAL(<sequence>, n, 0).
type schemaValues struct {
	stmts         [][]byte // the statements without those values
	autoInc, seqs map[string]string
	creates       map[string][]byte // per table its CREATE TABLE, as in stmts
}

// schemaStatements reads schema.sql, checking each statement (check: the new
// stream), and returns its statements and values.
func schemaStatements(r io.Reader, check bool) (schemaValues, error) {
	sp := newSplitter(r)
	ck := newChecker(dumpers.SchemaStream)
	sv := schemaValues{autoInc: map[string]string{}, seqs: map[string]string{}, creates: map[string][]byte{}}
	for i := 1; ; i++ {
		st, _, err := sp.next()
		if err == io.EOF {
			return sv, nil
		}
		if err != nil {
			return schemaValues{}, fmt.Errorf("read stream %s: %w", dumpers.SchemaStream, err)
		}
		if check {
			if _, err := ck.check(i, st); err != nil {
				return schemaValues{}, err
			}
		}
		v, err := autoIncOption(st)
		if err != nil {
			return schemaValues{}, fmt.Errorf("read stream %s: %w", dumpers.SchemaStream, err)
		}
		if v.at >= 0 {
			sv.autoInc[v.name(2)] = string(v.text(v.at + 2))
			st = append(bytes.Clone(st[:v.toks[v.at].pos]), st[v.toks[v.at+2].end:]...)
		} else if name, val, from, to, ok := setvalOf(v.stmtView); ok {
			sv.seqs[name] = val
			st = append(bytes.Clone(st[:from]), st[to:]...)
		}
		if v.word(0, "CREATE") && v.word(1, "TABLE") && v.isName(2) {
			sv.creates[v.name(2)] = st
		}
		sv.stmts = append(sv.stmts, st)
	}
}

// setvalOf reads the statement our dumper writes to set a sequence, DO
// SETVAL(<sequence>, n, 0) with n an integer: the sequence, n (with its sign)
// and where n is in the statement. Any other form is not one (a delta then
// compares the statement whole).
func setvalOf(v *stmtView) (name, val string, from, to int, ok bool) {
	t := v.toks
	i := 6
	if len(t) > 5 && v.punct(5, '-') {
		i = 7
	}
	if n := len(t); !(n == i+3 || n == i+4 && v.punct(i+3, ';')) || !v.word(0, "DO") || !v.word(1, "SETVAL") || !v.punct(2, '(') || !v.isName(3) || !v.punct(4, ',') ||
		t[i-1].kind != tNumber || !v.punct(i, ',') || t[i+1].kind != tNumber || string(v.text(i+1)) != "0" || !v.punct(i+2, ')') {
		return "", "", 0, 0, false
	}
	val = string(v.s[t[5].pos:t[i-1].end])
	if _, err := strconv.ParseInt(val, 10, 64); err != nil {
		return "", "", 0, 0, false
	}
	return v.name(3), val, t[5].pos, t[i-1].end, true
}

// incView is a statement with the token index of its CREATE TABLE's
// AUTO_INCREMENT = n table option (at; -1: none).
type incView struct {
	*stmtView
	at int
}

// autoIncOption finds the AUTO_INCREMENT = n table option of a CREATE TABLE
// statement.
func autoIncOption(st []byte) (incView, error) {
	toks, lerr := lexAll(st, true, false)
	if lerr != "" {
		return incView{}, errors.New(lerr)
	}
	v := incView{&stmtView{s: st, toks: toks}, -1}
	if !v.word(0, "CREATE") || !v.word(1, "TABLE") || !v.isName(2) {
		return v, nil
	}
	depth := 0
	for j := 3; j+2 < len(toks); j++ {
		switch {
		case v.punct(j, '('):
			depth++
		case v.punct(j, ')'):
			depth--
		case depth == 0 && v.word(j, "AUTO_INCREMENT") && v.punct(j+1, '=') && toks[j+2].kind == tNumber:
			v.at = j
			return v, nil
		}
	}
	return v, nil
}

// autoIncOf returns the AUTO_INCREMENT table option of a CREATE TABLE
// statement (as SHOW CREATE TABLE gives it).
func autoIncOf(st []byte) (string, bool) {
	v, err := autoIncOption(st)
	if err != nil || v.at < 0 {
		return "", false
	}
	return string(v.text(v.at + 2)), true
}

// diff computes the difference of one changed table and hands it to send in
// parts, or says why a full import is needed. A stream that turns out not to
// be exactly as our dumper writes it is read again by the general readers —
// unless parts of it were handed over already: then a full import.
func (d *deltaInstall) diff(ctx context.Context, rec *record, td *tableDelta, budget *atomic.Int64, send func(tablePart) error) (string, error) {
	sent := 0
	count := func(p tablePart) error { sent++; return send(p) }
	reason, err := d.diffWith(ctx, rec, td, budget, true, count)
	if errors.Is(err, errNotCanonical) {
		if sent > 0 {
			return "the stream of " + quoteIdent(td.table) + " leaves the layout of this synco's dumper after its first rows", nil
		}
		// not exactly as our dumper writes it: the general readers
		generalDiffs.Add(1)
		reason, err = d.diffWith(ctx, rec, td, budget, false, count)
	}
	return reason, err
}

// generalDiffs counts the tables whose difference the general readers computed
// (for tests: a dump of ours never needs them).
var generalDiffs atomic.Int64

// errTooMuch: the differences handed over so far exceed deltaLimit.
var errTooMuch = errors.New("too many rows changed")

// diffWith computes the difference of one table with the canonical readers
// (canonRows; errNotCanonical when a stream is not in their layout) or the
// general ones (rowReader), and hands it to send in parts of deltaPart bytes.
func (d *deltaInstall) diffWith(ctx context.Context, rec *record, td *tableDelta, budget *atomic.Int64, canonical bool, send func(tablePart) error) (string, error) {
	if td.stamp {
		return "", d.stampRow(ctx, td, canonical, send)
	}
	var old io.ReadCloser
	var err error
	if td.local {
		old = d.localRows(ctx, td.table)
	} else if td.noOld {
		old = io.NopCloser(strings.NewReader(""))
	} else if old, err = d.re.Reopen(ctx, rec.refs[td.stream]); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return dumpers.NoSnapshot, nil
	}
	defer old.Close()
	nr, err := d.openNew(ctx, td)
	if err != nil {
		return "", err
	}
	defer nr.Close()
	oldRows, oldHeader := td.reader(ctx, old, canonical, false)
	newRows, newHeader := td.reader(ctx, nr, canonical, true)
	header := func() []byte { return orBytes(newHeader(), oldHeader()) }
	err = delta.MergeParts(oldRows, newRows, delta.Parts{Limit: int(budget.Load()), Size: deltaPart, Disjoint: td.disjoint, DeletesFirst: td.whole}, func(p *delta.Diff) error {
		if budget.Add(-int64(p.Bytes())) < 0 {
			return errTooMuch
		}
		return send(tablePart{td: td, diff: p, header: header()})
	})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", ctx.Err()
	case canonical && errors.Is(err, errNotCanonical):
		return "", err
	case errors.Is(err, delta.ErrDisjoint):
		old.Close()
		nr.Close()
		rewrites.Add(1)
		return d.rewrite(ctx, td, canonical, send)
	case errors.Is(err, delta.ErrTooLarge) || errors.Is(err, errTooMuch):
		return "too many rows changed for a delta install", nil
	case errors.As(err, new(*delta.OldError)) || errors.Is(err, errDeltaShape):
		return "the installed snapshot of " + quoteIdent(td.table) + " could not be read again", nil
	default:
		return "", err
	}
	return "", nil
}

// stampRow hands over the first row of td's new stream (the installed one:
// the source did not change it) to be deleted and inserted as it is: a change
// of no row that moves the table's change time (an UPDATE to the same values
// would not: the server skips it).
func (d *deltaInstall) stampRow(ctx context.Context, td *tableDelta, canonical bool, send func(tablePart) error) error {
	nr, err := d.openNew(ctx, td)
	if err != nil {
		return err
	}
	defer nr.Close()
	rows, header := td.reader(ctx, nr, canonical, true)
	r, err := rows.Next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	return send(tablePart{td: td, diff: &delta.Diff{Delete: [][]byte{bytes.Clone(r.Key)}, Insert: [][]byte{bytes.Clone(r.Line)}}, header: header()})
}

// openNew opens the new data stream of td (empty when the new dump has none).
func (d *deltaInstall) openNew(ctx context.Context, td *tableDelta) (io.ReadCloser, error) {
	if td.noNew {
		return io.NopCloser(strings.NewReader("")), nil
	}
	r, err := d.src.Open(ctx, td.stream)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", td.stream, err)
	}
	return r, nil
}

// rewriteAt is when a table whose two snapshots have not one key in common is
// taken for rewritten: once their first rows hold this many bytes (both sides).
var rewriteAt = 16 << 20

// rewriteSoonAt is rewriteAt for a table whose new stream shares no chunk with
// the installed one (dumpers.Sharer): no stretch of it is unchanged, as in a
// table filled anew (one where a row of every chunk changed has common keys in
// its first rows, and is merged as any other). A table that lost its first
// rows (a log whose oldest entries were deleted) still shares the chunks of
// the rows it kept, and waits for rewriteAt. On the 470 MB bench's day 2, reading 16 MB of
// the cache table's two snapshots before its rewrite began took 0.25–1 s of a
// critical path: its rewrite (emptying it, then 58 MB of inserts on one
// connection) ended last.
var rewriteSoonAt = 256 << 10

// disjointAt is delta.Parts.Disjoint for stream: rewriteSoonAt when its new
// version shares nothing with the installed one, else rewriteAt.
func (d *deltaInstall) disjointAt(rec *record, stream string) int {
	if dumpers.SharesNothing(d.re, rec.refs[stream], d.refs[stream]) {
		return min(rewriteSoonAt, rewriteAt)
	}
	return rewriteAt
}

// rewrites counts the tables rewritten (for tests).
var rewrites atomic.Int64

// rewrite replaces every row of a table whose snapshots share no rows (a cache
// that was filled anew): tablePart.rewrite tells the applier to stage the
// table (or to delete its rows in the transaction), then the new stream's
// rows, read (and checked) again from its start, come in parts. Holding both
// snapshots to compare them would take their size in memory and their whole
// reading before the server could start; the result is the same (every old
// row gone, every new one inserted).
func (d *deltaInstall) rewrite(ctx context.Context, td *tableDelta, canonical bool, send func(tablePart) error) (string, error) {
	nr, err := d.openNew(ctx, td)
	if err != nil {
		return "", err
	}
	defer nr.Close()
	rows, header := td.reader(ctx, nr, canonical, true)
	if err := send(tablePart{td: td, rewrite: true}); err != nil {
		return "", err
	}
	p, size := &delta.Diff{}, 0
	for {
		r, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		p.Insert = append(p.Insert, bytes.Clone(r.Line))
		if size += len(r.Line); size >= deltaPart {
			if err := send(tablePart{td: td, diff: p, header: header()}); err != nil {
				return "", err
			}
			p, size = &delta.Diff{}, 0
		}
	}
	if len(p.Insert) == 0 {
		return "", nil
	}
	return "", send(tablePart{td: td, diff: p, header: header()})
}

// reader reads the rows of a stream of td: in one pass when canonical
// (canonRows), else with the general readers (rowReader); check: every
// statement passes the allow-list (the new stream; the installed one passed it
// when it was installed). header returns the statement header read so far.
func (td *tableDelta) reader(ctx context.Context, r io.Reader, canonical, check bool) (rows delta.Reader, header func() []byte) {
	var ck *checker
	if check {
		ck = newChecker(td.stream)
	}
	if canonical {
		c := newCanonRows(td.stream, r, td.keyCols, ck)
		c.ctx = ctx
		return c, func() []byte { return c.header }
	}
	g := newRowReader(td.stream, r, td.keyCols)
	g.ck = ck
	return g, func() []byte { return g.header }
}

// orBytes returns a, or b when a is nil.
func orBytes(a, b []byte) []byte {
	if a == nil {
		return b
	}
	return a
}

// tableInfo returns the primary-key columns of a changed table and whether it
// has other unique keys, or why it needs a full import.
func (d *deltaInstall) tableInfo(ctx context.Context, table string) (keyCols []string, unique bool, reason string, err error) {
	keyCols, reason, err = d.keyInfo(ctx, table)
	if err != nil || reason != "" {
		return nil, false, reason, err
	}
	var n int
	if err := d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' AND NON_UNIQUE = 0", d.target, table).Scan(&n); err != nil {
		return nil, false, "", fmt.Errorf("table %s: %w", table, err)
	}
	return keyCols, n > 0, "", nil
}

// keyInfo returns the primary-key columns of a changed table, or why it needs a
// full import.
func (d *deltaInstall) keyInfo(ctx context.Context, table string) ([]string, string, error) {
	var engine sql.NullString
	err := d.db.QueryRowContext(ctx, "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'", d.target, table).Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "table " + quoteIdent(table) + " is missing", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("table %s: %w", table, err)
	}
	if !strings.EqualFold(engine.String, "InnoDB") {
		return nil, "table " + quoteIdent(table) + " changed and is not transactional (" + engine.String + ")", nil
	}
	var triggers int
	if err := d.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?", d.target, table).Scan(&triggers); err != nil {
		return nil, "", fmt.Errorf("table %s: %w", table, err)
	}
	if triggers > 0 {
		return nil, "table " + quoteIdent(table) + " changed and has triggers (MariaDB/MySQL cannot keep them from firing on the changed rows)", nil
	}
	rows, err := d.db.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", d.target, table)
	if err != nil {
		return nil, "", fmt.Errorf("table %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, "", fmt.Errorf("table %s: %w", table, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("table %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, "table " + quoteIdent(table) + " changed and has no primary key", nil
	}
	return cols, "", nil
}
