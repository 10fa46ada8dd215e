package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// userObj is the SQL condition that keeps objects of user schemas that do not
// belong to an extension. %[1]s is the namespace alias, %[2]s the catalog
// table of the object, %[3]s the alias of the object row.
// RecordSchema (synco's install record, installed.go) is left out too.
const userObj = `%[1]s.nspname <> 'information_schema' AND %[1]s.nspname NOT LIKE 'pg\_%%' AND %[1]s.nspname <> '` + RecordSchema + `'
 AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '%[2]s'::regclass AND e.objid = %[3]s.oid AND e.deptype = 'e')`

func userCond(ns, cat, obj string) string { return fmt.Sprintf(userObj, ns, cat, obj) }

// catalog is everything Dump reads from pg_catalog, sorted by names.
type catalog struct {
	version    int
	schemas    []string // quoted, without public
	extensions []extension
	types      []typ
	funcs      []fn
	seqs       []sequence
	tables     []*table
	byOID      map[uint32]*table
	indexes    []index
	cons       []constraint
	views      []view
	triggers   []trigger
	comments   []comment
}

type extension struct{ name, schema string }

type column struct {
	name, qname, typ, def, collation, identity, generated string
	notNull                                               bool
}

type table struct {
	oid          uint32
	schema, name string // raw names, for pattern matching
	qname        string // quoted, schema-qualified
	kind         string // r or p
	unlogged     bool
	partKey      string // for partitioned tables
	parent       string // qname of the partition parent
	bound        string // partition bound
	options      string // reloptions
	cols         []column
	pk           []string // quoted PK columns in key order
	excluded     bool
	noData       bool
	// Left out of the dump (doc.go): row-level security (enabled or forced),
	// its policies, and the parents it inherits from other than as a
	// partition.
	rls      bool
	policies int
	inherits string
}

type sequence struct {
	oid                         uint32
	qname, typ                  string
	start, inc, min, max, cache int64
	cycle                       bool
	ownerTable                  uint32 // 0 if none
	ownerCol                    string // quoted
	identity                    bool   // belongs to an identity column
	lastValue                   int64
	isCalled                    bool
}

func (c *catalog) load(ctx context.Context, conn *pgconn.PgConn) error {
	steps := []struct {
		what string
		f    func(context.Context, *pgconn.PgConn) error
	}{
		{"schemas", c.loadSchemas}, {"extensions", c.loadExtensions}, {"types", c.loadTypes},
		{"functions", c.loadFuncs}, {"tables", c.loadTables}, {"columns", c.loadColumns},
		{"sequences", c.loadSeqs}, {"indexes", c.loadIndexes}, {"constraints", c.loadCons},
		{"views", c.loadViews}, {"triggers", c.loadTriggers}, {"comments", c.loadComments},
	}
	for _, s := range steps {
		if err := s.f(ctx, conn); err != nil {
			return fmt.Errorf("read catalog %s: %w", s.what, privErr(err, "SELECT on pg_catalog"))
		}
	}
	return nil
}

func (c *catalog) loadSchemas(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT quote_ident(n.nspname) FROM pg_namespace n
 WHERE n.nspname <> 'public' AND ` + userCond("n", "pg_namespace", "n") + ` ORDER BY n.nspname COLLATE "C"`
	var name string
	return eachRow(ctx, conn, sql, []any{&name}, func() error {
		c.schemas = append(c.schemas, name)
		return nil
	})
}

func (c *catalog) loadExtensions(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT quote_ident(x.extname), quote_ident(n.nspname) FROM pg_extension x
 JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname <> 'plpgsql' ORDER BY x.extname COLLATE "C"`
	var e extension
	err := eachRow(ctx, conn, sql, []any{&e.name, &e.schema}, func() error {
		c.extensions = append(c.extensions, e)
		return nil
	})
	return err
}

func (c *catalog) loadTables(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname), c.relkind::text,
 c.relpersistence = 'u', coalesce(pg_get_partkeydef(c.oid), ''),
 coalesce((SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
   JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition), ''),
 CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) ELSE '' END,
 coalesce(array_to_string(c.reloptions, ', '), ''),
 coalesce((SELECT array_agg(quote_ident(a.attname) ORDER BY k.i) FROM pg_constraint p,
   unnest(p.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n
   WHERE p.conrelid = c.oid AND p.contype = 'p'), '{}'),
 c.relrowsecurity OR c.relforcerowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
 coalesce((SELECT string_agg(format('%I.%I', pn.nspname, pc.relname), ', ' ORDER BY i.inhseqno) FROM pg_inherits i
   JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
   WHERE i.inhrelid = c.oid AND NOT c.relispartition), '')
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND ` + userCond("n", "pg_class", "c") + `
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`
	c.byOID = map[uint32]*table{}
	var t table
	err := eachRow(ctx, conn, sql, []any{&t.oid, &t.schema, &t.name, &t.qname, &t.kind, &t.unlogged, &t.partKey,
		&t.parent, &t.bound, &t.options, &t.pk, &t.rls, &t.policies, &t.inherits}, func() error {
		nt := t
		c.tables = append(c.tables, &nt)
		c.byOID[nt.oid] = &nt
		return nil
	})
	return err
}

func (c *catalog) loadColumns(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT a.attrelid, a.attname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
 a.attnotnull, a.attidentity::text, a.attgenerated::text, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
 coalesce((SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
   WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), '')
 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND ` + userCond("n", "pg_class", "c") + `
 ORDER BY a.attrelid, a.attnum`
	var oid uint32
	var col column
	err := eachRow(ctx, conn, sql, []any{&oid, &col.name, &col.qname, &col.typ, &col.notNull, &col.identity,
		&col.generated, &col.def, &col.collation}, func() error {
		if t := c.byOID[oid]; t != nil {
			t.cols = append(t.cols, col)
		}
		return nil
	})
	return err
}

func (c *catalog) loadSeqs(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT s.seqrelid, format('%I.%I', n.nspname, c.relname), format_type(s.seqtypid, NULL),
 s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
 coalesce(d.refobjid, 0), coalesce(quote_ident(a.attname), ''), coalesce(d.deptype = 'i', false)
 FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
   AND d.deptype IN ('a', 'i')
 LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE ` + userCond("n", "pg_class", "c") + `
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`
	var s sequence
	if err := eachRow(ctx, conn, sql, []any{&s.oid, &s.qname, &s.typ, &s.start, &s.inc, &s.min, &s.max, &s.cache,
		&s.cycle, &s.ownerTable, &s.ownerCol, &s.identity}, func() error {
		c.seqs = append(c.seqs, s)
		return nil
	}); err != nil {
		return err
	}
	for i := range c.seqs {
		s := &c.seqs[i]
		err := queryRow(ctx, conn, "SELECT last_value, is_called FROM "+s.qname, nil, &s.lastValue, &s.isCalled)
		if err != nil {
			return fmt.Errorf("read sequence %s: %w", s.qname, privErr(err, "SELECT on sequence "+s.qname))
		}
	}
	return nil
}
