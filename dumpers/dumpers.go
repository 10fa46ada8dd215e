// Package dumpers holds what the database engines have in common: how a dump is
// laid out as streams, the options of a dump, and progress reports.
//
// A dump is a set of named streams (see Layout). The engine packages
// (dumpers/mysql, dumpers/postgres) write them through a Sink and read them back
// through a Source, so the chunk engine can store, dedupe and move each stream on
// its own, and an importer can start as soon as the streams it needs arrive.
//
// Stream names (slash-separated, relative):
//
//	schema.sql          pre-data: database settings, types, tables (no FKs, no triggers)
//	data/<table>.sql    one per table with data, rows in primary-key order
//	post.sql            post-data: indexes/constraints that are cheaper after the load,
//	                    FKs, triggers, views that need it, sequence values, …
//
// Concatenating schema.sql, every data/*.sql in byte order of their names and post.sql
// gives one plain .sql file that the engine's own client (mysql, psql) loads as-is.
// Table names in data/ are escaped with EscapeName so any table name is a valid path.
package dumpers

import (
	"context"
	"io"
	"strings"

	"synco/dumpers/scrub"
)

// Fixed stream names of a dump.
const (
	SchemaStream = "schema.sql"
	PostStream   = "post.sql"
	DataDir      = "data/"
)

// DataStream returns the stream name for the data of table.
func DataStream(table string) string { return DataDir + EscapeName(table) + ".sql" }

// EscapeName makes a table name (possibly schema-qualified, "public.film") safe as one
// path element: bytes outside [A-Za-z0-9_.-] become %XX, a leading '.' too.
func EscapeName(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || (c == '.' && i > 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Sink receives the streams of a dump. Create is called once per stream name;
// the dump closes each writer when the stream is complete. Implementations must be
// safe for concurrent use: tables are dumped in parallel.
type Sink interface {
	Create(ctx context.Context, name string) (io.WriteCloser, error)
}

// WriterSink is a Sink that writes every stream to W, one after the other
// (closing a stream does not close W): the one data stream of a table's dump,
// into a pipe.
type WriterSink struct{ W io.Writer }

func (s WriterSink) Create(context.Context, string) (io.WriteCloser, error) {
	return nopCloser{s.W}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Source gives an importer the streams of a dump. Names lists every stream of the
// dump (known from the manifest before any bytes arrive); Open may block until the
// stream is available, which lets an import start while chunks are still arriving.
type Source interface {
	Names() []string
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// Options select what a dump contains. Patterns are globs as in path.Match,
// matched against the table name (unqualified for MySQL, "schema.table" and the bare
// table name for PostgreSQL).
type Options struct {
	Exclude       []string          // tables left out entirely
	StructureOnly []string          // tables dumped without data
	Where         map[string]string // table (or a glob of tables: WhereFor) → SQL condition for its rows
	Parallel      int               // tables dumped at once; <1 means 4
	Progress      func(Progress)    // optional; called from any goroutine
	// Scrub, if set, rewrites personal data in the rows as they are written (see
	// package scrub); afterwards it lists what it scrubbed and what looked personal
	// but had no rule.
	Scrub *scrub.Rules
	// Left, if set, is told (from any goroutine) of what the source has and
	// the dump leaves out, so that the copy lacks it (row-level security,
	// table inheritance, a system-versioned table's history): one sentence
	// each, naming the objects.
	Left func(what string)
}

// Progress reports a dump or an import.
type Progress struct {
	Table string // table being worked on, "" for schema
	Rows  int64  // rows done so far in Table
	Bytes int64  // bytes written/read so far in all streams
	Done  bool   // Table is complete
}
