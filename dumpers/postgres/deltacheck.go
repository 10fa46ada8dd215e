package postgres

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"synco/dumpers"
)

// The checks of a delta install: what makes a full import necessary.

// statsUsable says why the change counters cannot prove that nothing changed
// locally (an old server, counting off). It waits, at most statsQuiet, for the
// counters of other sessions that went idle in the last statsQuiet: a backend
// holds its counters back for up to 10 s (PGSTAT_IDLE_INTERVAL) when it
// reported less than a second before. Sessions whose state the importing user
// may not see count as such. Sessions in a statement or a transaction are
// concurrent with the install and not waited for.
func statsUsable(ctx context.Context, conn *pgconn.PgConn) (string, error) {
	var ver int
	var track, wait string
	err := queryRow(ctx, conn, `SELECT current_setting('server_version_num')::int, current_setting('track_counts'),
 coalesce((SELECT extract(epoch FROM max(coalesce(state_change, now())) - now() + interval '`+statsQuiet+`')::text
   FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
   AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $1
   AND (state IS NULL OR state = 'idle' AND state_change > now() - interval '`+statsQuiet+`')), '0')`,
		[]string{installApp}, &ver, &track, &wait)
	switch {
	case err != nil:
		return "", fmt.Errorf("read statistics settings: %w", err)
	case ver < 150000:
		return "a delta install needs PostgreSQL 15 or newer (exact change counters)", nil
	case track != "on":
		return "change counters are off (track_counts)", nil
	}
	secs, err := strconv.ParseFloat(wait, 64)
	if err != nil || secs <= 0 {
		return "", nil
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return "", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// mayReplica reports whether the session may SET session_replication_role
// (superuser, or a SET privilege granted on it; PostgreSQL 15 and newer, which
// statsUsable checked).
func mayReplica(ctx context.Context, conn *pgconn.PgConn) (bool, error) {
	var ok bool
	err := queryRow(ctx, conn, `SELECT rolsuper OR has_parameter_privilege('session_replication_role', 'SET')
 FROM pg_roles WHERE rolname = current_user`, nil, &ok)
	if err != nil {
		return false, fmt.Errorf("read privileges of the importing user: %w", err)
	}
	return ok, nil
}

// comparePost compares the old and the new post.sql statement by statement,
// leaving out the setval of sequences; it returns the new setval statements
// that differ (checked by the allow-list).
func (d *deltaInstall) comparePost(ctx context.Context, old dumpers.StreamRef) ([]string, string, error) {
	r, err := d.re.Reopen(ctx, old)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, dumpers.NoSnapshot, nil
	}
	a, aSet, err := postStatements(r, false)
	r.Close()
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, dumpers.NoSnapshot, nil
	}
	r, err = d.src.Open(ctx, dumpers.PostStream)
	if err != nil {
		return nil, "", fmt.Errorf("open stream %s: %w", dumpers.PostStream, err)
	}
	b, bSet, err := postStatements(r, true)
	r.Close()
	if err != nil {
		return nil, "", err
	}
	if !slices.Equal(a, b) || !slices.Equal(slices.Sorted(maps.Keys(aSet)), slices.Sorted(maps.Keys(bSet))) {
		return nil, "indexes, constraints, views or triggers changed at the source", nil
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(bSet)) {
		if aSet[n] != bSet[n] {
			out = append(out, bSet[n])
		}
	}
	return out, "", nil
}

// postStatements reads post.sql, checking each statement (check: the new
// stream), and returns the statements other than setval, and the setval
// statements by sequence.
func postStatements(r io.Reader, check bool) ([]string, map[string]string, error) {
	s := newScanner(r)
	var out []string
	set := map[string]string{}
	for n := 1; ; n++ {
		stmt, err := s.Next()
		if err == io.EOF {
			return out, set, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read stream %s: %w", dumpers.PostStream, err)
		}
		if check {
			v, why := checkStmt(classDDL, stmt)
			if why != "" {
				return nil, nil, refusedError(dumpers.PostStream, n, stmt, why)
			}
			stmt = v.sql
		}
		if seq, ok := setvalOf(stmt); ok {
			set[seq] = stmt
			continue
		}
		out = append(out, stmt)
	}
}

// setvalOf returns the sequence of a "SELECT pg_catalog.setval('seq', n, b)".
func setvalOf(stmt string) (string, bool) {
	toks, err := lexSQL(stmt)
	if err != nil || len(toks) < 6 || !toks[0].is("select") || !toks[1].is("pg_catalog") || !toks[2].isOp(".") ||
		!toks[3].is("setval") || !toks[4].isOp("(") || toks[5].kind != tkString {
		return "", false
	}
	return toks[5].val, true
}

// tables checks the changed tables: each needs a primary key, no trigger that
// would fire (all triggers fire without session_replication_role = replica, and
// foreign keys check row by row), no function of the dump that a row change
// calls (CHECK constraints, index expressions, generated columns, domains: they
// would run as the importing user, not as the import's throw-away role), and no
// populated materialized view may need a refresh.
func (d *deltaInstall) tables(ctx context.Context, conn *pgconn.PgConn, changed []string, replica bool) ([]*tableDelta, string, error) {
	if len(changed) > 0 {
		var mv int
		if err := queryRow(ctx, conn, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'm' AND c.relispopulated AND `+userCond("n", "pg_class", "c"), nil, &mv); err != nil {
			return nil, "", fmt.Errorf("look for materialized views: %w", err)
		}
		if mv > 0 {
			return nil, "rows changed and materialized views would need a refresh", nil
		}
	}
	byStream := map[string]*tableDelta{}
	var schema, name string
	var td tableDelta
	var pk []string
	err := eachRow(ctx, conn, `SELECT c.oid::text, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),
 coalesce((SELECT array_agg(a.attname ORDER BY k.i) FROM pg_constraint p,
   unnest(p.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n
   WHERE p.conrelid = c.oid AND p.contype = 'p'), '{}')
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND `+userCond("n", "pg_class", "c"), []any{&td.oid, &schema, &name, &td.qname, &pk}, func() error {
		t := td
		t.keyCol = slices.Clone(pk)
		byStream[dumpers.DataStream(schema+"."+name)] = &t
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read tables: %w", err)
	}
	tds := make([]*tableDelta, 0, len(changed))
	for _, n := range changed {
		td := byStream[n]
		table := strings.TrimSuffix(strings.TrimPrefix(n, dumpers.DataDir), ".sql")
		if td == nil {
			return nil, "table " + table + " is missing", nil
		}
		td.stream = n
		if len(td.keyCol) == 0 {
			return nil, "table " + td.qname + " changed and has no primary key", nil
		}
		for _, k := range td.keyCol {
			var q string
			if err := queryRow(ctx, conn, "SELECT quote_ident($1)", []string{k}, &q); err != nil {
				return nil, "", err
			}
			td.qkey = append(td.qkey, q)
		}
		var firing, calls int
		if err := queryRow(ctx, conn, `SELECT
 (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = $1::oid AND ($2::bool OR (NOT t.tgisinternal AND t.tgenabled IN ('A', 'R')))),
 (SELECT count(*) FROM pg_depend d WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid >= 16384 AND (
   (d.classid = 'pg_class'::regclass AND (d.objid = $1::oid OR d.objid IN (SELECT indexrelid FROM pg_index WHERE indrelid = $1::oid)))
   OR (d.classid = 'pg_attrdef'::regclass AND d.objid IN (SELECT oid FROM pg_attrdef WHERE adrelid = $1::oid))
   OR (d.classid = 'pg_constraint'::regclass AND d.objid IN (SELECT k.oid FROM pg_constraint k WHERE k.conrelid = $1::oid
     OR k.contypid IN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0
       UNION SELECT t.typbasetype FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::oid AND a.attnum > 0)))))`,
			[]string{td.oid, fmt.Sprint(!replica)}, &firing, &calls); err != nil {
			return nil, "", fmt.Errorf("table %s: %w", td.qname, err)
		}
		switch {
		case firing > 0 && replica:
			return nil, "table " + td.qname + " changed and has triggers enabled ALWAYS or REPLICA (they would fire on the changed rows)", nil
		case firing > 0:
			return nil, "table " + td.qname + " changed and has triggers or foreign keys, and the importing user may not set session_replication_role (superuser) to keep them from firing", nil
		case calls > 0:
			return nil, "table " + td.qname + " changed and its constraints, indexes or generated columns call functions of the dump (they would run as the importing user)", nil
		}
		var unique int
		if err := queryRow(ctx, conn, `SELECT
 (SELECT count(*) FROM pg_index WHERE indrelid = $1::oid AND indisunique AND NOT indisprimary) +
 (SELECT count(*) FROM pg_constraint WHERE conrelid = $1::oid AND contype = 'x')`, []string{td.oid}, &unique); err != nil {
			return nil, "", fmt.Errorf("table %s: %w", td.qname, err)
		}
		td.whole = unique > 0
		tds = append(tds, td)
	}
	return tds, "", nil
}

// schemaChanged says why schema.sql, whose installed hash old differs from the
// new one's, makes the install a full one: the installed snapshot cannot be
// read again (the hashes are keyed: other keys give other hashes), or the
// definitions changed.
func (d *deltaInstall) schemaChanged(ctx context.Context, old dumpers.StreamRef) string {
	if !dumpers.Readable(ctx, d.re, old) {
		return dumpers.NoSnapshot
	}
	return "table definitions changed at the source"
}
