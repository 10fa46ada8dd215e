package postgres

import (
	"fmt"
	"io"
	"strings"
)

// writePost writes post.sql: what is cheaper or only possible after the data.
func (c *catalog) writePost(w io.Writer) error {
	s := &sqlWriter{w: w}
	s.line("-- synco PostgreSQL dump: post-data\n")
	s.line(strings.TrimSuffix(header, "\n"))
	kept := func(rel uint32) bool { return !c.excludedRel(rel) }

	s.section("primary keys, unique and exclusion constraints, indexes")
	for _, k := range c.cons {
		if kept(k.rel) && (k.kind == "p" || k.kind == "u" || k.kind == "x") {
			s.line("ALTER TABLE ONLY %s ADD CONSTRAINT %s %s;", k.table, k.name, k.def)
		}
	}
	for _, x := range c.indexes {
		if kept(x.rel) && !x.byCon && !x.onMatview {
			s.line("%s", x.def)
		}
	}
	for _, x := range c.indexes {
		if kept(x.rel) && x.parent != "" {
			s.line("ALTER INDEX %s ATTACH PARTITION %s;", x.parent, x.qname)
		}
	}

	s.section("check constraints")
	// Partitions first: a parent's constraint then merges with theirs.
	for _, part := range []bool{true, false} {
		for _, k := range c.cons {
			t := c.byOID[k.rel]
			if k.kind == "c" && k.local && kept(k.rel) && (t.parent != "") == part {
				s.line("ALTER TABLE %s%s ADD CONSTRAINT %s %s;", only(t), k.table, k.name, k.def)
			}
		}
	}

	s.section("foreign keys")
	for _, k := range c.cons {
		if k.kind == "f" && !k.parentCon && kept(k.rel) && kept(k.ref) {
			s.line("ALTER TABLE %s%s ADD CONSTRAINT %s %s;", only(c.byOID[k.rel]), k.table, k.name, k.def)
		}
	}

	// SQL-standard function bodies are checked at creation: after the tables.
	for _, f := range c.funcs {
		if f.atomic {
			s.line("%s\n", f.stmt)
		}
	}

	views := c.sortedViews()
	if len(views) > 0 {
		s.section("views and materialized views")
	}
	for _, v := range views {
		def := strings.TrimSuffix(strings.TrimSpace(v.def), ";")
		with := ""
		if v.options != "" {
			with = " WITH (" + v.options + ")"
		}
		if v.matview {
			s.line("CREATE MATERIALIZED VIEW %s%s AS\n%s\n  WITH NO DATA;\n", v.qname, with, def)
		} else {
			s.line("CREATE VIEW %s%s AS\n%s;\n", v.qname, with, def)
		}
	}
	for _, x := range c.indexes {
		if kept(x.rel) && x.onMatview {
			s.line("%s", x.def)
		}
	}
	for _, v := range views {
		if v.matview && v.populated {
			s.line("REFRESH MATERIALIZED VIEW %s;", v.qname)
		}
	}

	if len(c.seqs) > 0 {
		s.section("sequence values")
	}
	for _, q := range c.seqs {
		if t := c.byOID[q.ownerTable]; q.identity && t != nil && t.excluded {
			continue
		}
		s.line("SELECT pg_catalog.setval(%s, %d, %t);", literal(q.qname), q.lastValue, q.isCalled)
	}

	s.section("triggers")
	for _, t := range c.triggers {
		if kept(t.rel) {
			s.line("%s", t.def)
			if t.state != "" {
				s.line("%s", t.state)
			}
		}
	}
	c.writeComments(s, true)
	return s.err
}

// only returns "ONLY " for tables where ALTER TABLE must not recurse; partitioned
// tables reject ONLY for constraints that every partition must carry.
func only(t *table) string {
	if t == nil || t.kind == "p" {
		return ""
	}
	return "ONLY "
}

// sortedViews returns the kept views so that every view comes after the views
// it reads, in name order where dependencies allow. A view that reads an
// excluded relation is excluded too.
func (c *catalog) sortedViews() []*view {
	idx := map[uint32]int{}
	for i := range c.views {
		idx[c.views[i].oid] = i
	}
	state := make([]int, len(c.views)) // 0 new, 1 visiting, 2 done
	var out []*view
	var visit func(i int) bool
	visit = func(i int) bool {
		v := &c.views[i]
		switch state[i] {
		case 1:
			return true // a cycle cannot happen in PostgreSQL; don't loop
		case 2:
			return !v.excluded
		}
		state[i] = 1
		for _, d := range v.deps {
			if j, ok := idx[d]; ok {
				if !visit(j) {
					v.excluded = true
				}
			} else if t := c.byOID[d]; t != nil && t.excluded {
				v.excluded = true
			}
		}
		state[i] = 2
		if !v.excluded {
			out = append(out, v)
		}
		return !v.excluded
	}
	for i := range c.views {
		visit(i)
	}
	return out
}

// String names a view for errors.
func (v *view) String() string { return fmt.Sprintf("view %s", v.qname) }
