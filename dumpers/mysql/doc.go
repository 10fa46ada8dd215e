// Package mysql dumps a MySQL (>= 5.7) or MariaDB (>= 10.3) database into the
// streams of package dumpers and imports such a dump, over go-sql-driver/mysql; no
// mysqldump or mysql client is needed on either side.
//
// # Snapshot
//
// Dump reads every table from one consistent state, also with several connections,
// the way mydumper does: one connection takes FLUSH TABLES WITH READ LOCK, each
// worker connection starts START TRANSACTION WITH CONSISTENT SNAPSHOT (REPEATABLE
// READ), then the lock is released — it is held only for the milliseconds the
// workers need to start, and no commit can fall between their snapshots. The lock
// needs the RELOAD privilege; without it Dump uses a single connection (one
// transaction is consistent by itself; tables are then read one after another) and
// Dumper.Workers reports 1. Only transactional tables (InnoDB) are covered by the
// snapshot; MyISAM tables are read as they are at that moment. DDL that runs
// during a dump is not guarded against (as with mysqldump --single-transaction).
// All sessions use time_zone '+00:00' (TIMESTAMP values are dumped and loaded in
// UTC, so they do not shift between servers in different zones), utf8mb4, and an
// empty sql_mode for reading.
//
// # Streams
//
//	schema.sql        SET NAMES utf8mb4, FOREIGN_KEY_CHECKS=0, UNIQUE_CHECKS=0,
//	                  time_zone='+00:00', sql_mode='NO_AUTO_VALUE_ON_ZERO';
//	                  ALTER DATABASE CHARACTER SET … COLLATE … (the default database);
//	                  per table in byte order of names: DROP TABLE IF EXISTS and the
//	                  CREATE TABLE of SHOW CREATE TABLE, with its AUTO_INCREMENT value
//	                  and foreign keys (they load fine with FOREIGN_KEY_CHECKS=0, and
//	                  adding them later would cost an ALTER per table). A MariaDB
//	                  SEQUENCE: DROP/CREATE SEQUENCE and DO SETVAL(seq, next not
//	                  cached value, 0), as mysqldump restores it.
//	data/<table>.sql  multi-row INSERT INTO `t` (`col`,…) VALUES, one row per line.
//	post.sql          procedures and functions, views, triggers, events, then
//	                  FOREIGN_KEY_CHECKS=1 and UNIQUE_CHECKS=1.
//
// Everything that cannot move between databases with RENAME TABLE (routines, views,
// triggers, events) is in post.sql, so the importer can replay it in the target
// after the swap (below). Triggers come after the data: Sakila's BEFORE INSERT
// triggers would otherwise overwrite every restored date, and ins_film would
// duplicate film_text. Views are ordered so that a view follows the views it reads
// (found by their quoted names in its definition; cycles in name order). Bodies
// that may contain ';' (routines, triggers, events) are written as
//
//	SET sql_mode = '<the mode the object was created with>';
//	DELIMITER ;;
//	CREATE … ;;
//	DELIMITER ;
//
// which the mysql client loads as-is and SplitStatements reads the same way, so the
// concatenation schema.sql + data/* (name order) + post.sql is one plain .sql file.
// DEFINER clauses are removed (the source's accounts rarely exist at the
// destination, and an account named by the source must not be trusted); views are
// written SQL SECURITY INVOKER and routines without SQL SECURITY, as the importer
// creates them (see Security).
//
// # Rows and values
//
// Rows are ordered by the primary key; without one by the first (in name order)
// unique key whose columns are all NOT NULL; without such a key by every dumped
// column, strings compared as bytes so case-insensitive collations cannot tie
// different rows (sorting a BLOB/TEXT compares only its first max_sort_length
// bytes, so two rows that differ only beyond that may swap between dumps).
// Generated columns are not dumped; invisible columns are (the column list is
// always written). Rows are streamed with sql.RawBytes: memory is one statement
// (ends after ~256 KiB–1 MiB, see stmtMin/stmtMax; a single bigger row makes a
// statement of its own; where that is bigger than the importing server's
// max_allowed_packet, its long values are sent as parameters, each of which must
// fit it: bigrow.go) plus one row. A statement ends after a row whose bytes hash to 0 mod 64 once it holds
// 256 KiB, so edits do not move the boundaries of the statements after them.
//
// Values, written from the text protocol so that nothing passes through a Go
// numeric type that could round it:
//
//	integers (incl. BIGINT UNSIGNED), DECIMAL, YEAR   the server's text, unquoted
//	FLOAT                 shortest text that reads back as the same float32 (read
//	                      as col+0e0: servers print FLOAT with 6 digits only)
//	DOUBLE                shortest round-trip text (strconv 'g', -1)
//	BINARY, VARBINARY, BLOBs, BIT, GEOMETRY   0x… hex ('' when empty)
//	everything else (CHAR/TEXT, ENUM, SET, JSON, DATE/TIME/DATETIME/TIMESTAMP with
//	fractions, UUID, INET6…)   '…' with ' doubled; a value with a backslash, NUL or
//	                      Ctrl-Z, CR as _utf8mb4 X'…', which means the same with or
//	                      without NO_BACKSLASH_ESCAPES and passes the mysql client;
//	                      bytes that are not UTF-8 as X'…'
//	NULL                  NULL
//
// Dumping unchanged data twice gives the same bytes: no timestamps, versions or
// server names are written, everything is in a fixed order.
//
// # Import
//
// Import loads the dump into a fresh staging database "<target>__synco_<hex>":
// schema.sql, then the data streams in parallel on several connections (each with
// FOREIGN_KEY_CHECKS=0, UNIQUE_CHECKS=0, UTC, NO_AUTO_VALUE_ON_ZERO), then post.sql
// (without events, which could fire there) as a trial: a view or trigger that does
// not load fails here and the target was not touched. Only then is the staging
// database swapped into the target (created if missing). MySQL has no RENAME
// DATABASE, and RENAME TABLE moves neither views nor tables with triggers to
// another database, so the swap:
//
//  1. saves the target's routines, views, triggers and events as SQL in memory;
//  2. drops the staging triggers and the target's triggers and views;
//  3. moves, in ONE RENAME TABLE statement (atomic), every target table into a
//     backup database "<target>__synco_old_<hex>" and every staging table into the
//     target (InnoDB carries the foreign keys along);
//  4. drops the target's old routines and events and replays post.sql there;
//  5. sets the target's default character set and drops backup and staging.
//
// A failure before 3 recreates the saved objects; a failure in 4 renames the tables
// back and recreates them; a failure before the swap only drops the staging
// database. So after an error the target holds what it held before, and after
// success exactly the dump (tables, views, routines, triggers, events that existed
// only locally are gone). Saved objects that are recreated after a failure lose
// their DEFINER like dumped ones. The swap runs to its end even if ctx is cancelled while
// it runs. It is not atomic for concurrent readers of the target: for the moment
// of the swap they may see it without triggers or views.
//
// Staging in the target (StageTables). An account that may not create the
// staging and backup databases — the usual grant ALL PRIVILEGES ON <db>.* —
// stages inside the target instead. StagingMode tells which mode an import uses,
// decided before anything is created from the privileges the server lists for the
// account (global, or on a database pattern that covers both names; privileges
// that come only through a role are not seen, and StageTables works as well). The
// target is created if missing (dropped again on failure). Every table and
// sequence of the dump loads under "__synco_<8 hex>_<name>" (a hash instead of the
// name when that would pass 64 characters): the names after DROP TABLE|SEQUENCE
// IF EXISTS, CREATE TABLE|SEQUENCE, DO SETVAL(, REFERENCES and INSERT INTO are
// rewritten on the statement's tokens after the allow-list passed it, and so are
// the names of foreign keys (CONSTRAINT x FOREIGN KEY), which InnoDB keeps unique
// per database. schema.sql's ALTER DATABASE … CHARACTER SET is kept for the swap.
// post.sql is not tried out first: it names the real tables, which are still the
// target's, and its DROP … IF EXISTS would hit the target's objects; it runs only
// after the swap, and a failure there rolls the swap back. The swap (swapTables):
//
//  1. saves the target's routines, views, triggers and events, and its character set;
//  2. drops the target's triggers and views;
//  3. moves, in ONE RENAME TABLE statement, every old table to
//     "__synco_old_<8 hex>_<name>" and every staged one to its real name;
//  4. sets the dump's character set, drops the old routines and events, replays
//     post.sql (as the loading account);
//  5. drops the old tables, then gives the foreign keys their names back (one ALTER
//     TABLE … DROP FOREIGN KEY …, ADD CONSTRAINT … per table that has any; foreign
//     key checks are off, so no row is read).
//
// A failure before 5 leaves the target as before (tables renamed back, objects and
// character set restored, staged tables dropped); a failure in 5 is a
// *dumpers.CleanupError: the snapshot is installed and its foreign keys work, some
// under their staging names. A failing view or trigger thus costs a swap and its
// roll-back instead of failing in staging.
//
// Imports of one target are serialised with GET_LOCK (a name derived from the
// target); under that lock an import first drops the staging and backup databases
// ("<target>__synco_<8 hex>", "<target>__synco_old_<8 hex>", nothing else) and the
// target's tables named "__synco_[old_]<8 hex>_…" that a killed import left. When the snapshot is installed but dropping backup or staging,
// or restricting the loading account again, fails, Import returns a
// *dumpers.CleanupError: the target is fine, the caller warns.
//
// # Security
//
// The source is trusted only with its own data (DESIGN §4): a compromised server
// must not reach further into the machine that imports. So:
//
// Allow-list. Every statement of every stream is checked before it runs (allow.go,
// on tokens of lex.go: quotes, comments and the content of executable comments
// /*! … */ read as the server reads them, following the stream's sql_mode for
// backslash escapes and ANSI_QUOTES). Allowed are only the shapes Dump writes:
//
//	schema.sql  SET NAMES utf8mb4 | SET FOREIGN_KEY_CHECKS|UNIQUE_CHECKS = 0|1 |
//	            SET time_zone = '…' | SET sql_mode = '<known flags>' (not ANSI,
//	            ORACLE & co.); ALTER DATABASE [DEFAULT] CHARACTER SET … COLLATE …
//	            without a name; DROP TABLE|SEQUENCE IF EXISTS <name>; CREATE
//	            TABLE|SEQUENCE <name> …; DO SETVAL(<name>, <n>, <n>)
//	data/*.sql  INSERT INTO <the stream's table> (<columns>) VALUES (<literals>),…
//	            literals only: numbers, strings, X'…', _charset'…', NULL
//	post.sql    the SETs above; DROP VIEW|PROCEDURE|FUNCTION|TRIGGER|EVENT IF EXISTS
//	            <name>; CREATE [OR REPLACE] [ALGORITHM=…] [SQL SECURITY …]
//	            VIEW|PROCEDURE|FUNCTION|TRIGGER|EVENT <name> …
//
// Names are never qualified with a database: a.b.c is refused; a.b is refused
// where a table stands (after FROM, JOIN, INTO, UPDATE, TABLE, REFERENCES, CALL,
// TO, in a FROM list, NEXTVAL(…)), before '(' (db.function), when a is mysql,
// information_schema, performance_schema or sys, and when a is no table or alias
// the statement names unqualified (NEW and OLD aside). The same holds inside view,
// routine, trigger and event bodies, where ordinary DML and control flow are
// allowed. Refused anywhere: USE, CREATE/ALTER/DROP/RENAME of DATABASE, SCHEMA,
// USER, ROLE, SERVER, TABLESPACE; GRANT, REVOKE; SET GLOBAL/PERSIST, @@global.*,
// SET PASSWORD/ROLE/DEFAULT ROLE, sql_log_bin; INTO OUTFILE/DUMPFILE, LOAD
// DATA/XML, LOAD_FILE(); PREPARE, EXECUTE [IMMEDIATE], DEALLOCATE; INSTALL,
// UNINSTALL, SONAME (UDFs); SHUTDOWN, RESTART, KILL, FLUSH, PURGE, BINLOG, SHOW,
// HANDLER (not DECLARE … HANDLER), CHANGE MASTER, START/STOP SLAVE, RESET MASTER…,
// BACKUP STAGE/LOCK; DEFINER clauses; DATA/INDEX DIRECTORY, CONNECTION, engines
// other than InnoDB, MyISAM, Aria, MEMORY, ARCHIVE, BLACKHOLE, CSV, RocksDB,
// TokuDB, MERGE, SEQUENCE (CONNECT, FEDERATED, SPIDER… reach files or servers); a
// backslash outside quotes (mysql client command); several statements in one
// (except inside bodies); anything else. A refused statement fails the import with
// a *dumpers.RefusedError (errors.Is dumpers.ErrRefused) before it runs: nothing is
// swapped in, the staging database is dropped. post.sql is checked whole before
// any of it runs.
//
// Loading account. When the given account has CREATE USER and GRANT OPTION
// (LoadAccountMode reports it), the import loads schema, data and post.sql — in
// the staging database and, after the swap, in the target — as the account
// `synco_<16 hex of sha256(target)>`@`<the host the server sees us connect from>`,
// created once per target and kept: it holds ALL PRIVILEGES on the target (and, for
// the import's time, on the staging database; _ and % escaped in the GRANT), nothing
// global, and gets a fresh random password per import and another one nobody
// knows afterwards. The staging/backup databases, RENAME TABLE and the clean-up run
// as the given account, with statements of ours only. Otherwise everything runs as
// the given account.
//
// Definers. Views and routines are created SQL SECURITY INVOKER (views rewritten
// on import, routines by an ALTER … SQL SECURITY INVOKER right after their CREATE),
// so they run with the rights of whoever uses them, never the importer's.
// Triggers and events always run as their definer: that is the loading account
// (rights on the target only), which is why it is kept between imports — a
// dropped definer would make the triggers fail. Without it (LoadAsUser) they run
// as the given account.
//
// # Limits
//
// Routine, trigger and event bodies are kept verbatim: a body that names its own
// database explicitly (`shop`.`t`) is refused, as any qualified name (view
// definitions do not have this problem: SHOW CREATE VIEW drops the current
// database's name). The allow-list knows the reserved words it refuses, not the
// server's full grammar: a column named like a refused word (execute, global…)
// must be quoted in bodies (SHOW CREATE quotes all names of tables and views).
// Dynamic SQL is refused because no static check can follow it. The loading
// account is per (target, client host): connecting once over TCP and once over the
// socket leaves two; dropping the target leaves the account. Views on excluded tables are still dumped and make the
// import fail. System-versioned tables lose their history rows (the dump names
// them through dumpers.Options.Left). StageTables:
// MySQL 8 keeps CHECK constraint names unique per database, so a table whose
// CHECK constraint the target already has under the same name fails to stage
// (the target stays as it was; grant CREATE and DROP on <target>\_\_synco\_% or
// globally); the target is renamed table by table in one statement, so it briefly
// holds both old and staged tables (readers that list tables see them).
//
// # Errors
//
// Wrong user or password: ErrAccessDenied. No connection, or no MySQL server
// answering within 15 s (a read waits at most an hour, a write 10 minutes; the
// driver's own logging is silenced): ErrUnreachable. A refused statement:
// *dumpers.RefusedError. Another import of the target running: ErrImportRunning.
// Server
// too old: ErrUnsupportedServer. Missing privilege: *PrivilegeError naming it
// (dump: SELECT, SHOW VIEW, TRIGGER, EVENT, SELECT on mysql.proc for routines of
// other definers, RELOAD for a parallel dump; import: CREATE, DROP, ALTER, INSERT,
// CREATE VIEW, TRIGGER, CREATE ROUTINE, ALTER ROUTINE, EVENT — on the target only
// with StageTables, also on the staging databases otherwise). Errors never
// contain the password.
//
// # Size
//
// The package is ≈5,500 lines without tests, above the house guide of ~1,500. It is
// one engine: dump, import, the statement checks, staging, swap and delta install
// all share the lexer (lex.go), the statement splitter, value encoding and the
// connection set-up, and the checks must read SQL exactly as the importer sends
// it. Split by role into files (dump*.go, import.go, allow.go/lex.go, stage.go,
// swap*.go, delta*.go, installed.go, rewrite.go); a sub-package would have to
// export the lexer and the session set-up to the rest.
package mysql
