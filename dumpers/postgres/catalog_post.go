package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

type index struct {
	rel       uint32 // table or materialized view
	qname     string
	def       string // pg_get_indexdef
	parent    string // qname of the partitioned index it is attached to, "" if none
	byCon     bool   // created by a PRIMARY KEY / UNIQUE / EXCLUDE constraint
	onMatview bool
}

type constraint struct {
	rel       uint32
	table     string // qname of the table
	name      string // quoted
	kind      string // p u x c f
	def       string
	parentCon bool   // cloned from a constraint of the partitioned parent (conparentid <> 0)
	local     bool   // defined on this table itself (conislocal)
	ref       uint32 // referenced table of an FK
}

type view struct {
	oid       uint32
	qname     string
	matview   bool
	def       string
	populated bool
	options   string
	deps      []uint32 // relations its rules read
	excluded  bool
}

type trigger struct {
	rel        uint32
	def, state string // CREATE TRIGGER …; and an ALTER TABLE … DISABLE/ENABLE statement or ""
}

type comment struct {
	post bool   // belongs to post.sql (objects created there)
	rel  uint32 // relation it hangs on, 0 if none
	stmt string
}

func (c *catalog) loadIndexes(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT i.indrelid, format('%I.%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid) || ';',
 coalesce((SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent
   JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE h.inhrelid = i.indexrelid), ''),
 EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')),
 tc.relkind = 'm'
 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
 JOIN pg_namespace n ON n.oid = ic.relnamespace
 WHERE tc.relkind IN ('r', 'p', 'm') AND ` + userCond("n", "pg_class", "tc") + `
 ORDER BY n.nspname COLLATE "C", ic.relname COLLATE "C"`
	var x index
	err := eachRow(ctx, conn, sql, []any{&x.rel, &x.qname, &x.def, &x.parent, &x.byCon, &x.onMatview}, func() error {
		c.indexes = append(c.indexes, x)
		return nil
	})
	return err
}

func (c *catalog) loadCons(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT k.conrelid, format('%I.%I', n.nspname, r.relname), quote_ident(k.conname), k.contype::text,
 pg_get_constraintdef(k.oid), k.conparentid <> 0, k.conislocal, k.confrelid
 FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE k.contype IN ('p', 'u', 'x', 'c', 'f') AND r.relkind IN ('r', 'p') AND ` + userCond("n", "pg_class", "r") + `
 ORDER BY n.nspname COLLATE "C", r.relname COLLATE "C", k.conname COLLATE "C"`
	var x constraint
	err := eachRow(ctx, conn, sql, []any{&x.rel, &x.table, &x.name, &x.kind, &x.def, &x.parentCon, &x.local, &x.ref}, func() error {
		c.cons = append(c.cons, x)
		return nil
	})
	return err
}

func (c *catalog) loadViews(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relkind = 'm', pg_get_viewdef(c.oid),
 c.relispopulated, coalesce(array_to_string(c.reloptions, ', '), ''),
 ARRAY(SELECT DISTINCT d.refobjid FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
   AND d.refclassid = 'pg_class'::regclass WHERE r.ev_class = c.oid AND d.refobjid <> c.oid ORDER BY 1)
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND ` + userCond("n", "pg_class", "c") + `
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`
	var v view
	err := eachRow(ctx, conn, sql, []any{&v.oid, &v.qname, &v.matview, &v.def, &v.populated, &v.options, &v.deps}, func() error {
		c.views = append(c.views, v)
		return nil
	})
	return err
}

func (c *catalog) loadTriggers(ctx context.Context, conn *pgconn.PgConn) error {
	clone := "true"
	if c.version >= 130000 {
		clone = "t.tgparentid = 0"
	}
	sql := `SELECT t.tgrelid, pg_get_triggerdef(t.oid) || ';',
 CASE t.tgenabled WHEN 'O' THEN '' ELSE 'ALTER TABLE ' || format('%I.%I', n.nspname, c.relname) || CASE t.tgenabled
   WHEN 'D' THEN ' DISABLE' WHEN 'R' THEN ' ENABLE REPLICA' ELSE ' ENABLE ALWAYS' END || ' TRIGGER ' || quote_ident(t.tgname) || ';' END
 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND ` + clone + ` AND ` + userCond("n", "pg_class", "c") + `
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", t.tgname COLLATE "C"`
	var x trigger
	err := eachRow(ctx, conn, sql, []any{&x.rel, &x.def, &x.state}, func() error {
		c.triggers = append(c.triggers, x)
		return nil
	})
	return err
}

func (c *catalog) loadComments(ctx context.Context, conn *pgconn.PgConn) error {
	sql := `SELECT * FROM (
 SELECT c.relkind IN ('v', 'm', 'i', 'I') AS post,
  CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT indrelid FROM pg_index WHERE indexrelid = c.oid) ELSE c.oid END AS rel,
  'COMMENT ON ' || CASE WHEN d.objsubid > 0 THEN 'COLUMN ' || format('%I.%I.%I', n.nspname, c.relname, a.attname)
   ELSE CASE c.relkind WHEN 'v' THEN 'VIEW ' WHEN 'm' THEN 'MATERIALIZED VIEW ' WHEN 'S' THEN 'SEQUENCE '
   WHEN 'i' THEN 'INDEX ' WHEN 'I' THEN 'INDEX ' ELSE 'TABLE ' END || format('%I.%I', n.nspname, c.relname) END
   || ' IS ' || quote_literal(d.description) || ';' AS stmt
 FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
 JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I') AND ` + userCond("n", "pg_class", "c") + `
UNION ALL
 SELECT false, 0, 'COMMENT ON ' || CASE WHEN t.typtype = 'd' THEN 'DOMAIN ' ELSE 'TYPE ' END
  || format('%I.%I', n.nspname, t.typname) || ' IS ' || quote_literal(d.description) || ';'
 FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
 JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ` + userCond("n", "pg_type", "t") + `
UNION ALL
 SELECT true, 0, 'COMMENT ON ' || CASE p.prokind WHEN 'a' THEN 'AGGREGATE ' WHEN 'p' THEN 'PROCEDURE ' ELSE 'FUNCTION ' END
  || format('%I.%I', n.nspname, p.proname) || '(' || CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*'
  ELSE pg_get_function_identity_arguments(p.oid) END || ') IS ' || quote_literal(d.description) || ';'
 FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
 JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ` + userCond("n", "pg_proc", "p") + `
UNION ALL
 SELECT false, 0, 'COMMENT ON SCHEMA ' || quote_ident(n.nspname) || ' IS ' || quote_literal(d.description) || ';'
 FROM pg_description d JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid
 WHERE ` + userCond("n", "pg_namespace", "n") + `
UNION ALL
 SELECT true, k.conrelid, 'COMMENT ON CONSTRAINT ' || quote_ident(k.conname) || ' ON ' || CASE WHEN k.contypid <> 0
  THEN 'DOMAIN ' || (SELECT format('%I.%I', tn.nspname, t.typname) FROM pg_type t JOIN pg_namespace tn ON tn.oid = t.typnamespace WHERE t.oid = k.contypid)
  ELSE (SELECT format('%I.%I', rn.nspname, r.relname) FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = k.conrelid) END
  || ' IS ' || quote_literal(d.description) || ';'
 FROM pg_description d JOIN pg_constraint k ON d.classoid = 'pg_constraint'::regclass AND k.oid = d.objoid
 JOIN pg_namespace n ON n.oid = k.connamespace WHERE ` + userCond("n", "pg_constraint", "k") + `
UNION ALL
 SELECT true, t.tgrelid, 'COMMENT ON TRIGGER ' || quote_ident(t.tgname) || ' ON ' || format('%I.%I', n.nspname, c.relname)
  || ' IS ' || quote_literal(d.description) || ';'
 FROM pg_description d JOIN pg_trigger t ON d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid
 JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userCond("n", "pg_class", "c") + `
) x ORDER BY post, stmt COLLATE "C"`
	var x comment
	err := eachRow(ctx, conn, sql, []any{&x.post, &x.rel, &x.stmt}, func() error {
		c.comments = append(c.comments, x)
		return nil
	})
	return err
}
