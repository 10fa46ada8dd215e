package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// typ is a user-defined enum, domain, composite or range type.
type typ struct {
	oid   uint32
	qname string
	stmt  string
	deps  []uint32 // other types it is built from (array types mapped to their element)
}

// fn is a function, procedure or aggregate.
type fn struct {
	stmt   string
	atomic bool // SQL-standard body (BEGIN ATOMIC / RETURN): its references are checked at creation
	isAgg  bool
}

func (c *catalog) loadTypes(ctx context.Context, conn *pgconn.PgConn) error {
	const coll = `(SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
 JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = `
	sql := `WITH t AS (SELECT t.*, format('%I.%I', n.nspname, t.typname) AS q, n.nspname
 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
 AND ` + userCond("n", "pg_type", "t") + `)
SELECT t.oid, t.q, CASE t.typtype
 WHEN 'e' THEN 'CREATE TYPE ' || t.q || ' AS ENUM (' || coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', '
   ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') || ');'
 WHEN 'd' THEN 'CREATE DOMAIN ' || t.q || ' AS ' || format_type(t.typbasetype, t.typtypmod)
   || coalesce(' COLLATE ' || ` + coll + `t.typcollation AND t.typcollation <> (SELECT typcollation FROM pg_type WHERE oid = t.typbasetype)), '')
   || coalesce(' DEFAULT ' || pg_get_expr(t.typdefaultbin, 0), '')
   || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
   || coalesce((SELECT string_agg(' CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid), ''
     ORDER BY k.conname COLLATE "C") FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'), '') || ';'
 WHEN 'c' THEN 'CREATE TYPE ' || t.q || ' AS (' || coalesce((SELECT string_agg(quote_ident(a.attname) || ' '
   || format_type(a.atttypid, a.atttypmod) || coalesce(' COLLATE ' || ` + coll + `a.attcollation
   AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)), ''), ', ' ORDER BY a.attnum)
   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ');'
 ELSE 'CREATE TYPE ' || t.q || ' AS RANGE (subtype = ' || format_type(r.rngsubtype, NULL)
   || coalesce(', subtype_diff = ' || nullif(r.rngsubdiff, 0)::regproc::text, '')
   || coalesce(', collation = ' || ` + coll + `r.rngcollation
   AND r.rngcollation <> (SELECT typcollation FROM pg_type WHERE oid = r.rngsubtype)), '') || ');'
 END,
 ARRAY(SELECT CASE WHEN dt.typcategory = 'A' AND dt.typelem <> 0 THEN dt.typelem ELSE dt.oid END FROM pg_type dt
   WHERE dt.oid = t.typbasetype OR dt.oid = r.rngsubtype
   OR dt.oid IN (SELECT atttypid FROM pg_attribute WHERE attrelid = t.typrelid AND attnum > 0))
 FROM t LEFT JOIN pg_range r ON r.rngtypid = t.oid
 ORDER BY t.nspname COLLATE "C", t.typname COLLATE "C"`
	var ty typ
	if err := eachRow(ctx, conn, sql, []any{&ty.oid, &ty.qname, &ty.stmt, &ty.deps}, func() error {
		c.types = append(c.types, ty)
		return nil
	}); err != nil {
		return err
	}
	c.types = topoTypes(c.types)
	return nil
}

// topoTypes orders types so each comes after the types it is built from,
// keeping name order wherever dependencies allow.
func topoTypes(ts []typ) []typ {
	idx := map[uint32]int{}
	for i, t := range ts {
		idx[t.oid] = i
	}
	done := make([]bool, len(ts))
	var out []typ
	var visit func(i int, depth int)
	visit = func(i, depth int) {
		if done[i] || depth > len(ts) {
			return
		}
		done[i] = true
		for _, d := range ts[i].deps {
			if j, ok := idx[d]; ok && !done[j] {
				visit(j, depth+1)
			}
		}
		out = append(out, ts[i])
	}
	for i := range ts {
		visit(i, 0)
	}
	return out
}

func (c *catalog) loadFuncs(ctx context.Context, conn *pgconn.PgConn) error {
	atomic := "false"
	if c.version >= 140000 {
		atomic = "p.prosqlbody IS NOT NULL"
	}
	sql := `SELECT p.prokind = 'a', ` + atomic + `, CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) || ';'
 ELSE 'CREATE AGGREGATE ' || format('%I.%I', n.nspname, p.proname) || '('
  || coalesce(nullif(pg_get_function_arguments(p.oid), ''), '*') || ') (SFUNC = ' || a.aggtransfn::regproc::text
  || ', STYPE = ' || format_type(a.aggtranstype, NULL)
  || CASE WHEN a.aggtransspace <> 0 THEN ', SSPACE = ' || a.aggtransspace ELSE '' END
  || coalesce(', FINALFUNC = ' || nullif(a.aggfinalfn, 0)::regproc::text, '')
  || CASE WHEN a.aggfinalextra THEN ', FINALFUNC_EXTRA' ELSE '' END
  || coalesce(', COMBINEFUNC = ' || nullif(a.aggcombinefn, 0)::regproc::text, '')
  || coalesce(', SERIALFUNC = ' || nullif(a.aggserialfn, 0)::regproc::text, '')
  || coalesce(', DESERIALFUNC = ' || nullif(a.aggdeserialfn, 0)::regproc::text, '')
  || coalesce(', INITCOND = ' || quote_literal(a.agginitval), '')
  || coalesce(', MSFUNC = ' || nullif(a.aggmtransfn, 0)::regproc::text || ', MINVFUNC = ' || a.aggminvtransfn::regproc::text
     || ', MSTYPE = ' || format_type(a.aggmtranstype, NULL), '')
  || coalesce(', MFINALFUNC = ' || nullif(a.aggmfinalfn, 0)::regproc::text, '')
  || coalesce(', MINITCOND = ' || quote_literal(a.aggminitval), '')
  || coalesce(', SORTOP = OPERATOR(' || (SELECT format('%I.%s', opn.nspname, o.oprname) FROM pg_operator o
     JOIN pg_namespace opn ON opn.oid = o.oprnamespace WHERE o.oid = a.aggsortop) || ')', '')
  || CASE p.proparallel WHEN 's' THEN ', PARALLEL = SAFE' WHEN 'r' THEN ', PARALLEL = RESTRICTED' ELSE '' END
  || CASE WHEN a.aggkind = 'h' THEN ', HYPOTHETICAL' ELSE '' END || ');'
 END
 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
 WHERE ` + userCond("n", "pg_proc", "p") + `
 AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')
 ORDER BY n.nspname COLLATE "C", p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C"`
	var f fn
	err := eachRow(ctx, conn, sql, []any{&f.isAgg, &f.atomic, &f.stmt}, func() error {
		c.funcs = append(c.funcs, f)
		return nil
	})
	return err
}
