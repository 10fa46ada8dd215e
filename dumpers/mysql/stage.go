package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"unicode/utf8"
)

// StageMode says where an import stages the dump before swapping it in.
type StageMode int

const (
	// StageDatabase: in a staging database "<target>__synco_<hex>" next to the
	// target (package doc, Import). Needs CREATE and DROP on databases of that name.
	StageDatabase StageMode = iota
	// StageTables: in the target database itself, every table under a prefixed
	// name "__synco_<hex>_<table>", for accounts that may not create databases
	// (the usual grant ALL PRIVILEGES ON <db>.*). See the package doc, Import.
	StageTables
)

func (m StageMode) String() string {
	if m == StageTables {
		return "prefixed tables in the target database"
	}
	return "staging database"
}

// StagingMode tells where Import would stage a dump for the database named in
// cfg: StageDatabase when the account of cfg may create and drop the staging and
// backup databases (CREATE, DROP, ALTER and INSERT on them, granted globally or on
// a database pattern that covers their names), StageTables otherwise. Privileges
// that come only through a role are not seen (StageTables, which works too).
// Errors: as Import's connection errors.
func StagingMode(ctx context.Context, cfg *Config) (StageMode, error) {
	srv, err := open(ctx, cfg.WithDatabase(""))
	if err != nil {
		return StageDatabase, err
	}
	defer srv.db.Close()
	return stagingMode(ctx, srv.db, tempName(cfg.Database, "__synco_"), tempName(cfg.Database, "__synco_old_"))
}

// stagingMode decides by the privileges the server lists for the current account,
// before anything is created: StageDatabase only if every one of the staging
// statements on stage and backup is granted.
func stagingMode(ctx context.Context, db *sql.DB, stage, backup string) (StageMode, error) {
	for _, name := range []string{stage, backup} {
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT PRIVILEGE_TYPE) FROM (
			SELECT PRIVILEGE_TYPE, GRANTEE FROM information_schema.USER_PRIVILEGES
			UNION ALL
			SELECT PRIVILEGE_TYPE, GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE ? LIKE TABLE_SCHEMA
		) p WHERE PRIVILEGE_TYPE IN ('CREATE', 'DROP', 'ALTER', 'INSERT')
		AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`, name).Scan(&n)
		if err != nil {
			return StageDatabase, fmt.Errorf("read privileges: %w", err)
		}
		if n < 4 {
			return StageTables, nil
		}
	}
	return StageDatabase, nil
}

// stagePrefix and backupPrefix start the names of staged and backed-up tables;
// 8 hex digits and "_" follow (leftoverTableRE).
const (
	stagePrefix  = "__synco_"
	backupPrefix = "__synco_old_"
)

// tableStage is the state of an import that stages in the target's own tables
// (StageTables): the names the dump's tables load under, and what the swap must
// restore afterwards.
type tableStage struct {
	stage, backup string // name prefixes of this import, "__synco_<hex>_", "__synco_old_<hex>_"

	mu      sync.Mutex
	tables  []string            // the dump's tables and sequences, real names, as created
	fks     map[string][]fkName // real table → its foreign keys, renamed for staging
	charset []byte              // the dump's ALTER DATABASE statement, run at the swap
}

// fkName is a foreign key created under a staging name: InnoDB's foreign key names
// are unique per database, and the target's tables hold the real ones meanwhile.
type fkName struct {
	staged string
	clause string // CONSTRAINT `real` FOREIGN KEY … as the dump wrote it
}

func newTableStage() *tableStage {
	hex := tempName("", "")
	return &tableStage{stage: stagePrefix + hex + "_", backup: backupPrefix + hex + "_", fks: map[string][]fkName{}}
}

// prefixed is name under prefix, within MySQL's 64 characters: a name that would
// be longer is replaced by a hash of it (the mapping is kept by the caller).
func prefixed(prefix, name string) string {
	if utf8.RuneCountInString(prefix+name) <= 64 {
		return prefix + name
	}
	h := sha256.Sum256([]byte(name))
	return prefix + "h" + hex.EncodeToString(h[:12])
}

func (ts *tableStage) staged(name string) string { return prefixed(ts.stage, name) }

// rewriteSchema renames the tables of a checked schema.sql statement to their
// staged names, on the statement's tokens (lex.go) as the checker read them: the
// name after DROP TABLE|SEQUENCE IF EXISTS, CREATE TABLE|SEQUENCE and DO
// SETVAL(, every name after REFERENCES, and the names of foreign keys (CONSTRAINT
// <name> FOREIGN KEY), which are unique per database. The database's ALTER
// DATABASE … CHARACTER SET is kept for the swap (skip): run now it would change the
// target before the swap.
func (ts *tableStage) rewriteSchema(a allowed, backslash, ansiQuotes bool) (out allowed, skip bool, err error) {
	toks, lerr := lexAll(a.stmt, backslash, ansiQuotes)
	if lerr != "" {
		return a, false, fmt.Errorf("rename tables for staging: %s", lerr)
	}
	v := &stmtView{s: a.stmt, toks: toks, bs: backslash}
	type edit struct {
		from, to int
		repl     string
	}
	var edits []edit
	rename := func(i int) {
		edits = append(edits, edit{toks[i].pos, toks[i].end, quoteIdent(ts.staged(v.name(i)))})
	}
	switch v.upper(0) {
	case "ALTER":
		ts.mu.Lock()
		ts.charset = a.stmt
		ts.mu.Unlock()
		return a, true, nil
	case "DROP":
		rename(4) // DROP TABLE|SEQUENCE IF EXISTS <name>: checked by dropShape
	case "DO":
		rename(3) // DO SETVAL(<name>, …): checked by setvalShape
	case "CREATE":
		rename(2) // CREATE TABLE|SEQUENCE <name>: checked by createTableShape
		table := v.name(2)
		var fks []fkName
		for i := 3; i < len(toks); i++ {
			switch {
			case v.word(i, "REFERENCES") && v.simpleName(i+1):
				rename(i + 1)
				i++
			case v.word(i, "CONSTRAINT") && v.isName(i+1) && v.word(i+2, "FOREIGN"):
				end := clauseEnd(v, i)
				h := sha256.Sum256([]byte(table + "\x00" + v.name(i+1)))
				fk := fkName{staged: ts.stage + "fk" + hex.EncodeToString(h[:12]), clause: string(a.stmt[toks[i].pos:toks[end].end])}
				fks = append(fks, fk)
				edits = append(edits, edit{toks[i+1].pos, toks[i+1].end, quoteIdent(fk.staged)})
				i++
			}
		}
		ts.mu.Lock()
		ts.tables = append(ts.tables, table)
		if len(fks) > 0 {
			ts.fks[table] = fks
		}
		ts.mu.Unlock()
	default: // SET …: no names
		return a, false, nil
	}
	s := a.stmt
	for k := len(edits) - 1; k >= 0; k-- {
		s = splice(s, edits[k].from, edits[k].to, edits[k].repl)
	}
	a.stmt = s
	return a, false, nil
}

// clauseEnd is the last token of the table element that starts at token i: the
// token before the ',' or ')' that ends it at its own parenthesis depth.
func clauseEnd(v *stmtView, i int) int {
	depth := 0
	for j := i; j < len(v.toks); j++ {
		switch {
		case v.punct(j, '('):
			depth++
		case v.punct(j, ')'):
			if depth == 0 {
				return j - 1
			}
			depth--
		case v.punct(j, ',') && depth == 0:
			return j - 1
		}
	}
	return len(v.toks) - 1
}

// rewriteInsert renames the table of a checked data statement (INSERT INTO <t> …,
// insertShape) to its staged name; only the first three tokens are read.
func (ts *tableStage) rewriteInsert(stmt []byte) []byte {
	l := &lexer{s: stmt, backslash: true}
	var t token
	for range 3 {
		t, _ = l.next()
	}
	return splice(stmt, t.pos, t.end, quoteIdent(ts.staged(unquote(stmt[t.pos:t.end], false))))
}
