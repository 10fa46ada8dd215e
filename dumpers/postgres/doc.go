// Package postgres dumps and imports PostgreSQL databases natively, over the
// wire protocol of jackc/pgx's low-level pgconn package: no pg_dump or psql
// binary is needed on either side. It supports PostgreSQL 12 and newer
// (ErrUnsupportedServer otherwise). The high-level pgx package is not used:
// its type registry, statement cache, … add about 3 MB to the binaries.
// Queries return text values, decoded by hand (query.go).
//
// # Snapshot
//
// Dump opens a REPEATABLE READ READ ONLY transaction, exports its snapshot
// with pg_export_snapshot() and reads the whole catalog in it. It takes ACCESS
// SHARE locks on the dumped tables (as pg_dump does) so they cannot be dropped
// or rewritten meanwhile. Options.Parallel worker connections each begin the
// same kind of transaction and SET TRANSACTION SNAPSHOT to the exported one, so
// every table's data comes from one consistent point in time, whatever the
// parallelism. Sequence values are read at dump time: sequences are not
// transactional (pg_dump behaves the same).
//
// # Streams and formats
//
// The streams follow synco/dumpers:
//
//   - schema.sql: session settings (as pg_dump sets them, search_path = ”),
//     schemas, extensions, types (enums, domains, composite, ranges, in
//     dependency order), sequences, tables (identity and generated columns,
//     NOT NULL, partition keys, UNLOGGED, storage options), functions and
//     procedures (pg_get_functiondef) and aggregates, then column defaults,
//     sequence ownership, ATTACH PARTITION, and comments. Functions come after
//     the tables because their signatures may use row types; bodies are not
//     checked at creation (check_function_bodies = false), as in pg_dump.
//   - data/<schema.table>.sql: one per table with rows ("COPY … FROM stdin;",
//     the rows in COPY text format, "\."). Rows are produced by
//     COPY (SELECT … ORDER BY <primary key>) TO STDOUT and streamed to the sink
//     (memory does not grow with the table). A table without a primary key is
//     ordered by the text of the whole row under COLLATE "C"; equal texts are
//     equal rows and print the same bytes, so the order is total. Generated
//     columns are left out (the server computes them). Partitioned tables have
//     no stream; each leaf partition has its own.
//   - post.sql: primary key, unique and exclusion constraints, indexes (any
//     method, pg_get_indexdef), partition index ATTACHes, CHECK constraints,
//     foreign keys, functions with SQL-standard bodies (BEGIN ATOMIC / RETURN,
//     whose references are checked at creation), views and materialized views in
//     dependency order (materialized views created WITH NO DATA; REFRESH only
//     for those that were populated, so unpopulated ones stay unpopulated),
//     their indexes, setval of every sequence, triggers (with their
//     enabled/disabled state) and the remaining comments.
//
// Definitions come from pg_catalog functions (pg_get_constraintdef,
// pg_get_indexdef, pg_get_viewdef, pg_get_triggerdef, format_type, …) run with
// search_path = ”, so every name is schema-qualified. Session settings that
// change how values print (DateStyle, IntervalStyle, TimeZone = UTC,
// extra_float_digits = 3, bytea_output = hex) are fixed on every dump
// connection; objects are sorted by schema and name (and argument types), never
// by OID. Dumping unchanged data twice gives identical bytes.
//
// Not dumped: ownership and privileges (GRANT), since local roles differ; the
// imported objects belong to the importing role. Also not dumped: database
// settings (ALTER DATABASE … SET), row-level security policies, rules other
// than views' , event triggers, publications/subscriptions, foreign tables,
// table inheritance (INHERITS) other than partitioning, large objects. Known
// limits: a generated column or domain CHECK that calls a user function
// fails to load (the function is created after the tables).
//
// Options: Exclude leaves tables (and views and FKs that need them, and the
// partitions of an excluded partitioned table) out; StructureOnly keeps the
// table but not its rows; Where adds a row filter. Patterns match
// "schema.table" and the bare table name (path.Match).
//
// # Import and the swap
//
// Import never writes into the target directly. It creates a staging
// database "<db>__synco_<random>" from template0 (with the target's encoding
// and locale when the target exists), runs schema.sql on one connection, the
// data streams in parallel on four (COPY FROM STDIN through pgconn, fed straight
// from the Source as bytes arrive), then post.sql. Only when all of that
// succeeded does it swap: it ends the other sessions connected to the target
// (pg_terminate_backend, only if there are any; a rename needs that), then in
// one transaction renames the target to "<db>__synco_old_<random>" and the
// staging database to the target's name, and finally drops the old database.
// The renames are transactional, so the target is never missing: either the
// old or the new database has the name. On any failure or cancellation before
// the swap, the staging database is dropped and the target is untouched. The
// importing role needs CREATEDB, ownership of the target, and
// pg_signal_backend (or superuser) if other sessions are connected to it.
//
// The statement splitter handles strings, E” strings, quoted identifiers,
// nested comments, dollar quoting and BEGIN ATOMIC bodies like psql does, so
// the concatenated file (schema.sql, data/* in name order, post.sql) also loads
// with psql -v ON_ERROR_STOP=1 as-is.
package postgres
