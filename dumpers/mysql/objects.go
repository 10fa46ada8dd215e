package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// routinePrivilege is what a user needs to read other users' routines.
const routinePrivilege = "SHOW_ROUTINE (MySQL 8) or SELECT on mysql.proc (MariaDB, MySQL 5.7), or be the routine's definer"

// showCreate runs a SHOW CREATE statement and returns its one row by column name.
func showCreate(ctx context.Context, q querier, stmt string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, sql.ErrNoRows
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		if vals[i].Valid {
			m[c] = vals[i].String
		}
	}
	return m, rows.Err()
}

// definerRE finds the DEFINER clause SHOW CREATE puts in the header of views,
// triggers, routines and events.
var definerRE = regexp.MustCompile("DEFINER=(`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\\s@]+)@(`(?:[^`]|``)*`|'(?:[^']|'')*'|\\S+) ")

// stripDefiner removes the first DEFINER clause, so the object is created by
// (and, with SQL SECURITY DEFINER, runs as) the user who loads the dump: the
// source's accounts rarely exist at the destination.
func stripDefiner(s string) string {
	loc := definerRE.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + s[loc[1]:]
}

// invokerLine is how SHOW CREATE PROCEDURE/FUNCTION shows SQL SECURITY INVOKER.
const invokerLine = "\n    SQL SECURITY INVOKER\n"

// asInvoker gives an object's CREATE statement as a dump holds it: every view and
// routine is created SQL SECURITY INVOKER on import (see the package doc, Security),
// so the dump says so for views (their header always names it) and leaves it out
// for routines (SHOW CREATE names it only when it is INVOKER; the importer adds
// it). Dumps of the source and of an imported copy are then the same.
func asInvoker(kind, create string) string {
	switch kind {
	case "VIEW":
		return strings.Replace(create, " SQL SECURITY DEFINER VIEW ", " SQL SECURITY INVOKER VIEW ", 1)
	case "PROCEDURE", "FUNCTION":
		return strings.Replace(create, invokerLine, "\n", 1)
	}
	return create
}

// names runs a query that returns one name (and optionally more text columns) per row.
func queryStrings(ctx context.Context, q querier, query string, ncol int) ([][]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		r := make([]sql.NullString, ncol)
		ptrs := make([]any, ncol)
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		s := make([]string, ncol)
		for i := range r {
			s[i] = r[i].String
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// bodyBlock writes an object whose text may contain ';' as a DELIMITER ;; block
// under its own sql_mode; both the mysql client and splitStatements read it.
func bodyBlock(b *strings.Builder, sqlMode, create string) {
	fmt.Fprintf(b, "SET sql_mode = %s;\nDELIMITER ;;\n%s;;\nDELIMITER ;\n", quoteString(sqlMode), create)
}

// objectsSQL renders post.sql: procedures and functions, views in dependency
// order, triggers per table in action order, events, then the restored checks.
// Triggers on tables in skip are left out. For a dump (dump true) views and routines
// are written as the importer creates them (asInvoker); otherwise (the swap saving
// the target's objects to restore them after a failure) as they are.
func objectsSQL(ctx context.Context, q querier, skip func(table string) bool, dump bool) ([]byte, error) {
	fix := func(kind, s string) string {
		s = stripDefiner(s)
		if dump {
			s = asInvoker(kind, s)
		}
		return s
	}
	var b strings.Builder
	b.WriteString("-- synco dump: routines, views, triggers, events\n")

	routines, err := queryStrings(ctx, q, `SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES
		WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')`, 2)
	if err != nil {
		return nil, fmt.Errorf("list routines: %w", err)
	}
	sort.Slice(routines, func(i, j int) bool {
		if routines[i][0] != routines[j][0] {
			return routines[i][0] < routines[j][0]
		}
		return routines[i][1] < routines[j][1]
	})
	for _, r := range routines {
		typ, name := r[0], r[1]
		m, err := showCreate(ctx, q, "SHOW CREATE "+typ+" "+quoteIdent(name))
		if err != nil {
			return nil, privilegeErr("show create "+strings.ToLower(typ)+" "+name, routinePrivilege, fmt.Errorf("show create %s %s: %w", strings.ToLower(typ), name, err))
		}
		create := m["Create Procedure"]
		if typ == "FUNCTION" {
			create = m["Create Function"]
		}
		if create == "" {
			return nil, &PrivilegeError{Privilege: routinePrivilege, Op: "show create " + strings.ToLower(typ) + " " + name, Err: fmt.Errorf("routine body not visible")}
		}
		fmt.Fprintf(&b, "\nDROP %s IF EXISTS %s;\n", typ, quoteIdent(name))
		bodyBlock(&b, m["sql_mode"], fix(typ, create))
	}

	if err := writeViews(ctx, q, &b, fix); err != nil {
		return nil, err
	}

	// Triggers are rebuilt from information_schema rather than taken from SHOW CREATE
	// TRIGGER: the original statement keeps whatever the user typed, including a
	// schema-qualified name ("CREATE TRIGGER shop.t … ON shop.orders"), which would
	// create the trigger in the source's database name instead of the target's.
	// Created in ACTION_ORDER, they keep their relative order.
	trig, err := queryStrings(ctx, q, `SELECT EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
		LPAD(ACTION_ORDER, 10, '0'), TRIGGER_NAME, ACTION_STATEMENT, SQL_MODE
		FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`, 7)
	if err != nil {
		return nil, privilegeErr("list triggers", "TRIGGER", fmt.Errorf("list triggers: %w", err))
	}
	sort.Slice(trig, func(i, j int) bool { return strings.Join(trig[i], "\x00") < strings.Join(trig[j], "\x00") })
	for _, t := range trig {
		if skip != nil && skip(t[0]) {
			continue
		}
		fmt.Fprintf(&b, "\nDROP TRIGGER IF EXISTS %s;\n", quoteIdent(t[4]))
		create := fmt.Sprintf("CREATE TRIGGER %s %s %s ON %s FOR EACH ROW %s", quoteIdent(t[4]), t[1], t[2], quoteIdent(t[0]), t[5])
		bodyBlock(&b, t[6], fix("TRIGGER", create))
	}

	events, err := queryStrings(ctx, q, `SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()`, 1)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	sort.Slice(events, func(i, j int) bool { return events[i][0] < events[j][0] })
	for _, e := range events {
		m, err := showCreate(ctx, q, "SHOW CREATE EVENT "+quoteIdent(e[0]))
		if err != nil {
			return nil, privilegeErr("show create event "+e[0], "EVENT", fmt.Errorf("show create event %s: %w", e[0], err))
		}
		fmt.Fprintf(&b, "\nDROP EVENT IF EXISTS %s;\nSET time_zone = %s;\n", quoteIdent(e[0]), quoteString(m["time_zone"]))
		bodyBlock(&b, m["sql_mode"], fix("EVENT", m["Create Event"]))
		b.WriteString("SET time_zone = '+00:00';\n")
	}

	fmt.Fprintf(&b, "\nSET sql_mode = '%s';\nSET FOREIGN_KEY_CHECKS = 1;\nSET UNIQUE_CHECKS = 1;\n", loadSQLMode)
	return []byte(b.String()), nil
}

// writeViews writes the views so that a view comes after the views it reads from
// (found by their quoted names in its definition), ties and cycles in name order.
func writeViews(ctx context.Context, q querier, b *strings.Builder, fix func(kind, s string) string) error {
	list, err := queryStrings(ctx, q, `SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`, 1)
	if err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	defs := map[string]string{}
	var names []string
	for _, v := range list {
		m, err := showCreate(ctx, q, "SHOW CREATE VIEW "+quoteIdent(v[0]))
		if err != nil {
			return privilegeErr("show create view "+v[0], "SHOW VIEW", fmt.Errorf("show create view %s: %w", v[0], err))
		}
		def := fix("VIEW", m["Create View"])
		if strings.HasPrefix(def, "CREATE ") {
			def = "CREATE OR REPLACE " + def[len("CREATE "):]
		}
		defs[v[0]] = def
		names = append(names, v[0])
	}
	for _, name := range viewOrder(names, defs) {
		fmt.Fprintf(b, "\n%s;\n", defs[name])
	}
	return nil
}

// viewOrder sorts views so that dependencies come first (Kahn's algorithm, always
// taking the smallest ready name; what is left in a cycle follows in name order).
func viewOrder(names []string, defs map[string]string) []string {
	sort.Strings(names)
	deps := map[string]map[string]bool{}
	for _, v := range names {
		body := defs[v]
		if i := strings.Index(body, " AS "); i >= 0 {
			body = body[i:]
		}
		deps[v] = map[string]bool{}
		for _, w := range names {
			if w != v && strings.Contains(body, quoteIdent(w)) {
				deps[v][w] = true
			}
		}
	}
	var out []string
	done := map[string]bool{}
	for len(out) < len(names) {
		progress := false
		for _, v := range names {
			if done[v] {
				continue
			}
			ready := true
			for w := range deps[v] {
				if !done[w] {
					ready = false
					break
				}
			}
			if ready {
				out = append(out, v)
				done[v] = true
				progress = true
				break
			}
		}
		if !progress {
			for _, v := range names {
				if !done[v] {
					out = append(out, v)
					done[v] = true
					break
				}
			}
		}
	}
	return out
}
