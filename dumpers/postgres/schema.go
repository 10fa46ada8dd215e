package postgres

import (
	"fmt"
	"io"
	"strings"
)

// header starts schema.sql and post.sql: the session settings the statements
// rely on (as pg_dump sets them), so each file also runs on its own in psql.
const header = `SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
`

// sqlWriter writes statements and remembers the first error.
type sqlWriter struct {
	w   io.Writer
	err error
}

func (s *sqlWriter) line(format string, args ...any) {
	if s.err != nil {
		return
	}
	if len(args) == 0 {
		_, s.err = io.WriteString(s.w, format+"\n")
		return
	}
	_, s.err = fmt.Fprintf(s.w, format+"\n", args...)
}

// section writes a blank line and a comment naming what follows.
func (s *sqlWriter) section(name string) { s.line("\n-- %s\n", name) }

// literal quotes s as an SQL string literal (standard_conforming_strings on).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// writeSchema writes schema.sql: everything the data needs to load into.
func (c *catalog) writeSchema(w io.Writer) error {
	s := &sqlWriter{w: w}
	s.line("-- synco PostgreSQL dump: schema (pre-data)\n")
	s.line(strings.TrimSuffix(header, "\n"))
	if len(c.schemas) > 0 {
		s.section("schemas")
		for _, n := range c.schemas {
			s.line("CREATE SCHEMA %s;", n)
		}
	}
	if len(c.extensions) > 0 {
		s.section("extensions")
		for _, e := range c.extensions {
			s.line("CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s;", e.name, e.schema)
		}
	}
	if len(c.types) > 0 {
		s.section("types")
		for _, t := range c.types {
			s.line("%s", t.stmt)
		}
	}
	identity := map[string]*sequence{}
	first := true
	for i := range c.seqs {
		q := &c.seqs[i]
		if q.identity {
			identity[fmt.Sprint(q.ownerTable, "/", q.ownerCol)] = q
			continue
		}
		if first {
			s.section("sequences")
			first = false
		}
		s.line("CREATE SEQUENCE %s%s;", q.qname, seqOptions(q, true))
	}
	s.section("tables")
	for _, t := range c.tables {
		if !t.excluded {
			c.writeTable(s, t, identity)
		}
	}
	s.section("functions")
	for _, f := range c.funcs {
		if !f.atomic {
			s.line("%s\n", f.stmt)
		}
	}
	s.section("defaults, sequence ownership, partitions")
	for _, t := range c.tables {
		for _, col := range t.cols {
			if !t.excluded && col.def != "" && col.generated == "" {
				s.line("ALTER TABLE ONLY %s ALTER COLUMN %s SET DEFAULT %s;", t.qname, col.qname, col.def)
			}
		}
	}
	for _, q := range c.seqs {
		if t := c.byOID[q.ownerTable]; !q.identity && t != nil && !t.excluded {
			s.line("ALTER SEQUENCE %s OWNED BY %s.%s;", q.qname, t.qname, q.ownerCol)
		}
	}
	for _, t := range c.tables {
		if !t.excluded && t.parent != "" {
			s.line("ALTER TABLE ONLY %s ATTACH PARTITION %s %s;", t.parent, t.qname, t.bound)
		}
	}
	c.writeComments(s, false)
	return s.err
}

func (c *catalog) writeTable(s *sqlWriter, t *table, identity map[string]*sequence) {
	kind := "TABLE"
	if t.unlogged {
		kind = "UNLOGGED TABLE"
	}
	s.line("CREATE %s %s (", kind, t.qname)
	for i, col := range t.cols {
		var b strings.Builder
		b.WriteString("    " + col.qname + " " + col.typ)
		if col.collation != "" {
			b.WriteString(" COLLATE " + col.collation)
		}
		if col.generated == "s" {
			b.WriteString(" GENERATED ALWAYS AS (" + col.def + ") STORED")
		}
		if q := identity[fmt.Sprint(t.oid, "/", col.qname)]; q != nil && col.identity != "" {
			how := "ALWAYS"
			if col.identity == "d" {
				how = "BY DEFAULT"
			}
			b.WriteString(" GENERATED " + how + " AS IDENTITY (SEQUENCE NAME " + q.qname + seqOptions(q, false) + ")")
		}
		if col.notNull {
			b.WriteString(" NOT NULL")
		}
		if i < len(t.cols)-1 {
			b.WriteString(",")
		}
		s.line("%s", b.String())
	}
	tail := ")"
	if t.partKey != "" {
		tail += " PARTITION BY " + t.partKey
	}
	if t.options != "" {
		tail += " WITH (" + t.options + ")"
	}
	s.line("%s;\n", tail)
}

// seqOptions renders the options of CREATE SEQUENCE / an identity column.
func seqOptions(q *sequence, withType bool) string {
	var b strings.Builder
	if withType && q.typ != "bigint" {
		b.WriteString(" AS " + q.typ)
	}
	fmt.Fprintf(&b, " START WITH %d INCREMENT BY %d MINVALUE %d MAXVALUE %d CACHE %d", q.start, q.inc, q.min, q.max, q.cache)
	if q.cycle {
		b.WriteString(" CYCLE")
	}
	return b.String()
}

// excludedRel reports whether relation oid (table or view) is left out.
func (c *catalog) excludedRel(oid uint32) bool {
	if t := c.byOID[oid]; t != nil {
		return t.excluded
	}
	for i := range c.views {
		if c.views[i].oid == oid {
			return c.views[i].excluded
		}
	}
	return false
}

func (c *catalog) writeComments(s *sqlWriter, post bool) {
	first := true
	for _, m := range c.comments {
		if m.post != post || (m.rel != 0 && c.excludedRel(m.rel)) {
			continue
		}
		if first {
			s.section("comments")
			first = false
		}
		s.line("%s", m.stmt)
	}
}
