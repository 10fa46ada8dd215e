package mysql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
)

// RecordTable is the table in the target where an install records what it
// installed (per stream its ref, and a fingerprint of the database right after).
// The allow-list refuses any statement of a dump that names it, so the source can
// neither create nor change it.
const RecordTable = "__synco_installed"

// fingerprintRow is the record row that holds the fingerprint.
const fingerprintRow = "#fingerprint"

// record is what the last install left in RecordTable.
type record struct {
	refs map[string]dumpers.StreamRef
	fp   string // "" when not recorded (an install that did not finish)
}

// readRecord returns the record of target, nil when there is none.
func readRecord(ctx context.Context, db *sql.DB, target string) (*record, error) {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", target, RecordTable).Scan(&n); err != nil {
		return nil, fmt.Errorf("look for the install record: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT name, hash, loc FROM "+quoteIdent(target)+"."+quoteIdent(RecordTable))
	if err != nil {
		return nil, fmt.Errorf("read the install record: %w", err)
	}
	defer rows.Close()
	rec := &record{refs: map[string]dumpers.StreamRef{}}
	for rows.Next() {
		var name string
		var hash, loc []byte
		if err := rows.Scan(&name, &hash, &loc); err != nil {
			return nil, fmt.Errorf("read the install record: %w", err)
		}
		if name == fingerprintRow {
			rec.fp = string(loc)
			continue
		}
		if name == groupRow {
			continue
		}
		var ref dumpers.StreamRef
		if len(hash) != len(ref.Hash) {
			return nil, nil // not ours: no record
		}
		copy(ref.Hash[:], hash)
		ref.Loc = loc
		rec.refs[name] = ref
	}
	return rec, rows.Err()
}

// execer is a *sql.Tx or *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// writeGroup records the XA group of the install (deltatx.go), in its first
// branch, after writeRefs.
func writeGroup(ctx context.Context, ex execer, target, gtrid string) error {
	tbl := quoteIdent(target) + "." + quoteIdent(RecordTable)
	if _, err := ex.ExecContext(ctx, "INSERT INTO "+tbl+" (name, hash, loc) VALUES (?, '', ?)", groupRow, gtrid); err != nil {
		return fmt.Errorf("write the install record: %w", err)
	}
	return nil
}

// createRecord creates the record table if it is missing. It must run before
// the transaction that writes the refs, not in it: CREATE TABLE, even one that
// finds the table there, commits the open transaction first.
func createRecord(ctx context.Context, ex execer, target string) error {
	tbl := quoteIdent(target) + "." + quoteIdent(RecordTable)
	if _, err := ex.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+tbl+
		" (name VARBINARY(1024) NOT NULL PRIMARY KEY, hash VARBINARY(32) NOT NULL, loc LONGBLOB NOT NULL) ENGINE=InnoDB"); err != nil {
		return fmt.Errorf("create the install record: %w", err)
	}
	return nil
}

// testHookRefs, when set (by tests), runs as writeRefs starts: an error from it
// is a failure while the record is written.
var testHookRefs func() error

// writeRefs replaces the refs of the record (created by createRecord) and
// removes its fingerprint: until writeFingerprint, the record proves nothing.
func writeRefs(ctx context.Context, ex execer, target string, refs map[string]dumpers.StreamRef) error {
	tbl := quoteIdent(target) + "." + quoteIdent(RecordTable)
	if testHookRefs != nil {
		if err := testHookRefs(); err != nil {
			return err
		}
	}
	if _, err := ex.ExecContext(ctx, "DELETE FROM "+tbl); err != nil {
		return fmt.Errorf("write the install record: %w", err)
	}
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r := refs[n]
		if _, err := ex.ExecContext(ctx, "INSERT INTO "+tbl+" (name, hash, loc) VALUES (?, ?, ?)", n, r.Hash[:], r.Loc); err != nil {
			return fmt.Errorf("write the install record: %w", err)
		}
	}
	return nil
}

func writeFingerprint(ctx context.Context, ex execer, target, fp string) error {
	tbl := quoteIdent(target) + "." + quoteIdent(RecordTable)
	if _, err := ex.ExecContext(ctx, "REPLACE INTO "+tbl+" (name, hash, loc) VALUES (?, '', ?)", fingerprintRow, fp); err != nil {
		return fmt.Errorf("write the install record: %w", err)
	}
	return nil
}

// refsOf returns the refs of every stream of src.
func refsOf(src dumpers.Source, re dumpers.Reopener) (map[string]dumpers.StreamRef, bool) {
	refs := map[string]dumpers.StreamRef{}
	for _, n := range src.Names() {
		r, ok := re.Ref(n)
		if !ok {
			return nil, false
		}
		refs[n] = r
	}
	return refs, true
}

// settle waits until the server's clock has left the second of target's last
// change (at most a second): change times have a resolution of one second, so a
// local edit in that same second would not show in a fingerprint taken now.
func settle(ctx context.Context, db *sql.DB, target string) error {
	var busy sql.NullInt64
	var frac float64
	err := db.QueryRowContext(ctx, "SELECT MAX(GREATEST(IFNULL(UPDATE_TIME, 0), IFNULL(CREATE_TIME, 0))) >= NOW(), 1 - MICROSECOND(NOW(6)) / 1e6 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", target).Scan(&busy, &frac)
	if err != nil {
		return fmt.Errorf("fingerprint %s: %w", target, err)
	}
	if busy.Int64 == 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(frac*float64(time.Second)) + 5*time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checksumLimit bounds the size (data and indexes) of the tables that
// settledFingerprint checksums instead of waiting, after a full import. CHECKSUM
// TABLE reads every row; a few tens of MB take tens of milliseconds when they
// were just written (they are in the buffer pool), against the half second a
// wait costs on average.
const checksumLimit = 64 << 20

// deltaChecksumLimit is checksumLimit after a delta install. It touched a few
// rows of the tables it changed: unless the database fits the buffer pool, most
// of their pages are not there, and CHECKSUM TABLE reads them from disk (30 MB
// took 0.3–0.5 s here), now and again at the next install.
const deltaChecksumLimit = 16 << 20

// settledFingerprint is the fingerprint to record right after an install.
// Change times have a resolution of one second, so a local edit later in the
// second of the install's last change would not show in them. Instead of
// waiting for that second to end (settle), the tables changed in it are also
// described by their CHECKSUM TABLE, which the next install computes again
// (currentFingerprint): an edit after the checksum changes it. When those
// tables are larger than limit (bytes of data and indexes), it waits as settle
// does. On MariaDB (bounded) the checksums may take at most the rest of that
// second (max_statement_time): when they would take longer, the second is over
// by then and the fingerprint alone is taken again, so recording costs the
// shorter of the two.
func settledFingerprint(ctx context.Context, db *sql.DB, target string, limit int64, bounded bool) (string, error) {
	// The second is read before the fingerprint: a table whose change time in
	// the fingerprint is in it or later is checksummed.
	var now string
	if err := db.QueryRowContext(ctx, "SELECT CAST(NOW() AS CHAR)").Scan(&now); err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", target, err)
	}
	fp, err := fingerprint(ctx, db, target)
	if err != nil {
		return "", err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, IFNULL(DATA_LENGTH, 0) + IFNULL(INDEX_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> '"+RecordTable+"' AND TABLE_TYPE = 'BASE TABLE' AND GREATEST(IFNULL(UPDATE_TIME, 0), IFNULL(CREATE_TIME, 0)) >= CAST(? AS DATETIME) ORDER BY TABLE_NAME", target, now)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", target, err)
	}
	var busy []string
	var size int64
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return "", fmt.Errorf("fingerprint %s: %w", target, err)
		}
		busy, size = append(busy, name), size+n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", target, err)
	}
	if len(busy) == 0 {
		return fp, nil
	}
	if size > limit {
		if err := settle(ctx, db, target); err != nil {
			return "", err
		}
		return fingerprint(ctx, db, target)
	}
	within := 0.0
	if bounded {
		if err := db.QueryRowContext(ctx, "SELECT 1.01 - MICROSECOND(NOW(6)) / 1e6").Scan(&within); err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", target, err)
		}
	}
	sums, err := checksumsWithin(ctx, db, target, busy, within)
	var me *driver.MySQLError
	if errors.As(err, &me) && me.Number == erStatementTimeout {
		if err := settle(ctx, db, target); err != nil {
			return "", err
		}
		return fingerprint(ctx, db, target)
	}
	if err != nil {
		return "", err
	}
	return fp + sums, nil
}

// erStatementTimeout: MariaDB's max_statement_time was exceeded.
const erStatementTimeout = 1969

// currentFingerprint is target's fingerprint now, to compare with rec, a
// recorded one: creation times resolved by known, with the checksums of the
// tables rec has checksums of, if the rest is the same.
func currentFingerprint(ctx context.Context, db *sql.DB, target, rec string, known knownFunc) (string, error) {
	fp, err := fingerprint(ctx, db, target)
	if err != nil {
		return "", err
	}
	if fp, err = known(ctx, rec, fp); err != nil {
		return "", err
	}
	base, sums, _ := strings.Cut(rec, "\n"+checksumKind+" ")
	if sums == "" || base+"\n" != fp {
		return fp, nil
	}
	var names []string
	for _, l := range fpLines(checksumKind+" "+sums, false) {
		if _, t := fpKey(l); t != "" && strings.HasPrefix(l, checksumKind+" ") {
			names = append(names, t)
		}
	}
	cs, err := checksums(ctx, db, target, names)
	if err != nil {
		return "", err
	}
	return fp + cs, nil
}

// checksumKind starts the fingerprint lines of table checksums.
const checksumKind = "checksum"

// checksums returns a fingerprint line per table with its CHECKSUM TABLE (NULL
// for a table that does not exist).
func checksums(ctx context.Context, db *sql.DB, target string, tables []string) (string, error) {
	return checksumsWithin(ctx, db, target, tables, 0)
}

// checksumsWithin is checksums in at most seconds (MariaDB; 0: no limit).
func checksumsWithin(ctx context.Context, db *sql.DB, target string, tables []string, seconds float64) (string, error) {
	if len(tables) == 0 {
		return "", nil
	}
	q := make([]string, len(tables))
	for i, t := range tables {
		q[i] = quoteIdent(target) + "." + quoteIdent(t)
	}
	stmt := "CHECKSUM TABLE " + strings.Join(q, ", ")
	if seconds > 0 {
		stmt = "SET STATEMENT max_statement_time = " + strconv.FormatFloat(seconds, 'f', 3, 64) + " FOR " + stmt
	}
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: checksum: %w", target, err)
	}
	defer rows.Close()
	var b strings.Builder
	i := 0
	for rows.Next() {
		var name string
		var sum sql.NullString
		if err := rows.Scan(&name, &sum); err != nil {
			return "", fmt.Errorf("fingerprint %s: checksum: %w", target, err)
		}
		if i >= len(tables) {
			return "", fmt.Errorf("fingerprint %s: checksum: more rows than tables", target)
		}
		v := "NULL"
		if sum.Valid {
			v = sum.String
		}
		fmt.Fprintf(&b, "%s %s\t%s\n", checksumKind, hex.EncodeToString([]byte(tables[i])), v)
		i++
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("fingerprint %s: checksum: %w", target, err)
	}
	if i != len(tables) {
		return "", fmt.Errorf("fingerprint %s: checksum: %d rows for %d tables", target, i, len(tables))
	}
	return b.String(), nil
}

// fingerprint describes target cheaply, one line per object: every table with
// its engine, creation and last-change time (CREATE_TIME changes with any DDL,
// TRUNCATE included; UPDATE_TIME with any committed row change), every view with a
// hash of its definition, every routine, trigger and event with its creation or
// last change. Reading it touches no row. MariaDB keeps InnoDB's UPDATE_TIME in
// memory only: after a server restart (or when the table left the table cache)
// it is NULL, and the fingerprint differs from the recorded one (a full import
// then, not a wrong delta). The times have a resolution of one second. A
// CREATE_TIME MariaDB does not know is resolved by the table's definition
// (creation.go).
func fingerprint(ctx context.Context, q interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}, target string) (string, error) {
	var b strings.Builder
	var seqs []string
	for _, query := range []string{
		"SELECT 'table', TABLE_NAME, CONCAT_WS(' ', TABLE_TYPE, IFNULL(ENGINE, '-'), IFNULL(CREATE_TIME, '-'), IFNULL(UPDATE_TIME, '-')) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> '" + RecordTable + "' ORDER BY TABLE_NAME",
		"SELECT 'view', TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
		"SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, CONCAT_WS(' ', CREATED, LAST_ALTERED) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
		"SELECT 'trigger', TRIGGER_NAME, CONCAT_WS(' ', EVENT_OBJECT_TABLE, CREATED) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME",
		"SELECT 'event', EVENT_NAME, CONCAT_WS(' ', CREATED, LAST_ALTERED) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME",
	} {
		rows, err := q.QueryContext(ctx, query, target)
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", target, err)
		}
		for rows.Next() {
			var kind, name string
			var what sql.NullString
			if err := rows.Scan(&kind, &name, &what); err != nil {
				rows.Close()
				return "", fmt.Errorf("fingerprint %s: %w", target, err)
			}
			if kind == "view" {
				h := sha256.Sum256([]byte(what.String))
				what.String = hex.EncodeToString(h[:8])
			}
			if kind == "table" && strings.HasPrefix(what.String, "SEQUENCE ") {
				seqs = append(seqs, name)
			}
			fmt.Fprintf(&b, "%s %s\t%s\n", kind, hex.EncodeToString([]byte(name)), what.String)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", target, err)
		}
	}
	// A sequence's state is its one row, which no change time follows:
	// NEXTVAL, SETVAL and ALTER SEQUENCE leave UPDATE_TIME and CREATE_TIME
	// as they were.
	// One query for all of them (UNION ALL keeps each SELECT's row).
	for len(seqs) > 0 {
		n := min(len(seqs), 100)
		parts := make([]string, n)
		for i, name := range seqs[:n] {
			parts[i] = "SELECT " + quoteString(hex.EncodeToString([]byte(name))) + ", CONCAT_WS(' ', next_not_cached_value, minimum_value, maximum_value, start_value, increment, cache_size, cycle_option, cycle_count) FROM " + quoteIdent(target) + "." + quoteIdent(name)
		}
		rows, err := q.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: sequences: %w", target, err)
		}
		got := map[string]string{}
		for rows.Next() {
			var h string
			var state sql.NullString
			if err := rows.Scan(&h, &state); err != nil {
				rows.Close()
				return "", fmt.Errorf("fingerprint %s: sequences: %w", target, err)
			}
			got[h] = state.String
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("fingerprint %s: sequences: %w", target, err)
		}
		for _, name := range seqs[:n] {
			h := hex.EncodeToString([]byte(name))
			fmt.Fprintf(&b, "%s %s\t%s\n", sequenceKind, h, got[h])
		}
		seqs = seqs[n:]
	}
	if testHookFingerprint != nil {
		return testHookFingerprint(b.String()), nil
	}
	return b.String(), nil
}

// testHookFingerprint, when set (by tests), rewrites every fingerprint read.
var testHookFingerprint func(fp string) string

// sequenceKind starts the fingerprint lines of sequences' states.
const sequenceKind = "sequence"

// fpLines splits a fingerprint into its lines (each with its "\n"), leaving
// out the checksum lines when base is set.
func fpLines(fp string, base bool) []string {
	var out []string
	for _, l := range strings.SplitAfter(fp, "\n") {
		if l != "" && !(base && strings.HasPrefix(l, checksumKind+" ")) {
			out = append(out, l)
		}
	}
	return out
}

// fpKey is the object a fingerprint line describes (kind and hex name), and
// the table it names: of a table's line, its checksum line or a sequence's
// state ("" for other kinds).
func fpKey(l string) (key, table string) {
	key, _, _ = strings.Cut(l, "\t")
	kind, h, _ := strings.Cut(key, " ")
	if kind == "table" || kind == checksumKind || kind == sequenceKind {
		n, _ := hex.DecodeString(h)
		table = string(n)
	}
	return key, table
}

// knownFunc returns now, a current fingerprint, with the creation times that
// it or want do not know resolved (deltaInstall.knownCreation).
type knownFunc func(ctx context.Context, want, now string) (string, error)

// changedMeanwhile names an object of target that another session changed
// since the delta started from the recorded fingerprint was, or "": it runs
// just before the delta's commit, when what is committed must still be what
// was recorded. The delta's own rows are not committed yet (InnoDB moves a
// table's change time at the commit); its staged tables, and the tables they
// replace whole, are left out (skip). What it cannot see is in the package
// doc ("A local application may write while the delta runs").
func changedMeanwhile(ctx context.Context, db *sql.DB, target, was string, known knownFunc, skip func(table string) bool) (string, error) {
	now, err := fingerprint(ctx, db, target)
	if err != nil {
		return "", err
	}
	if now, err = known(ctx, was, now); err != nil {
		return "", err
	}
	kept := func(lines []string) string {
		var b strings.Builder
		for _, l := range lines {
			if _, t := fpKey(l); t == "" || !skip(t) {
				b.WriteString(l)
			}
		}
		return b.String()
	}
	if a, b := kept(fpLines(was, true)), kept(fpLines(now, false)); a != b {
		return fingerprintDiff(a, b), nil
	}
	return "", nil
}

// writerWaiting names a table of target that another session waits to
// write, or "": a lock the delta holds keeps it waiting, and it would commit
// right after the delta, unseen (in the second of the delta's commit). It
// reads InnoDB's lock waits (MariaDB, with the PROCESS privilege; MySQL 8 from
// performance_schema): where they cannot be read, it says "". InnoDB
// answers from a copy it refreshes when it was not read for the last 100 ms,
// so a session that reads them without pause keeps them stale for everyone.
func writerWaiting(ctx context.Context, db *sql.DB, target string) string {
	var table string
	prefix := quoteIdent(target) + "."
	err := db.QueryRowContext(ctx, "SELECT l.lock_table FROM information_schema.INNODB_LOCK_WAITS w JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id WHERE LEFT(l.lock_table, CHAR_LENGTH(?)) = ? LIMIT 1", prefix, prefix).Scan(&table)
	switch {
	case err == nil:
		return strings.TrimPrefix(table, prefix)
	case errors.Is(err, sql.ErrNoRows):
		return ""
	}
	// MySQL 8 lists them in performance_schema (not run here: no MySQL).
	if db.QueryRowContext(ctx, "SELECT l.OBJECT_NAME FROM performance_schema.data_lock_waits w JOIN performance_schema.data_locks l ON l.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID WHERE l.OBJECT_SCHEMA = ? LIMIT 1", target).Scan(&table) == nil {
		return quoteIdent(table)
	}
	return ""
}

// keepUntouched is the fingerprint to record after a delta that changed only
// the tables touched: every other object is recorded as it was when the delta
// started (was), with the checksum was had of it, not as it is now, so that a
// change another session made to it while the delta ran, or since, shows at
// the next install; an object that appeared meanwhile is left out, one that
// disappeared kept.
func keepUntouched(was, now string, touched map[string]bool) string {
	before := map[string]string{}
	for _, l := range fpLines(was, true) {
		k, _ := fpKey(l)
		before[k] = l
	}
	isTouched := func(l string) bool {
		_, t := fpKey(l)
		return t != "" && touched[t]
	}
	var b, sums strings.Builder
	seen := map[string]bool{}
	for _, l := range fpLines(now, false) {
		k, _ := fpKey(l)
		seen[k] = true
		switch {
		case isTouched(l) && strings.HasPrefix(l, checksumKind+" "):
			sums.WriteString(l)
		case isTouched(l):
			b.WriteString(l)
		case before[k] != "":
			b.WriteString(before[k])
		}
	}
	for _, l := range fpLines(was, false) {
		switch k, _ := fpKey(l); {
		case isTouched(l):
		case strings.HasPrefix(l, checksumKind+" "):
			sums.WriteString(l)
		case !seen[k]:
			b.WriteString(l)
		}
	}
	return b.String() + sums.String()
}

// fingerprintDiff names the first object that differs between two fingerprints.
// localChange is the reason for a full import when now, the target's
// fingerprint, differs from was, the recorded one: an object that exists
// only here (the import drops it), one dropped here, or one changed here.
func localChange(was, now string) string {
	l, inNow := firstDiff(was, now)
	if l == "" {
		return "the database changed locally since the last install"
	}
	key, _ := fpKey(l)
	other := was
	if !inNow {
		other = now
	}
	if strings.HasPrefix(key, "table ") && !strings.Contains("\n"+other, "\n"+key+"\t") {
		if inNow {
			return lineName(l) + " exists only locally (the full import drops it)"
		}
		return lineName(l) + " was dropped locally since the last install"
	}
	return lineName(l) + " changed locally since the last install"
}

// fingerprintDiff names the first object whose line in now is not in was, or
// else the first whose line in was is not in now ("the database": none).
func fingerprintDiff(was, now string) string {
	l, _ := firstDiff(was, now)
	if l == "" {
		return "the database"
	}
	return lineName(l)
}

// firstDiff returns the first line of now that was lacks (inNow), or else the
// first of was that now lacks; "" when they hold the same lines.
func firstDiff(was, now string) (line string, inNow bool) {
	a, b := strings.Split(was, "\n"), strings.Split(now, "\n")
	in := func(lines []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range lines {
			m[l] = true
		}
		return m
	}
	inA, inB := in(a), in(b)
	for _, l := range b {
		if !inA[l] {
			return l, true
		}
	}
	for _, l := range a {
		if !inB[l] {
			return l, false
		}
	}
	return "", false
}

// lineName names the object of a fingerprint line: "table `t`", "view `v`"…
// (a table's checksum line names the table).
func lineName(l string) string {
	kind, rest, _ := strings.Cut(l, " ")
	h, _, _ := strings.Cut(rest, "\t")
	n, _ := hex.DecodeString(h)
	if kind == checksumKind {
		kind = "table"
	}
	return kind + " " + quoteIdent(string(n))
}

// namesRecord refuses a statement that names RecordTable (in any letter case:
// some servers compare table names case-insensitively): the record of what was
// installed is ours, the source must not create or change it.
func (c *checker) namesRecord(stmt []byte) string {
	const reason = "names synco's install record " + RecordTable
	if c.kind == kindData {
		if strings.EqualFold(c.table, RecordTable) {
			return reason
		}
		return ""
	}
	if !bytes.Contains(bytes.ToLower(stmt), []byte("installed")) {
		return "" // cheap path: no token can be the name
	}
	toks, _ := lexAll(stmt, c.backslash, c.ansiQuotes)
	v := &stmtView{s: stmt, toks: toks}
	for i, t := range toks {
		if (t.kind == tWord || t.kind == tIdent) && strings.EqualFold(v.name(i), RecordTable) {
			return reason
		}
	}
	return ""
}
