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
// imported objects belong to the importing user (an import refuses GRANT).
// Also not dumped: database settings (ALTER DATABASE … SET), row-level
// security policies, rules other
// than views' , event triggers, publications/subscriptions, foreign tables,
// table inheritance (INHERITS) other than partitioning, large objects (a dump
// names the tables whose row-level security or inheritance it leaves out
// through dumpers.Options.Left, and synco-lite prints them). Known
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
// importing user needs CREATEDB, ownership of the target, and
// pg_signal_backend (or superuser) if other sessions are connected to it.
//
// Without CREATEDB (StageSchemas; StagingMode tells which mode an import uses,
// decided up front from the user's attributes and its CREATE privilege on the
// existing target), the import stages inside the target, in ONE transaction on one
// connection: it renames every schema of the target (pg_* and information_schema
// aside) to "__synco_old_<8 hex>_<n>" and drops the extensions that live in them,
// creates public as CREATE DATABASE makes it (owned by pg_database_owner when the
// user owns the database, PostgreSQL 15+), runs schema.sql, the data streams one
// after another and post.sql as the user (LoadAsUser), every statement checked as
// above, drops the renamed schemas (CASCADE; the import fails if that would take
// an object of the dump with it) and commits. No statement needs renaming: the
// dump's schema-qualified names are the real ones, and function bodies keep
// meaning what they say. DDL is transactional, so on any error or cancellation the
// transaction is rolled back (or the connection ends, and the server rolls it
// back): the target is as before, and no staged schema ever exists outside the
// transaction, so none can be left for reclaiming. Readers see the old content
// until the COMMIT; from the drop of the old schemas until then, the old tables
// are locked. Needs: CREATE on the target (its owner has it), ownership of its
// schemas and of the extensions in them — an extension created by a superuser
// (most are, unless trusted and created by the user) cannot be dropped, and the
// import fails with ErrPrivilege naming it; before PostgreSQL 15, public belongs
// to the bootstrap superuser unless changed. The load is not parallel and the
// throw-away role is not used in this mode.
//
// A killed import leaves "<db>__synco_<8 hex>" (staging) or
// "<db>__synco_old_<8 hex>" (backup) behind; the next import of the same
// target drops those that no session is connected to, with their throw-away
// roles. It does so only while it holds an advisory lock keyed by the target,
// so it never takes the databases of a concurrent import of that target. When
// everything is installed but dropping the backup database or the throw-away
// role fails, the error is a *dumpers.CleanupError.
//
// Connecting gives up after connect_timeout (DefaultConnectTimeout, 10 s, if
// the DSN sets none) with ErrNoAnswer: a --db URL that points at something
// that is not PostgreSQL fails fast. Errors redact the DSN's password field
// only ("user:xxxxx@"), never other text that happens to contain it.
//
// # Delta install
//
// Install (with a Source that is a dumpers.Reopener, as fetch's is) records what
// it installed in the target, in the table __synco.installed (RecordTable: per
// stream its ref, and a fingerprint of the database). The schema is its own, so
// that applications looking at public do not see it; the dumper leaves it out,
// and the allow-list refuses any statement naming it (also as a word of a string
// literal, which a function body could EXECUTE).
//
// The fingerprint has two parts. The catalog part lists every object of the
// user's schemas with what changes when it is changed: relations with their kind,
// relfilenode (TRUNCATE, VACUUM FULL, CLUSTER and rewrites give a new one), an md5
// of their columns, of pg_get_viewdef / pg_get_indexdef, sequences with their
// last value; constraints (md5 of pg_get_constraintdef), triggers (enabled state,
// md5 of pg_get_triggerdef), functions (md5 of pg_get_functiondef), types,
// enum labels, extensions, and pg_stat_database.stats_reset. The counter part
// is, per table, n_tup_ins, n_tup_upd, n_tup_del and n_tup_hot_upd from
// pg_stat_user_tables. Both are cheap (catalog and statistics reads, no row is
// read: ~15 ms on the 240 MB bench database). Change counters rather than
// checksums, because they cost nothing per row; they are exact for this purpose
// on PostgreSQL 15 and newer (statistics in shared memory, never dropped): every
// row change is counted, committed or not. What the record holds are the
// counters an install itself causes (rows loaded; for a delta, the recorded ones
// plus its deletes and inserts), so a local change shows as a difference. After
// a stats reset or a crash (which resets statistics) every table is compared
// with the installed snapshot by its rows (local.go). Counting turned off
// (track_counts), or PostgreSQL before 15 (statistics sent over UDP by a
// collector, which may drop them) mean a full import, with the reason. A backend
// may hold its counters back for up to 10 s after it went idle: Install waits
// (at most 11 s) when another session of the target went idle that recently;
// sessions in a statement or transaction are concurrent with the install, as
// with any import. A cancelled delta moves the counters too (rolled-back rows
// count): the next install brings the tables whose counters moved back (below).
//
// A table whose counters alone moved (written locally, its structure and file
// as installed) and a sequence whose value alone moved do not make a full
// import (local.go): the table's old rows are read from the target (a dump of
// it by this package's dumper) instead of from the installed snapshot, so the
// delta brings it back to the new dump whether or not the source changed it,
// and every sequence gets the new dump's value.
//
// Next install: when the fingerprint matches, the same streams make up the dump,
// schema.sql is unchanged and post.sql differs at most in setval values:
//
//   - nothing changed: no statement that writes is run ("unchanged");
//   - else each changed table's old stream (read again through the Reopener) is
//     merged with the new one (package delta; rows in primary-key order, keys
//     compared as the COPY text of the key fields), and in ONE transaction, with
//     SET LOCAL session_replication_role = replica when the user may (superuser,
//     or a SET privilege on it from PostgreSQL 15) so that no trigger and no
//     foreign-key action fires (the snapshot is consistent as a whole, as after a
//     full import, whose triggers and constraints come after the rows): the keys
//     to delete are copied (COPY, the dump's text as it is, no SQL is built from
//     it) into a temporary table of the key columns and deleted with one DELETE …
//     USING, which must find every one of them; the new rows are copied in with
//     the new stream's own COPY statement (checked by the allow-list as in an
//     import); changed sequences are set with the dump's setval after ALTER
//     SEQUENCE … RESTART, which gives the sequence a new file in this transaction,
//     so that setval too is rolled back on failure; and the record with its new
//     fingerprint is written. Any failure or cancellation rolls it all back.
//     The differences are applied part by part as they are computed
//     (delta.MergeParts, 256 KiB), each part's deletes first; a table with a
//     unique index besides its key, or an exclusion constraint, gets all its
//     deletes before any insert (its inserts in one part at the end); a
//     row that meets a key still there (a target collation that orders keys
//     otherwise than the source's) makes it a full import.
//   - a table filled anew (a cache: its first rows, 16 MB of both snapshots, or
//     256 KiB when its new stream shares no chunk with the installed one, share
//     no key) is not compared: in the same transaction it is emptied, by
//     TRUNCATE ONLY (no dead rows left; the counters then count only what
//     follows it), or by DELETE FROM ONLY when another table's foreign key
//     references it (TRUNCATE refuses that), and the new stream's rows are
//     read again from its start and copied in, in parts. Holding both
//     snapshots to compare them made a cache bigger than 128 MB a full import.
//
// A full import (ImportWithMode), with Installed.Reason, is done instead when:
// there is no record, the fingerprint differs (a local change: the reason names
// the first object), the source added or removed tables, changed schema.sql or
// post.sql beyond setval, the cache no longer holds the installed streams
// (dumpers.ErrGone), a changed table has no primary key, has triggers that fire
// in replica mode (ENABLE ALWAYS / REPLICA) or, without replica mode, any trigger
// or foreign key, calls a function of the dump when its rows change (CHECK,
// index expression, generated column, domain: it would run as the importing
// user, not as the import's throw-away role), a populated materialized view
// exists (it would need a refresh), a data stream is not in the dumper's shape,
// or the difference is over deltaLimit (256 MB). A refused statement in a changed
// stream is a *dumpers.RefusedError on the delta path too.
//
// # Security
//
// The source is trusted only with its own data (DESIGN §4): a compromised
// production server must not reach beyond the staging database through a
// dump. Import therefore runs only statements of the shapes this package's
// dumper writes. Each statement is cut into tokens (lex.go: strings, E-strings and
// dollar quotes, quoted identifiers, nested comments, as the server reads them
// with the settings the import fixes) and checked (allow.go) before it is
// sent; the first other statement ends the import with a
// *dumpers.RefusedError (dumpers.ErrRefused), nothing of it runs, the staging
// database is dropped and the target is untouched.
//
// Allowed in schema.sql and post.sql: the header's SET lines with exactly the
// values our dumps use (standard_conforming_strings = on, client_encoding =
// 'UTF8', …) and the set_config line that empties search_path;
// CREATE SCHEMA, EXTENSION (TrustedExtensions only, IF NOT EXISTS … WITH
// SCHEMA), TYPE … AS, DOMAIN, SEQUENCE, [UNLOGGED] TABLE name (…), FUNCTION,
// PROCEDURE, AGGREGATE, VIEW, MATERIALIZED VIEW, [UNIQUE] INDEX, TRIGGER;
// ALTER TABLE … ADD CONSTRAINT, ALTER COLUMN … SET DEFAULT, ATTACH PARTITION,
// DISABLE/ENABLE [REPLICA|ALWAYS] TRIGGER; ALTER SEQUENCE … OWNED BY; ALTER
// INDEX … ATTACH PARTITION; REFRESH MATERIALIZED VIEW; SELECT
// pg_catalog.setval('name', n, bool); COMMENT ON objects of the database's
// schemas. In data/*.sql only COPY schema.table (columns) FROM stdin and its
// rows. Every object a statement creates or changes must be schema-qualified
// and not in pg_catalog, information_schema or another pg_* schema.
//
// Refused: everything else, in particular COPY to or from a file or PROGRAM;
// CREATE/ALTER/DROP ROLE, USER, GROUP; GRANT and REVOKE (our dumps hold
// none); ALTER … OWNER TO; CREATE/ALTER/DROP DATABASE; ALTER SYSTEM; SET of
// other settings or values, SET ROLE, SET SESSION AUTHORIZATION, RESET; psql
// meta-commands (\connect, \!, …); DO; LOAD; INSERT, DELETE, DROP, RULE,
// POLICY, event triggers; TABLESPACE; U&"…" names; more than one statement at
// once; functions in a language other than sql and plpgsql (no C, internal
// or untrusted languages), with AS 'file', 'symbol', SUPPORT or TRANSFORM,
// or whose SET clause changes a setting other than harmless planner and
// formatting ones (no role, session_authorization, *_preload_libraries, …);
// and any statement or function body naming a function that reaches outside
// the database or runs SQL given as a string: pg_read_file and the other
// pg_read_*, pg_ls_*, pg_file_* functions, pg_stat_file, lo_import,
// lo_export, dblink*, pg_terminate_backend, pg_cancel_backend,
// pg_reload_conf, replication and backup functions, set_config,
// query_to_xml and its kin, ts_stat, ts_rewrite. Function bodies are also
// searched, their key words and their string literals (which EXECUTE may
// run), for statements on roles, databases, the server or the session's
// identity (CREATE ROLE, ALTER SYSTEM, SET/RESET ROLE, GRANT, COPY …
// PROGRAM, DO, …).
//
// SECURITY DEFINER functions and procedures are imported as SECURITY
// INVOKER: locally they would run with the rights of their owner, the
// importing user (often a superuser), whoever calls them. Views run with
// their owner's rights; their owner is the importing user and no privileges
// are granted on them, so they give no one more than that user has.
//
// Which account loads (LoadMode, returned by ImportWithMode): when the
// importing user is superuser or has CREATEROLE, the import creates a
// throw-away role "synco_load_<16 hex>" (LOGIN with a random password valid
// for a day; NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
// a member of nothing) that owns the staging database, and runs every
// statement connected as that role (LoadAsRole). If the server does not let
// it log in (pg_hba.conf), the importing user's connections SET ROLE to it
// (LoadSetRole; the allow-list refuses RESET ROLE, but dynamic SQL run during
// the import could undo it). Allowed extensions are created by the importing
// user, since most need superuser; their files are the local server's. After
// loading, REASSIGN OWNED hands everything, the database included, to the
// importing user, and the role is dropped, also on failure. When the
// importing user may not create roles it loads itself (LoadAsUser), with the
// static checks and its own rights, which are then not a superuser's.
//
// Limits: the checks are static. PL/pgSQL can EXECUTE SQL built at run time
// (concatenation, format(), escapes) that no check sees; Pagila itself
// does (rewards_report). Such code runs during the import only where the
// dump calls functions (CHECK constraints, index expressions, materialized
// view refreshes), and then with the throw-away role's rights, which reach no
// file, program, role or other database. Functions run later, when the
// application calls them, with the caller's rights. The throw-away role's
// password is sent in CREATE ROLE, which the server logs if log_statement
// includes DDL.
//
// The statement splitter handles strings, E” strings, quoted identifiers,
// nested comments, dollar quoting and BEGIN ATOMIC bodies like psql does, so
// the concatenated file (schema.sql, data/* in name order, post.sql) also loads
// with psql -v ON_ERROR_STOP=1 as-is.
//
// # Size
//
// The package is ≈4,600 lines without tests, above the house guide of ~1,500, for
// the same reason as dumpers/mysql: one engine whose dump, import, statement
// checks, staging and swap share the lexer, the splitter, COPY encoding and the
// session set-up; split by role into files.
package postgres
