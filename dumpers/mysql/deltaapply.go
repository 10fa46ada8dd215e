package mysql

// The apply side of a delta install (delta.go): the parts of the changed
// tables' differences run on the branches of the delta's transaction
// (deltatx.go) as they are computed.

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
)

// apply computes the differences of the changed tables, diffParallel at a time, and
// runs them part by part as they are known (the server works on one part while
// the next is computed) in the delta's transaction — on up to maxBranches
// connections, each table on one of them, made one by XA (deltatx.go) — with
// the record's new refs; then it sets changed AUTO_INCREMENT values and
// records the fingerprint. It returns a reason when a full import is needed
// instead (the transaction is then rolled back: nothing changed).
//
// The old streams are not checked against the allow-list again: they passed it
// when they were installed, Reopen checks them against the recorded hash, and
// only their keys are used (in DELETEs that checkDelete checks).
func (d *deltaInstall) apply(ctx context.Context, rec *record, tds []*tableDelta, autoInc, seqs map[string]string) (dumpers.Installed, string, error) {
	inst := dumpers.Installed{Mode: "delta"}
	if err := createRecord(ctx, d.db, d.target); err != nil {
		return inst, "", err
	}
	if testHookMeanwhile != nil {
		testHookMeanwhile("start")
	}
	n := 1
	if d.xa {
		// At least one: a delta may change no table's rows (AUTO_INCREMENT
		// or a sequence alone).
		n = max(1, min(len(tds), maxBranches))
	}
	g, err := beginGroup(ctx, d.db, d.target, n)
	if err != nil {
		return inst, "", err
	}
	defer g.rollback()
	c := g.conns[0]

	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var progress sync.Mutex
	st := newStager(d.db, d.target)
	defer func() {
		if !st.swapped {
			_ = st.drop() // best effort: the next install reclaims what is left
		}
	}()
	ws := make([]*applier, n)
	for i := range ws {
		ws[i] = &applier{ex: &usedExec{ex: g.branch(i)}, st: st, db: d.db, target: d.target, in: make(chan tablePart, 2), progress: func(p dumpers.Progress) {
			if d.progress != nil {
				progress.Lock()
				defer progress.Unlock()
				d.progress(p)
			}
		}}
	}
	var bindMu sync.Mutex
	bound := map[*tableDelta]*applier{}
	send := func(p tablePart) error {
		bindMu.Lock()
		w := bound[p.td]
		if w == nil && p.end {
			bindMu.Unlock()
			return nil // nothing changed in the table
		}
		if w == nil {
			w = leastBusy(ws)
			bound[p.td] = w
			w.open.Add(1)
			w.bound.Add(1)
		}
		if p.diff != nil {
			w.queued.Add(int64(p.diff.Bytes()))
		}
		if p.rewrite {
			w.rewrites.Add(1)
		}
		bindMu.Unlock()
		select {
		case w.in <- p:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	}
	var appliers, merges sync.WaitGroup
	for _, w := range ws {
		appliers.Go(func() {
			if err := w.run(gctx); err != nil {
				cancel(err)
			}
		})
	}
	var budget atomic.Int64
	budget.Store(int64(deltaLimit))
	sem := make(chan struct{}, diffParallel)
	for _, td := range tds {
		merges.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return
			}
			defer func() { <-sem }()
			reason, err := d.diff(gctx, rec, td, &budget, send)
			if err == nil && reason != "" {
				err = fallback(reason)
			}
			if err == nil {
				err = send(tablePart{td: td, end: true})
			}
			if err != nil {
				cancel(err)
			}
		})
	}
	merges.Wait()
	for _, w := range ws {
		close(w.in)
	}
	appliers.Wait()
	if err := context.Cause(gctx); err != nil {
		var fb fallback
		if errors.As(err, &fb) {
			return inst, string(fb), nil
		}
		return inst, "", err
	}
	var stamped []string
	for _, w := range ws {
		inst.Tables = append(inst.Tables, w.tables...)
		stamped = append(stamped, w.stamped...)
		inst.Deleted += w.deleted
		inst.Inserted += w.inserted
		inst.Replaced += w.replaced
	}
	slices.Sort(inst.Tables)
	inst.Stamped = len(stamped)
	g.dropEmpty(ctx, func(i int) bool { return ws[i].ex.used })
	if err := writeRefs(ctx, g.branch(0), d.target, d.refs); err != nil {
		return inst, "", err
	}
	if g.gtrid != "" {
		if err := writeGroup(ctx, g.branch(0), d.target, g.gtrid); err != nil {
			return inst, "", err
		}
	}
	// Just before the commit, what is committed must still be what was
	// recorded: a local edit while the delta ran (an application still
	// writing) would otherwise be recorded as part of the snapshot.
	err = g.commit(ctx, func(ctx context.Context) error {
		if testHookMeanwhile != nil {
			testHookMeanwhile("commit")
		}
		// A staged table replaces its table whole: a local write to the
		// table it replaces is lost as in a full import.
		staged := map[string]bool{}
		for _, t := range st.staged() {
			staged[t], staged[st.ts.staged(t)] = true, true
		}
		what, err := changedMeanwhile(ctx, d.db, d.target, rec.fp, func(ctx context.Context, want, now string) (string, error) {
			return d.knownCreation(ctx, rec, want, now)
		}, func(t string) bool { return staged[t] })
		if err != nil {
			return err
		}
		if what != "" {
			d.meanwhile = true
			return fallback(what + " changed locally while the delta was installed")
		}
		if t := writerWaiting(ctx, d.db, d.target); t != "" {
			d.meanwhile = true
			return fallback("table " + t + " is being changed locally while the delta is installed")
		}
		return st.swap(ctx)
	})
	if err != nil && g.tx != nil && st.swapped {
		// The plain transaction did not commit: the previous tables go back.
		uctx, cancelUnswap := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancelUnswap()
		if uerr := st.unswap(uctx); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	if se := (*swapError)(nil); errors.As(err, &se) {
		return inst, se.Error(), nil // rolled back: a full import instead
	}
	if fb := fallback(""); errors.As(err, &fb) {
		return inst, string(fb), nil // rolled back: a full import instead
	}
	if err != nil {
		return inst, "", err
	}
	// After the commit the target holds the new snapshot; what follows may not be
	// interrupted halfway (the record has no fingerprint until its end: the next
	// install is a full one if it does not finish).
	cctx, cancelPost := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancelPost()
	touched := map[string]bool{} // the tables whose change times the delta moved
	for _, t := range slices.Concat(inst.Tables, stamped, st.staged(), slices.Collect(maps.Keys(autoInc)), slices.Collect(maps.Keys(seqs))) {
		touched[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(autoInc)) {
		n, err := strconv.ParseUint(autoInc[t], 10, 64)
		if err != nil {
			continue
		}
		if _, err := c.ExecContext(cctx, "ALTER TABLE "+quoteIdent(t)+" AUTO_INCREMENT = "+strconv.FormatUint(n, 10)); err != nil {
			return inst, "", &dumpers.CleanupError{Err: fmt.Errorf("set AUTO_INCREMENT of %s: %w", t, err)}
		}
	}
	// A sequence is set as the dump's DO SETVAL(<sequence>, n, 0) after its
	// CREATE SEQUENCE sets it: next_not_cached_value n, start_value kept.
	for _, q := range slices.Sorted(maps.Keys(seqs)) {
		n, err := strconv.ParseInt(seqs[q], 10, 64)
		if err != nil {
			continue
		}
		if _, err := c.ExecContext(cctx, "ALTER SEQUENCE "+quoteIdent(q)+" RESTART WITH "+strconv.FormatInt(n, 10)); err != nil {
			return inst, "", &dumpers.CleanupError{Err: fmt.Errorf("set sequence %s: %w", q, err)}
		}
	}
	if err := st.drop(); err != nil {
		return inst, "", &dumpers.CleanupError{Err: fmt.Errorf("%w (the next install will be a full one)", err)}
	}
	if testHookMeanwhile != nil {
		testHookMeanwhile("committed")
	}
	fp, err := settledFingerprint(cctx, d.db, d.target, deltaChecksumLimit, d.mariadb)
	if err == nil {
		err = writeFingerprint(cctx, c, d.target, keepUntouched(rec.fp, fp, touched))
	}
	if err != nil {
		return inst, "", &dumpers.CleanupError{Err: fmt.Errorf("record what was installed (the next install will be a full one): %w", err)}
	}
	return inst, "", nil
}

// erDupEntry: MariaDB/MySQL's duplicate key error.
const erDupEntry = 1062

// maxBranches is how many connections (XA branches) apply a delta at most.
const maxBranches = 2

// fallback is a reason for a full import, passed as an error between the
// goroutines of apply.
type fallback string

func (f fallback) Error() string { return string(f) }

// applier applies the parts of the tables bound to it on one branch of the
// delta's transaction, each table's parts in order.
type applier struct {
	ex       *usedExec // its branch of the transaction
	st       *stager
	db       *sql.DB
	target   string
	sc       *sql.Conn // staging: its connection outside the transaction (nil: none yet)
	in       chan tablePart
	queued   atomic.Int64 // bytes of the parts sent to it and not applied yet
	rewrites atomic.Int64 // tables it rewrites (tablePart.rewrite) whose end it has not reached
	open     atomic.Int64 // tables bound to it whose end it has not reached
	bound    atomic.Int64 // tables bound to it so far
	progress func(dumpers.Progress)

	tables            []string
	stamped           []string // tables given a change time again (tableDelta.stamp)
	deleted, inserted int64
	replaced          int
}

// usedExec is an execer that notes whether a statement ran on it.
type usedExec struct {
	ex   execer
	used bool
}

func (u *usedExec) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	u.used = true
	return u.ex.ExecContext(ctx, q, args...)
}

// QueryContext queries on the execer (a *sql.Tx or *sql.Conn).
func (u *usedExec) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return u.ex.(querier).QueryContext(ctx, q, args...)
}

// QueryRowContext queries on the execer (a *sql.Tx or *sql.Conn).
func (u *usedExec) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return u.ex.(querier).QueryRowContext(ctx, q, args...)
}

// leastBusy is the applier a table that has its first part ready is bound to:
// the one rewriting the fewest tables, then the one with the fewest tables
// still open (more parts to come), then the one with the fewest bytes waiting
// to be applied, then the one with the fewest tables so far (idle branches
// share the tables, so that none stays empty when it need not). What a branch has queued at one moment says little of what is
// to come: a rewrite (a cache table filled anew) inserts its whole table, part
// after part as its stream arrives, and a table between two parts has nothing
// queued. On the 470 MB bench's day 2, bound by the bytes sent so far, the
// sessions table joined the 58 MB cache table's rewrite on one connection,
// which was then busy from Ready to the end (4.5 s of statements) while the
// other idled after 1.4 s.
func leastBusy(ws []*applier) *applier {
	w := ws[0]
	for _, o := range ws[1:] {
		if cmp.Or(cmp.Compare(o.rewrites.Load(), w.rewrites.Load()),
			cmp.Compare(o.open.Load(), w.open.Load()),
			cmp.Compare(o.queued.Load(), w.queued.Load()),
			cmp.Compare(o.bound.Load(), w.bound.Load())) < 0 {
			w = o
		}
	}
	return w
}

// run applies parts until in is closed; a reason for a full import comes back
// as a fallback error.
func (w *applier) run(ctx context.Context) error {
	changed := map[*tableDelta]bool{}
	rewritten := map[*tableDelta]bool{}
	inserted := map[*tableDelta]int64{}
	defer func() {
		if w.sc != nil {
			w.sc.Close()
		}
	}()
	for p := range w.in {
		if ctx.Err() != nil {
			return nil // the cause is set
		}
		td := p.td
		if p.end {
			if changed[td] {
				w.progress(dumpers.Progress{Table: td.table, Rows: inserted[td], Done: true})
			}
			if rewritten[td] {
				w.rewrites.Add(-1)
			}
			w.open.Add(-1)
			continue
		}
		if td.stamp {
			// Not a change: its first row, deleted and inserted as it was.
			if err := td.deletes(ctx, w.ex, p.diff.Delete); err != nil {
				return err
			}
			if reason, err := td.inserts(ctx, w.ex, p.header, p.diff.Insert); err != nil || reason != "" {
				return cmp.Or(err, error(fallback(reason)))
			}
			w.stamped = append(w.stamped, td.table)
			continue
		}
		if !changed[td] {
			changed[td] = true
			w.tables = append(w.tables, td.table)
		}
		if p.rewrite {
			rewritten[td] = true
			ok, err := w.stage(ctx, td)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			res, err := w.ex.ExecContext(ctx, "DELETE FROM "+quoteIdent(td.table))
			if err != nil {
				return fmt.Errorf("delta of %s: delete rows: %w", td.table, err)
			}
			n, _ := res.RowsAffected()
			w.deleted += n
			continue
		}
		var ex execer = w.ex
		if td.staged != nil {
			ex = w.sc
		}
		if err := td.deletes(ctx, ex, p.diff.Delete); err != nil {
			return err
		}
		reason, err := td.inserts(ctx, ex, p.header, p.diff.Insert)
		if err != nil {
			return err
		}
		if reason != "" {
			return fallback(reason)
		}
		w.deleted += int64(len(p.diff.Delete))
		w.inserted += int64(len(p.diff.Insert))
		inserted[td] += int64(len(p.diff.Insert))
		w.queued.Add(-int64(p.diff.Bytes()))
	}
	return nil
}

// stage makes the staging table of a rewritten table (deltastage.go) on the
// applier's staging connection; false when the table is to be emptied in the
// transaction instead.
func (w *applier) stage(ctx context.Context, td *tableDelta) (bool, error) {
	if w.sc == nil {
		c, err := connOn(ctx, w.db, w.target)
		if err != nil {
			return false, err
		}
		w.sc = c
	}
	name, err := w.st.create(ctx, w.sc, td.table)
	if err != nil || name == "" {
		return false, err
	}
	td.staged = w.st.ts
	w.replaced++
	return true, nil
}

// deletes removes the rows with keys, deleteBatch keys per statement. The keys
// are literals as the lexer delimited them in a stream the allow-list passed;
// checkDelete checks the statement once more before it runs.
func (td *tableDelta) deletes(ctx context.Context, tx execer, keys [][]byte) error {
	cols := make([]string, len(td.keyCols))
	for i, c := range td.keyCols {
		cols[i] = quoteIdent(c)
	}
	head := "DELETE FROM " + quoteIdent(td.table) + " WHERE "
	if len(cols) == 1 {
		head += cols[0] + " IN ("
	} else {
		head += "(" + strings.Join(cols, ",") + ") IN ("
	}
	for keys := range slices.Chunk(keys, deleteBatch) {
		b := []byte(head)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			if len(cols) > 1 {
				b = append(b, '(')
			}
			b = append(b, k...)
			if len(cols) > 1 {
				b = append(b, ')')
			}
		}
		b = append(b, ')')
		if err := checkDelete(b, len(head), len(cols), len(keys)); err != nil {
			return fmt.Errorf("delta of %s: %w", td.table, err)
		}
		if _, err := tx.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("delta of %s: delete rows: %w", td.table, err)
		}
	}
	return nil
}

// checkDelete: after the head we wrote, only literals (with sign or character
// set introducer), commas and the parentheses of the row constructors, and
// exactly keys × cols literals.
func checkDelete(st []byte, head, cols, keys int) error {
	l := &lexer{s: st[head:], backslash: true}
	lits := 0
	for {
		t, ok := l.next()
		if !ok {
			break
		}
		s := l.s[t.pos:t.end]
		switch {
		case t.kind == tNumber || t.kind == tString:
			lits++
		case t.kind == tWord && (bytes.EqualFold(s, []byte("NULL"))):
			lits++
		case t.kind == tWord && s[0] == '_':
		case t.kind == tPunct && (s[0] == ',' || s[0] == '(' || s[0] == ')' || s[0] == '-' || s[0] == '+'):
		default:
			return fmt.Errorf("generated DELETE holds %q: %w", stmtHead(s), dumpers.ErrRefused)
		}
	}
	if l.err != "" || lits != cols*keys {
		return fmt.Errorf("generated DELETE is malformed: %w", dumpers.ErrRefused)
	}
	return nil
}

// inserts adds the rows lines in statements of the dump's own shape (header
// and rows), each checked by the allow-list as in an import. A row whose key
// the table still holds is a reason for a full import: a later part of the
// difference deletes it, which only happens when the target's collation
// orders keys otherwise than the source's (delta.MergeParts).
func (td *tableDelta) inserts(ctx context.Context, tx execer, header []byte, lines [][]byte) (string, error) {
	if td.ck == nil {
		td.ck = newChecker(td.stream)
	}
	var b []byte
	flush := func() (string, error) {
		td.stmts++
		a, err := td.ck.check(td.stmts, b)
		if err != nil {
			return "", err
		}
		if td.staged != nil {
			a.stmt = td.staged.rewriteInsert(a.stmt)
		}
		if _, err := execStmt(ctx, tx, a.stmt); err != nil {
			var me *driver.MySQLError
			if errors.As(err, &me) && me.Number == erDupEntry {
				return "rows of " + quoteIdent(td.table) + " collide with rows still there (the local collation orders keys otherwise than the source's)", nil
			}
			return "", fmt.Errorf("delta of %s: insert rows: %w", td.table, err)
		}
		b = b[:0]
		return "", nil
	}
	for _, line := range lines {
		if len(b) == 0 {
			b = append(append(b, header...), '\n')
		} else {
			b = append(b, ",\n"...)
		}
		b = append(b, line...)
		if len(b) >= insertBatch {
			if reason, err := flush(); err != nil || reason != "" {
				return reason, err
			}
		}
	}
	if len(b) > 0 {
		return flush()
	}
	return "", nil
}
