package mysql

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"synco/dumpers"
)

// The allow-list. A dump comes from a source we trust only with its own data
// (DESIGN §4): every statement of every stream is checked by its shape before it
// runs, and only the shapes our dumper writes pass (see the package doc, Security).
// The checks work on tokens (lex.go), never on substrings, so quotes, comments and
// executable comments cannot hide a keyword or a name.

// streamKind says which statements a stream may hold.
type streamKind uint8

const (
	kindSchema streamKind = iota // schema.sql
	kindData                     // data/<table>.sql
	kindPost                     // post.sql
)

// checker checks the statements of one stream in order. It follows the stream's
// SET sql_mode statements, which change how the server reads quotes.
type checker struct {
	stream     string
	kind       streamKind
	table      string // data streams: the table the stream is for
	backslash  bool
	ansiQuotes bool
}

func newChecker(stream string) *checker {
	c := &checker{stream: stream, backslash: true}
	switch {
	case stream == dumpers.SchemaStream:
		c.kind = kindSchema
	case stream == dumpers.PostStream:
		c.kind = kindPost
	default:
		c.kind = kindData
		c.table = tableOfStream(stream)
	}
	return c
}

// allowed is a statement that passed the check, as it is to be run.
type allowed struct {
	stmt   []byte // the statement (views: made SQL SECURITY INVOKER)
	follow string // a statement of ours to run right after it, or ""
	event  bool   // CREATE or DROP EVENT
}

// check returns the statement to run, or a *dumpers.RefusedError. n numbers the
// statement in its stream, from 1.
func (c *checker) check(n int, stmt []byte) (allowed, error) {
	a, reason := c.shape(stmt)
	if reason == "" {
		reason = c.namesRecord(stmt)
	}
	if reason != "" {
		return allowed{}, &dumpers.RefusedError{Stream: c.stream, N: n, Stmt: stmtHead(stmt), Reason: reason}
	}
	return a, nil
}

// stmtHead is the statement's start, whitespace runs collapsed, ≤ 60 bytes.
func stmtHead(st []byte) string {
	if len(st) > 240 {
		st = st[:240]
	}
	h := strings.Join(strings.Fields(strings.ToValidUTF8(string(st), "?")), " ")
	if len(h) > 60 {
		h = h[:60]
		for !utf8.ValidString(h) {
			h = h[:len(h)-1]
		}
	}
	return h
}

// stmtView is a lexed statement with helpers to read it.
type stmtView struct {
	s    []byte
	toks []token
	bs   bool
}

func (v *stmtView) word(i int, w string) bool {
	return i < len(v.toks) && v.toks[i].kind == tWord && bytes.EqualFold(v.text(i), []byte(w))
}

func (v *stmtView) punct(i int, c byte) bool {
	return i >= 0 && i < len(v.toks) && v.toks[i].kind == tPunct && v.s[v.toks[i].pos] == c
}

func (v *stmtView) text(i int) []byte { return v.s[v.toks[i].pos:v.toks[i].end] }

func (v *stmtView) upper(i int) string {
	if i < 0 || i >= len(v.toks) || v.toks[i].kind != tWord {
		return ""
	}
	return strings.ToUpper(string(v.text(i)))
}

func (v *stmtView) isName(i int) bool {
	return i >= 0 && i < len(v.toks) && (v.toks[i].kind == tWord || v.toks[i].kind == tIdent)
}

// name is the identifier at i, unquoted.
func (v *stmtView) name(i int) string { return unquote(v.text(i), false) }

// simpleName: the token at i is a name that is not qualified (not next to a dot).
func (v *stmtView) simpleName(i int) bool {
	return v.isName(i) && !v.punct(i-1, '.') && !v.punct(i+1, '.')
}

func (c *checker) shape(stmt []byte) (allowed, string) {
	if c.kind == kindData {
		return allowed{stmt: stmt}, c.insertShape(stmt)
	}
	toks, lerr := lexAll(stmt, c.backslash, c.ansiQuotes)
	if lerr != "" {
		return allowed{}, lerr
	}
	v := &stmtView{s: stmt, toks: toks, bs: c.backslash}
	if len(toks) == 0 {
		return allowed{}, "empty statement"
	}
	switch head := v.upper(0); {
	case head == "SET":
		return allowed{stmt: stmt}, c.setShape(v)
	case c.kind == kindSchema && head == "ALTER":
		return allowed{stmt: stmt}, alterDatabaseShape(v)
	case head == "DROP":
		return allowed{stmt: stmt, event: v.word(1, "EVENT")}, c.dropShape(v)
	case c.kind == kindSchema && head == "CREATE":
		return allowed{stmt: stmt}, createTableShape(v)
	case c.kind == kindSchema && head == "DO":
		return allowed{stmt: stmt}, setvalShape(v)
	case c.kind == kindPost && head == "CREATE":
		return c.createObjectShape(v)
	case head == "USE":
		return allowed{}, "USE of another database"
	case head == "GRANT" || head == "REVOKE":
		return allowed{}, head
	}
	return allowed{}, "statement " + stmtWord(v) + " is not one a dump holds"
}

func stmtWord(v *stmtView) string {
	w := v.upper(0)
	if w == "" || len(w) > 20 {
		return "of this kind"
	}
	return w
}

// setShape: SET NAMES utf8mb4 | SET FOREIGN_KEY_CHECKS = 0|1 | SET UNIQUE_CHECKS =
// 0|1 | SET time_zone = '…' | SET sql_mode = '<known modes>'. Nothing else: no
// GLOBAL, PERSIST, PASSWORD, ROLE, @@, sql_log_bin, several variables at once.
func (c *checker) setShape(v *stmtView) string {
	if len(v.toks) == 3 && v.word(1, "NAMES") && (v.word(2, "utf8mb4") || v.word(2, "utf8")) {
		return ""
	}
	if len(v.toks) != 4 || !v.punct(2, '=') || v.toks[1].kind != tWord {
		return "SET other than of the session settings a dump makes"
	}
	val := v.toks[3]
	switch v.upper(1) {
	case "FOREIGN_KEY_CHECKS", "UNIQUE_CHECKS":
		if t := v.text(3); val.kind == tNumber && (string(t) == "0" || string(t) == "1") {
			return ""
		}
	case "TIME_ZONE":
		if val.kind == tString {
			return ""
		}
	case "SQL_MODE":
		if val.kind == tString {
			return c.setSQLMode(unquote(v.text(3), c.backslash))
		}
	}
	return "SET other than of the session settings a dump makes"
}

// sqlModes are the sql_mode flags a dump may set; the combination modes (ANSI,
// ORACLE, …) change the syntax far beyond quoting and are refused.
var sqlModes = map[string]bool{
	"REAL_AS_FLOAT": true, "PIPES_AS_CONCAT": true, "ANSI_QUOTES": true, "IGNORE_SPACE": true,
	"IGNORE_BAD_TABLE_OPTIONS": true, "ONLY_FULL_GROUP_BY": true, "NO_UNSIGNED_SUBTRACTION": true,
	"NO_DIR_IN_CREATE": true, "NO_KEY_OPTIONS": true, "NO_TABLE_OPTIONS": true, "NO_FIELD_OPTIONS": true,
	"NO_AUTO_VALUE_ON_ZERO": true, "NO_BACKSLASH_ESCAPES": true, "STRICT_TRANS_TABLES": true,
	"STRICT_ALL_TABLES": true, "NO_ZERO_IN_DATE": true, "NO_ZERO_DATE": true, "ALLOW_INVALID_DATES": true,
	"ERROR_FOR_DIVISION_BY_ZERO": true, "TRADITIONAL": true, "NO_AUTO_CREATE_USER": true,
	"HIGH_NOT_PRECEDENCE": true, "NO_ENGINE_SUBSTITUTION": true, "PAD_CHAR_TO_FULL_LENGTH": true,
	"EMPTY_STRING_IS_NULL": true, "SIMULTANEOUS_ASSIGNMENT": true, "TIME_ROUND_FRACTIONAL": true,
	"TIME_TRUNCATE_FRACTIONAL": true,
}

func (c *checker) setSQLMode(mode string) string {
	bs, aq := true, false
	for _, f := range strings.Split(mode, ",") {
		f = strings.ToUpper(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !sqlModes[f] {
			return "sql_mode " + f
		}
		bs = bs && f != "NO_BACKSLASH_ESCAPES"
		aq = aq || f == "ANSI_QUOTES"
	}
	c.backslash, c.ansiQuotes = bs, aq
	return ""
}

// alterDatabaseShape: ALTER DATABASE [DEFAULT] CHARACTER SET x [DEFAULT] COLLATE y,
// without a database name (it applies to the staging database).
func alterDatabaseShape(v *stmtView) string {
	if !v.word(1, "DATABASE") && !v.word(1, "SCHEMA") {
		return "ALTER other than of the default character set"
	}
	i := 2
	if i == len(v.toks) {
		return "ALTER DATABASE without settings"
	}
	for i < len(v.toks) {
		switch {
		case v.word(i, "DEFAULT"):
			i++
			continue
		case v.word(i, "CHARACTER") && v.word(i+1, "SET"):
			i += 2
		case v.word(i, "CHARSET") || v.word(i, "COLLATE"):
			i++
		default:
			return "ALTER DATABASE with a name or other settings"
		}
		if v.punct(i, '=') {
			i++
		}
		if !v.isName(i) && (i >= len(v.toks) || v.toks[i].kind != tString) {
			return "ALTER DATABASE with a name or other settings"
		}
		i++
	}
	return ""
}

// dropShape: DROP <kind> IF EXISTS <name>, the kinds of the stream.
func (c *checker) dropShape(v *stmtView) string {
	kinds := map[string]bool{"TABLE": c.kind == kindSchema, "SEQUENCE": c.kind == kindSchema,
		"VIEW": c.kind == kindPost, "PROCEDURE": c.kind == kindPost, "FUNCTION": c.kind == kindPost,
		"TRIGGER": c.kind == kindPost, "EVENT": c.kind == kindPost}
	k := v.upper(1)
	switch {
	case k == "DATABASE" || k == "SCHEMA":
		return "DROP DATABASE"
	case k == "USER" || k == "ROLE":
		return "DROP " + k
	case !kinds[k]:
		return "DROP of this kind"
	case v.punct(5, '.'):
		return "name qualified with a database"
	case !v.word(2, "IF") || !v.word(3, "EXISTS") || len(v.toks) != 5:
		return "DROP other than DROP " + k + " IF EXISTS <one name>"
	case !v.simpleName(4):
		return "name qualified with a database"
	}
	return ""
}

// createTableShape: CREATE TABLE|SEQUENCE <name> …, its body checked by scanBody.
func createTableShape(v *stmtView) string {
	if !v.word(1, "TABLE") && !v.word(1, "SEQUENCE") {
		return createKindReason(v, 1)
	}
	if !v.isName(2) || v.word(2, "IF") {
		return "CREATE TABLE of an unexpected form"
	}
	if !v.simpleName(2) {
		return "name qualified with a database"
	}
	return scanBody(v, false)
}

func createKindReason(v *stmtView, i int) string {
	switch k := v.upper(i); k {
	case "DATABASE", "SCHEMA", "USER", "ROLE", "SERVER", "TABLESPACE":
		return "CREATE " + k
	}
	return "CREATE of this kind"
}

// setvalShape: DO SETVAL(<name>, <integer>, 0|1).
func setvalShape(v *stmtView) string {
	t := v.toks
	ok := len(t) >= 8 && v.word(1, "SETVAL") && v.punct(2, '(') && v.simpleName(3) && v.punct(4, ',')
	i := 5
	if ok && (v.punct(i, '-') || v.punct(i, '+')) {
		i++
	}
	ok = ok && len(t) == i+4 && t[i].kind == tNumber && v.punct(i+1, ',') && t[i+2].kind == tNumber && v.punct(i+3, ')')
	if !ok {
		return "DO other than DO SETVAL(<sequence>, <value>, 0)"
	}
	return ""
}

// createObjectShape: CREATE [OR REPLACE] [ALGORITHM = x] [SQL SECURITY x]
// VIEW|PROCEDURE|FUNCTION|TRIGGER|EVENT [IF NOT EXISTS] <name> …, the rest checked by
// scanBody. Views get SQL SECURITY INVOKER here; routines get it from an ALTER run
// right after them (follow). A DEFINER clause is refused: objects belong to the
// account that loads them.
func (c *checker) createObjectShape(v *stmtView) (allowed, string) {
	i := 1
	if v.word(i, "OR") && v.word(i+1, "REPLACE") {
		i += 2
	}
	security := -1 // token index of DEFINER/INVOKER after SQL SECURITY
	for {
		switch {
		case v.word(i, "ALGORITHM") && v.punct(i+1, '=') && v.isName(i+2):
			i += 3
			continue
		case v.word(i, "SQL") && v.word(i+1, "SECURITY") && (v.word(i+2, "DEFINER") || v.word(i+2, "INVOKER")):
			security = i + 2
			i += 3
			continue
		case v.word(i, "DEFINER"):
			return allowed{}, "DEFINER clause"
		case v.word(i, "AGGREGATE"):
			i++
			continue
		}
		break
	}
	kind := v.upper(i)
	switch kind {
	case "VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT":
	default:
		return allowed{}, createKindReason(v, i)
	}
	n := i + 1
	if v.word(n, "IF") && v.word(n+1, "NOT") && v.word(n+2, "EXISTS") {
		n += 3
	}
	if !v.isName(n) {
		return allowed{}, "CREATE " + kind + " of an unexpected form"
	}
	if !v.simpleName(n) {
		return allowed{}, "name qualified with a database"
	}
	if kind == "TRIGGER" {
		// <name> BEFORE|AFTER INSERT|UPDATE|DELETE ON <table>
		if !v.word(n+3, "ON") || !v.isName(n+4) {
			return allowed{}, "CREATE TRIGGER of an unexpected form"
		}
		if !v.simpleName(n + 4) {
			return allowed{}, "name qualified with a database"
		}
	}
	// Every SQL SECURITY DEFINER becomes INVOKER (also of a view a procedure creates);
	// the rewritten text is lexed and checked again.
	out := v.s
	if kind == "VIEW" && security < 0 {
		out = splice(out, v.toks[i].pos, v.toks[i].pos, "SQL SECURITY INVOKER ")
	}
	for j := len(v.toks) - 1; j >= 2; j-- {
		if v.word(j, "DEFINER") && v.word(j-1, "SECURITY") && v.word(j-2, "SQL") {
			out = splice(out, v.toks[j].pos, v.toks[j].end, "INVOKER")
		}
	}
	if !bytes.Equal(out, v.s) {
		toks, lerr := lexAll(out, c.backslash, c.ansiQuotes)
		if lerr != "" {
			return allowed{}, lerr
		}
		v = &stmtView{s: out, toks: toks, bs: c.backslash}
	}
	if r := scanBody(v, kind != "VIEW"); r != "" {
		return allowed{}, r
	}
	a := allowed{stmt: out, event: kind == "EVENT"}
	if kind == "PROCEDURE" || kind == "FUNCTION" {
		a.follow = "ALTER " + kind + " " + quoteIdent(v.name(n)) + " SQL SECURITY INVOKER"
	}
	return a, ""
}

func splice(s []byte, from, to int, repl string) []byte {
	out := make([]byte, 0, len(s)+len(repl))
	out = append(out, s[:from]...)
	out = append(out, repl...)
	return append(out, s[to:]...)
}

// Words refused wherever they stand unquoted: statements and clauses that reach
// outside the database (files, users, privileges, server state, replication) or that
// run text as SQL, which no static check can follow.
var refusedWords = map[string]string{
	"GRANT": "GRANT", "REVOKE": "REVOKE", "KILL": "KILL",
	"LOAD": "LOAD DATA/XML/INDEX", "LOAD_FILE": "LOAD_FILE()",
	"OUTFILE": "INTO OUTFILE", "DUMPFILE": "INTO DUMPFILE",
	"PREPARE": "PREPARE (dynamic SQL)", "EXECUTE": "EXECUTE (dynamic SQL)", "DEALLOCATE": "DEALLOCATE PREPARE",
	"INSTALL": "INSTALL PLUGIN/SONAME", "UNINSTALL": "UNINSTALL PLUGIN/SONAME", "SONAME": "SONAME (UDF or plugin)",
	"SHUTDOWN": "SHUTDOWN", "FLUSH": "FLUSH", "PURGE": "PURGE", "BINLOG": "BINLOG",
	"SHOW": "SHOW", "DEFINER": "DEFINER clause", "GLOBAL": "GLOBAL variable",
	"PERSIST": "PERSIST variable", "PERSIST_ONLY": "PERSIST variable", "SQL_LOG_BIN": "sql_log_bin",
	"DIRECTORY": "DATA/INDEX DIRECTORY", "CONNECTION": "CONNECTION (remote table or KILL)",
}

// Object kinds refused after CREATE, ALTER, DROP, RENAME (and OR REPLACE).
var refusedObjects = map[string]bool{"USER": true, "ROLE": true, "SERVER": true, "DATABASE": true,
	"SCHEMA": true, "TABLESPACE": true, "LOGFILE": true}

// engines a table may use: the ones that keep their data in the server's own files.
// CONNECT, FEDERATED(X), SPIDER, S3, OQGRAPH, SPHINX… reach files or other servers.
var engines = map[string]bool{"INNODB": true, "MYISAM": true, "ARIA": true, "MEMORY": true, "HEAP": true,
	"ARCHIVE": true, "BLACKHOLE": true, "CSV": true, "ROCKSDB": true, "TOKUDB": true,
	"MRG_MYISAM": true, "MERGE": true, "SEQUENCE": true}

// Words after which a name is a table (or other object) name: such a name must not
// be qualified, whatever aliases the statement defines.
var tableWords = map[string]bool{"FROM": true, "JOIN": true, "STRAIGHT_JOIN": true, "UPDATE": true,
	"INTO": true, "TABLE": true, "TABLES": true, "REFERENCES": true, "CALL": true, "TO": true,
	"FOR": true, "TRIGGER": true, "VIEW": true, "PROCEDURE": true, "FUNCTION": true, "EVENT": true,
	"SEQUENCE": true, "EXISTS": true, "TRUNCATE": true, "FOLLOWS": true, "PRECEDES": true,
	"DESCRIBE": true}

// listWords start a comma-separated list of tables; listEnd words end it.
var (
	listWords = map[string]bool{"FROM": true, "JOIN": true, "STRAIGHT_JOIN": true, "UPDATE": true,
		"TABLES": true, "TABLE": true, "INTO": true}
	listEnd = map[string]bool{"WHERE": true, "SET": true, "GROUP": true, "ORDER": true, "HAVING": true,
		"LIMIT": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "WINDOW": true, "SELECT": true,
		"VALUES": true, "VALUE": true, "RETURNING": true, "LOCK": true, "DO": true, "THEN": true,
		"ELSE": true, "END": true, "BEGIN": true}
	systemSchemas = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}
)

// scanBody checks a statement's tokens wherever they stand, also inside view,
// routine, trigger and event bodies:
//   - refused words and constructs (refusedWords, CREATE/DROP … USER/DATABASE…,
//     SET PASSWORD/ROLE, replication, @@global, engines outside engines);
//   - qualified names: a.b.c is refused (database.table.column); a.b is refused
//     where a table name stands (after FROM, JOIN, INTO, UPDATE, …, in a FROM list,
//     in NEXTVAL(…)), when followed by '(' (database.function), when a is a system
//     schema, and when a is not a name the statement uses unqualified (a table or an
//     alias), NEW or OLD. So no statement can name another database.
//
// semicolons: bodies of routines, triggers and events hold several statements.
func scanBody(v *stmtView, semicolons bool) string {
	t := v.toks
	standalone := map[string]bool{}
	for i := range t {
		if v.simpleName(i) {
			standalone[strings.ToLower(v.name(i))] = true
		}
	}
	list := []bool{false} // per parenthesis depth: in a list of tables
	listComma := false    // the previous token was a comma of such a list
	for i := 0; i < len(t); i++ {
		afterComma := listComma
		listComma = false
		switch t[i].kind {
		case tPunct:
			switch v.s[t[i].pos] {
			case '(':
				list = append(list, false)
			case ')':
				if len(list) > 1 {
					list = list[:len(list)-1]
				}
			case ';':
				if !semicolons {
					return "more than one statement"
				}
				list[len(list)-1] = false
			case ',':
				listComma = list[len(list)-1]
			}
			continue
		case tVar:
			name := strings.ToLower(strings.ReplaceAll(string(v.text(i)), "`", ""))
			if strings.HasPrefix(name, "@@") {
				for _, p := range []string{"@@global.", "@@persist.", "@@persist_only."} {
					if strings.HasPrefix(name, p) {
						return "GLOBAL variable"
					}
				}
				if strings.Contains(name, "sql_log_bin") {
					return "sql_log_bin"
				}
			}
			continue
		}
		if r := wordRule(v, i); r != "" {
			return r
		}
		if t[i].kind == tWord {
			if w := v.upper(i); listWords[w] {
				list[len(list)-1] = true
			} else if listEnd[w] {
				list[len(list)-1] = false
			}
		}
		// qualified names
		if !v.isName(i) || v.punct(i-1, '.') || !v.punct(i+1, '.') {
			continue
		}
		j, parts := i, 1
		for v.punct(j+1, '.') && (v.isName(j+2) || v.punct(j+2, '*')) {
			j += 2
			parts++
		}
		q := strings.ToLower(v.name(i))
		tablePos := afterComma || tableWords[v.upper(i-1)] ||
			v.punct(i-1, '(') && (v.word(i-2, "NEXTVAL") || v.word(i-2, "LASTVAL") || v.word(i-2, "SETVAL"))
		switch {
		case parts >= 3:
			return "name qualified with a database"
		case v.punct(j+1, '('):
			return "function qualified with a database"
		case systemSchemas[q]:
			return "name qualified with a system database"
		case tablePos:
			return "name qualified with a database"
		case q == "new" || q == "old":
		case !standalone[q]:
			return "name qualified with a database"
		}
		i = j
	}
	return ""
}

// wordRule applies the keyword rules to the token at i.
func wordRule(v *stmtView, i int) string {
	if v.toks[i].kind != tWord {
		return ""
	}
	w := v.upper(i)
	if r, ok := refusedWords[w]; ok {
		return r
	}
	prev, next := v.upper(i-1), v.upper(i+1)
	switch w {
	case "USE":
		if next != "INDEX" && next != "KEY" {
			return "USE of another database"
		}
	case "HANDLER":
		if prev != "CONTINUE" && prev != "EXIT" && prev != "UNDO" {
			return "HANDLER"
		}
	case "RESTART":
		if i+1 == len(v.toks) || v.punct(i+1, ';') {
			return "RESTART"
		}
	case "SET":
		if next == "PASSWORD" || next == "ROLE" || next == "DEFAULT" && v.word(i+2, "ROLE") {
			return "SET " + next
		}
	case "CHANGE":
		if next == "MASTER" || next == "REPLICATION" {
			return "CHANGE MASTER"
		}
	case "START", "STOP":
		if next == "SLAVE" || next == "REPLICA" || next == "ALL" || next == "GROUP_REPLICATION" {
			return w + " " + next
		}
	case "RESET":
		if next == "MASTER" || next == "SLAVE" || next == "REPLICA" || next == "QUERY" || next == "PERSIST" || next == "BINARY" {
			return "RESET " + next
		}
	case "BACKUP":
		if next == "STAGE" || next == "LOCK" {
			return "BACKUP " + next
		}
	case "ENGINE":
		e := i + 1
		if v.punct(e, '=') {
			e++
		}
		if v.isName(e) && !engines[strings.ToUpper(v.name(e))] {
			return "ENGINE " + stmtHead([]byte(v.name(e)))
		}
	}
	if refusedObjects[w] && (prev == "CREATE" || prev == "ALTER" || prev == "DROP" || prev == "RENAME" || prev == "REPLACE") {
		return prev + " " + w
	}
	return ""
}

// insertShape checks a data statement without keeping its tokens (data streams are
// most of a dump): INSERT INTO <the stream's table> (<names>) VALUES (<literal>,…),…
// where a literal is a number, a string (also X'…' and _charset'…'), NULL, with an
// optional sign. No expressions, so no function can run.
func (c *checker) insertShape(stmt []byte) string {
	l := &lexer{s: stmt, backslash: true}
	const bad = "data statement other than INSERT INTO <table> (<columns>) VALUES (<literals>)"
	tok := func() (token, bool) { return l.next() }
	is := func(t token, w string) bool { return t.kind == tWord && bytes.EqualFold(stmt[t.pos:t.end], []byte(w)) }
	p := func(t token, b byte) bool { return t.kind == tPunct && stmt[t.pos] == b }
	t1, ok1 := tok()
	t2, ok2 := tok()
	t3, ok3 := tok()
	if !ok1 || !ok2 || !ok3 || !is(t1, "INSERT") || !is(t2, "INTO") || (t3.kind != tWord && t3.kind != tIdent) {
		if l.err != "" {
			return l.err
		}
		return bad
	}
	if unquote(stmt[t3.pos:t3.end], false) != c.table {
		return "INSERT into another table than the stream's"
	}
	t, ok := tok()
	if ok && p(t, '.') {
		return "name qualified with a database"
	}
	if !ok || !p(t, '(') {
		return bad
	}
	for {
		n, ok := tok()
		if !ok || n.kind != tWord && n.kind != tIdent {
			return bad
		}
		t, ok = tok()
		if ok && p(t, ')') {
			break
		}
		if !ok || !p(t, ',') {
			return bad
		}
	}
	if t, ok = tok(); !ok || !is(t, "VALUES") {
		return bad
	}
	for {
		if t, ok = tok(); !ok || !p(t, '(') {
			break
		}
		for {
			t, ok = tok()
			for ok && (p(t, '-') || p(t, '+')) {
				t, ok = tok()
			}
			if ok && t.kind == tWord && stmt[t.pos] == '_' {
				t, ok = tok() // character set introducer
				if !ok || t.kind != tString {
					return bad
				}
			}
			if !ok || !(t.kind == tNumber || t.kind == tString || is(t, "NULL")) {
				if l.err != "" {
					return l.err
				}
				return bad
			}
			if t, ok = tok(); ok && p(t, ')') {
				break
			}
			if !ok || !p(t, ',') {
				return bad
			}
		}
		t, ok = tok()
		if !ok {
			if l.err != "" {
				return l.err
			}
			return ""
		}
		if !p(t, ',') {
			return bad
		}
	}
	if l.err != "" {
		return l.err
	}
	return bad
}
