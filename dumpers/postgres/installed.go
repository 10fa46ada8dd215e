package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"synco/dumpers"
)

// RecordSchema holds, in the target, RecordTable: what the last install
// installed (per stream its ref) and a fingerprint of the database right after.
// It is a schema of its own so that applications that look at public do not see
// it; the dumper leaves it out (catalog.go), and the allow-list refuses any
// statement of a dump that names it, so the source can neither create nor
// change it.
const (
	RecordSchema = "__synco"
	RecordTable  = RecordSchema + ".installed"
)

// fingerprintRow is the record row that holds the fingerprint.
const fingerprintRow = "#fingerprint"

// installApp is the application_name of an install's own sessions: the check
// for other sessions whose statistics may not be counted yet leaves them out.
const installApp = "synco install"

// namesRecord reports whether a lower-case name or word is RecordSchema
// (allow.go refuses statements that name it).
func namesRecord(n string) bool { return n == RecordSchema }

// record is what the last install left in RecordTable.
type record struct {
	refs map[string]dumpers.StreamRef
	fp   string // "" when not recorded
}

// readRecord returns the record of the database conn is connected to, nil when
// there is none.
func readRecord(ctx context.Context, conn *pgconn.PgConn) (*record, error) {
	var exists bool
	if err := queryRow(ctx, conn, "SELECT to_regclass($1) IS NOT NULL", []string{RecordTable}, &exists); err != nil {
		return nil, fmt.Errorf("look for the install record: %w", err)
	}
	if !exists {
		return nil, nil
	}
	res := conn.ExecParams(ctx, "SELECT name, hash, loc FROM "+RecordTable, nil, nil, nil, []int16{1, 1, 1}).Read()
	if res.Err != nil {
		return nil, fmt.Errorf("read the install record: %w", res.Err)
	}
	rec := &record{refs: map[string]dumpers.StreamRef{}}
	for _, row := range res.Rows {
		if len(row) != 3 {
			return nil, nil
		}
		name := string(row[0])
		if name == fingerprintRow {
			rec.fp = string(row[2])
			continue
		}
		var ref dumpers.StreamRef
		if len(row[1]) != len(ref.Hash) {
			return nil, nil // not ours: no record
		}
		copy(ref.Hash[:], row[1])
		ref.Loc = append([]byte(nil), row[2]...)
		rec.refs[name] = ref
	}
	return rec, nil
}

// writeRecord replaces the record with refs and fingerprint fp, creating its
// schema and table when needed; conn is in a transaction.
func writeRecord(ctx context.Context, conn *pgconn.PgConn, refs map[string]dumpers.StreamRef, fp string) error {
	if err := exec(ctx, conn, "CREATE SCHEMA IF NOT EXISTS "+RecordSchema+";\n"+
		"CREATE TABLE IF NOT EXISTS "+RecordTable+" (name bytea PRIMARY KEY, hash bytea NOT NULL, loc bytea NOT NULL);\n"+
		"DELETE FROM "+RecordTable); err != nil {
		return fmt.Errorf("write the install record: %w", err)
	}
	ins := func(name string, hash, loc []byte) error {
		res := conn.ExecParams(ctx, "INSERT INTO "+RecordTable+" (name, hash, loc) VALUES ($1, $2, $3)",
			[][]byte{[]byte(name), hash, loc}, []uint32{17, 17, 17}, []int16{1, 1, 1}, nil).Read()
		if res.Err != nil {
			return fmt.Errorf("write the install record: %w", res.Err)
		}
		return nil
	}
	for _, n := range slices.Sorted(maps.Keys(refs)) {
		r := refs[n]
		if err := ins(n, r.Hash[:], r.Loc); err != nil {
			return err
		}
	}
	return ins(fingerprintRow, []byte{}, []byte(fp))
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

// counts are a table's change counters (pg_stat_user_tables): rows inserted,
// updated, deleted and HOT-updated, committed or not.
type counts [4]int64

// fingerprint describes the database cheaply (package doc, "Delta install"):
// cat, one line per object, holds what the catalog says (definitions, file
// nodes, sequence values); stats the change counters of every table, keyed by
// its data stream's name.
type fingerprint struct {
	cat   string
	stats map[string]counts
}

// String encodes f: cat, then one "stats" line per table.
func (f *fingerprint) String() string {
	var b strings.Builder
	b.WriteString(f.cat)
	for _, n := range slices.Sorted(maps.Keys(f.stats)) {
		c := f.stats[n]
		fmt.Fprintf(&b, "stats\t%s\t%d %d %d %d\n", hex.EncodeToString([]byte(n)), c[0], c[1], c[2], c[3])
	}
	return b.String()
}

// parseFingerprint decodes String's encoding.
func parseFingerprint(s string) (*fingerprint, error) {
	f := &fingerprint{stats: map[string]counts{}}
	var cat strings.Builder
	for l := range strings.Lines(s) {
		rest, ok := strings.CutPrefix(l, "stats\t")
		if !ok {
			cat.WriteString(l)
			continue
		}
		h, vals, _ := strings.Cut(strings.TrimSuffix(rest, "\n"), "\t")
		name, err := hex.DecodeString(h)
		fs := strings.Fields(vals)
		if err != nil || len(fs) != 4 {
			return nil, errors.New("malformed fingerprint")
		}
		var c counts
		for i, v := range fs {
			if c[i], err = strconv.ParseInt(v, 10, 64); err != nil {
				return nil, errors.New("malformed fingerprint")
			}
		}
		f.stats[string(name)] = c
	}
	f.cat = cat.String()
	return f, nil
}

// catalogQuery lists the objects of the database with what changes when they
// are changed: kind, name, value. It reads the catalog only.
var catalogQuery = `SELECT 'schema', n.nspname, '' FROM pg_namespace n WHERE ` + userCond("n", "pg_namespace", "n") + `
UNION ALL SELECT 'extension', x.extname, x.extversion || ' ' || n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
UNION ALL SELECT 'relation', n.nspname || '.' || c.relname, concat_ws(' ', c.relkind, c.relfilenode, c.relpersistence,
  c.relispopulated, array_to_string(c.reloptions, ','),
  md5(coalesce((SELECT string_agg(concat_ws(':', a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
     a.attisdropped, a.attidentity, a.attgenerated, a.attcollation, pg_get_expr(d.adbin, d.adrelid)), ',' ORDER BY a.attnum)
   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = c.oid AND a.attnum > 0), '')),
  CASE WHEN c.relkind IN ('v', 'm') THEN md5(pg_get_viewdef(c.oid)) WHEN c.relkind IN ('i', 'I') THEN md5(pg_get_indexdef(c.oid))
   WHEN c.relkind = 'S' THEN coalesce((SELECT s.last_value::text FROM pg_sequences s WHERE s.schemaname = n.nspname AND s.sequencename = c.relname), '-')
   WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END)
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'f', 'c') AND ` + userCond("n", "pg_class", "c") + `
UNION ALL SELECT 'constraint', n.nspname || '.' || coalesce(r.relname, t.typname) || '.' || k.conname,
  concat_ws(' ', k.convalidated, md5(pg_get_constraintdef(k.oid)))
 FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
 LEFT JOIN pg_class r ON r.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
 WHERE ` + userCond("n", "pg_constraint", "k") + `
UNION ALL SELECT 'trigger', n.nspname || '.' || c.relname || '.' || t.tgname, concat_ws(' ', t.tgenabled, md5(pg_get_triggerdef(t.oid)))
 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND ` + userCond("n", "pg_class", "c") + `
UNION ALL SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_get_functiondef(p.oid))
   ELSE (SELECT md5(a::text) FROM pg_aggregate a WHERE a.aggfnoid = p.oid) END
 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + userCond("n", "pg_proc", "p") + `
UNION ALL SELECT 'type', n.nspname || '.' || t.typname, concat_ws(' ', t.typtype, t.typbasetype::regtype, t.typnotnull, t.typdefault,
  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r') AND ` + userCond("n", "pg_type", "t") + `
UNION ALL SELECT 'stats reset', '', coalesce(stats_reset::text, '') FROM pg_stat_database WHERE datname = current_database()`

// statsQuery reads the change counters of every table.
var statsQuery = `SELECT n.nspname, c.relname, s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_stat_user_tables s ON s.relid = c.oid
 WHERE c.relkind = 'r' AND ` + userCond("n", "pg_class", "c")

// readFingerprint reads the fingerprint of the database conn is connected to.
func readFingerprint(ctx context.Context, conn *pgconn.PgConn) (*fingerprint, error) {
	f := &fingerprint{}
	var err error
	if f.cat, err = readCatalogPrint(ctx, conn); err != nil {
		return nil, err
	}
	if f.stats, err = readStats(ctx, conn); err != nil {
		return nil, err
	}
	return f, nil
}

func readCatalogPrint(ctx context.Context, conn *pgconn.PgConn) (string, error) {
	rows, err := query(ctx, conn, catalogQuery)
	if err != nil {
		return "", fmt.Errorf("fingerprint the database: %w", err)
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = fmt.Sprintf("%s\t%s\t%s\n", r[0], hex.EncodeToString(r[1]), r[2])
	}
	slices.Sort(lines)
	return strings.Join(lines, ""), nil
}

func readStats(ctx context.Context, conn *pgconn.PgConn) (map[string]counts, error) {
	// A fresh snapshot of the statistics, not one cached earlier in this transaction.
	if err := exec(ctx, conn, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return nil, fmt.Errorf("read change counters: %w", err)
	}
	stats := map[string]counts{}
	var schema, name string
	var c counts
	err := eachRow(ctx, conn, statsQuery, []any{&schema, &name, &c[0], &c[1], &c[2], &c[3]}, func() error {
		stats[dumpers.DataStream(schema+"."+name)] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read change counters: %w", err)
	}
	return stats, nil
}

// fingerprintDiff names the first object that differs between two fingerprints.
func fingerprintDiff(was, now string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for l := range strings.Lines(s) {
			m[l] = true
		}
		return m
	}
	a, b := in(was), in(now)
	name := func(l string) string {
		kind, rest, _ := strings.Cut(l, "\t")
		h, _, _ := strings.Cut(rest, "\t")
		n, _ := hex.DecodeString(h)
		if kind == "stats" {
			kind, n = "table", []byte(strings.TrimSuffix(strings.TrimPrefix(string(n), dumpers.DataDir), ".sql"))
		}
		return strings.TrimSpace(kind + " " + string(n))
	}
	for l := range strings.Lines(now) {
		if !a[l] {
			return name(l)
		}
	}
	for l := range strings.Lines(was) {
		if !b[l] {
			return name(l)
		}
	}
	return "the database"
}
