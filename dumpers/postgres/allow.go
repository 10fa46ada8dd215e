package postgres

import (
	"slices"
	"strings"
	"unicode/utf8"

	"synco/dumpers"
)

// The allow-list: Import runs only statements of the shapes our dumper
// writes (schema.go, post.go, copy.go, catalog*.go), checked token by token
// before they run. Everything else is refused with a *dumpers.RefusedError.
// The package doc's "Security" section lists what is allowed and refused.

// streamClass is what a stream may hold.
type streamClass uint8

const (
	classDDL  streamClass = iota // schema.sql, post.sql
	classData                    // data/*.sql: COPY … FROM stdin only
)

// verdict is what to do with an allowed statement.
type verdict struct {
	sql       string // the statement to run (SECURITY DEFINER rewritten)
	copy      bool   // COPY … FROM stdin: its rows follow in the stream
	extension bool   // CREATE EXTENSION: run by the importing user, not the loading role
}

// sessionSettings are the SET statements our dumps start with, with the only
// value each may have: the checker's reading of strings relies on them.
var sessionSettings = map[string]string{
	"statement_timeout": "0", "lock_timeout": "0", "idle_in_transaction_session_timeout": "0",
	"client_encoding": "UTF8", "standard_conforming_strings": "on", "check_function_bodies": "false",
	"xmloption": "content", "client_min_messages": "warning", "row_security": "off",
}

// TrustedExtensions are the extensions a dump may create: contrib modules
// that act only inside their database, and a few widely used ones (PostGIS,
// pgvector). They are created by the importing user (most need superuser),
// from the local server's own files; the dump chooses only which.
var TrustedExtensions = []string{
	"btree_gin", "btree_gist", "citext", "cube", "dict_int", "earthdistance", "fuzzystrmatch", "hstore",
	"intarray", "isn", "lo", "ltree", "pg_trgm", "pgcrypto", "seg", "tablefunc", "tcn", "tsm_system_rows",
	"tsm_system_time", "unaccent", "uuid-ossp", "bloom", "postgis", "postgis_topology", "postgis_raster", "vector",
}

// deniedFuncs are functions (and roles) that reach outside the database:
// files, programs, other sessions, the server's configuration, replication,
// other databases; or that run SQL given as a string. A statement naming one
// anywhere (expressions, defaults, view queries, function bodies) is refused.
var deniedFuncs = map[string]bool{
	"lo_import": true, "lo_export": true, "pg_stat_file": true, "pg_execute_server_program": true,
	"pg_terminate_backend": true, "pg_cancel_backend": true, "pg_signal_backend": true, "pg_reload_conf": true,
	"pg_rotate_logfile": true, "pg_promote": true, "pg_switch_wal": true, "pg_create_restore_point": true,
	"pg_backup_start": true, "pg_backup_stop": true, "pg_start_backup": true, "pg_stop_backup": true,
	"pg_log_backend_memory_contexts": true, "pg_import_system_collations": true, "set_config": true,
	"ts_stat": true, "ts_rewrite": true, "pg_write_server_files": true, "pg_logdir_ls": true,
}

var deniedPrefixes = []string{
	"pg_read_", "pg_ls_", "pg_file_", "dblink", "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
	"pg_drop_replication_slot", "pg_copy_", "pg_replication_origin_", "pg_logical_", "pg_wal_replay_",
	"query_to_xml", "cursor_to_xml", "table_to_xml", "schema_to_xml", "database_to_xml",
}

func deniedName(n string) bool {
	if deniedFuncs[n] {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// funcSettings are the parameters a function's SET clause may change; names
// with a dot (plpgsql.*, application settings) are allowed too.
var funcSettings = map[string]bool{
	"search_path": true, "work_mem": true, "maintenance_work_mem": true, "temp_buffers": true,
	"statement_timeout": true, "lock_timeout": true, "idle_in_transaction_session_timeout": true,
	"timezone": true, "datestyle": true, "intervalstyle": true, "extra_float_digits": true,
	"client_min_messages": true, "check_function_bodies": true, "default_text_search_config": true,
	"jit": true, "plan_cache_mode": true, "random_page_cost": true, "seq_page_cost": true,
	"cpu_tuple_cost": true, "cpu_index_tuple_cost": true, "cpu_operator_cost": true,
	"effective_cache_size": true, "from_collapse_limit": true, "join_collapse_limit": true,
	"geqo": true, "constraint_exclusion": true, "row_security": true, "application_name": true,
	"default_transaction_isolation": true, "synchronous_commit": true, "lc_monetary": true,
	"lc_numeric": true, "lc_time": true, "bytea_output": true, "xmloption": true, "xmlbinary": true,
	"array_nulls": true, "default_statistics_target": true, "parallel_setup_cost": true,
	"parallel_tuple_cost": true, "max_parallel_workers_per_gather": true, "standard_conforming_strings": true,
}

// refusal is the reason a statement is refused.
type refusal string

// checkStmt checks one statement of a stream of class cl. It returns the
// statement to run, or the reason it is refused.
func checkStmt(cl streamClass, stmt string) (verdict, refusal) {
	if strings.HasPrefix(stmt, `\`) {
		return verdict{}, "psql meta-command"
	}
	toks, err := lexSQL(stmt)
	if err != nil {
		return verdict{}, "unreadable statement (backslash, control character or unterminated quote)"
	}
	if len(toks) > 0 && toks[len(toks)-1].isOp(";") {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return verdict{}, "empty statement"
	}
	p := &parser{t: toks}
	v := verdict{sql: stmt}
	var r refusal
	if cl == classData {
		if !p.is("copy") {
			return verdict{}, "statement other than COPY … FROM stdin in a data stream"
		}
		v.copy = true
		r = p.copyFromStdin()
	} else {
		r = p.ddl(&v)
	}
	if r != "" {
		return verdict{}, r
	}
	if r := p.global(); r != "" {
		return verdict{}, r
	}
	// Rewrites, from the end so offsets stay valid.
	for i := len(p.rewrites) - 1; i >= 0; i-- {
		rw := p.rewrites[i]
		v.sql = v.sql[:rw.pos] + rw.text + v.sql[rw.end:]
	}
	return v, ""
}

type rewrite struct {
	pos, end int
	text     string
}

// parser walks the tokens of one statement.
type parser struct {
	t        []token
	i        int
	atomic   [2]int // token range of a BEGIN ATOMIC body, where ';' may occur
	rewrites []rewrite
}

func (p *parser) peek(k int) token {
	if p.i+k < len(p.t) {
		return p.t[p.i+k]
	}
	return token{kind: tkOp, val: "<end>"}
}

// is consumes the key words ws if they come next.
func (p *parser) is(ws ...string) bool {
	for k, w := range ws {
		if !p.peek(k).is(w) {
			return false
		}
	}
	p.i += len(ws)
	return true
}

func (p *parser) op(s string) bool {
	if p.peek(0).isOp(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) end() bool { return p.i >= len(p.t) }

// qname consumes a possibly qualified name and returns its parts (lower
// case for unquoted ones), nil if none comes next.
func (p *parser) qname() []string {
	var parts []string
	for {
		t := p.peek(0)
		if t.kind != tkIdent && t.kind != tkQIdent {
			return nil
		}
		parts = append(parts, t.val)
		p.i++
		if !p.peek(0).isOp(".") {
			return parts
		}
		p.i++
	}
}

// systemSchema reports whether a schema name is one of the server's own.
func systemSchema(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "pg_") || s == "information_schema"
}

// target consumes the name of an object a statement creates or changes;
// it must be schema-qualified (a relation of its own schema, n parts at
// least) and not in a system schema.
func (p *parser) target(minParts int) refusal {
	parts := p.qname()
	if len(parts) < minParts || len(parts) > 3 {
		return "object name not schema-qualified"
	}
	if len(parts) >= 2 && systemSchema(parts[0]) {
		return "object in a system schema"
	}
	return ""
}

// skipTo advances to the next key word w outside parentheses; false at the end.
func (p *parser) skipTo(w string) bool {
	depth := 0
	for ; p.i < len(p.t); p.i++ {
		t := p.t[p.i]
		switch {
		case t.isOp("(") || t.isOp("["):
			depth++
		case t.isOp(")") || t.isOp("]"):
			depth--
		case depth == 0 && t.is(w):
			return true
		}
	}
	return false
}

func (p *parser) copyFromStdin() refusal {
	if r := p.target(2); r != "" {
		return r
	}
	if p.op("(") {
		for {
			if t := p.peek(0); t.kind != tkIdent && t.kind != tkQIdent {
				return "COPY other than COPY table (columns) FROM stdin"
			}
			p.i++
			if p.op(")") {
				break
			}
			if !p.op(",") {
				return "COPY other than COPY table (columns) FROM stdin"
			}
		}
	}
	if !p.is("from", "stdin") || !p.end() {
		return "COPY other than COPY table (columns) FROM stdin"
	}
	return ""
}

func (p *parser) ddl(v *verdict) refusal {
	switch {
	case p.is("set"):
		t := p.peek(0)
		want, ok := sessionSettings[t.val]
		if t.kind != tkIdent || !ok {
			return "SET of a setting our dumps do not change"
		}
		p.i++
		if !p.op("=") && !p.is("to") {
			return "SET of a setting our dumps do not change"
		}
		if t := p.peek(0); t.val != want || t.kind == tkQIdent || t.kind == tkOp || p.i+1 != len(p.t) {
			return "SET to a value our dumps do not set"
		}
		p.i++
		return ""
	case p.is("select"):
		return p.selectShape()
	case p.is("create"):
		return p.create(v)
	case p.is("alter", "table"):
		p.is("only")
		if r := p.target(2); r != "" {
			return r
		}
		switch {
		case p.is("add", "constraint"):
			return ""
		case p.is("alter", "column"):
			if p.qname() == nil || !p.is("set", "default") || p.end() {
				return "ALTER TABLE other than the shapes our dumps use"
			}
			return ""
		case p.is("attach", "partition"):
			return p.target(2)
		case p.is("disable", "trigger"), p.is("enable", "replica", "trigger"), p.is("enable", "always", "trigger"):
			if p.qname() == nil || !p.end() {
				return "ALTER TABLE other than the shapes our dumps use"
			}
			return ""
		}
		if p.skipTo("owner") {
			return "ALTER … OWNER TO"
		}
		return "ALTER TABLE other than the shapes our dumps use"
	case p.is("alter", "sequence"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.is("owned", "by") || len(p.qname()) != 3 || !p.end() {
			return "ALTER SEQUENCE other than OWNED BY"
		}
		return ""
	case p.is("alter", "index"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.is("attach", "partition") {
			return "ALTER INDEX other than ATTACH PARTITION"
		}
		if r := p.target(2); r != "" {
			return r
		}
		if !p.end() {
			return "ALTER INDEX other than ATTACH PARTITION"
		}
		return ""
	case p.is("comment", "on"):
		return p.comment()
	case p.is("refresh", "materialized", "view"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.end() {
			return "REFRESH other than REFRESH MATERIALIZED VIEW name"
		}
		return ""
	case p.is("copy"):
		return "COPY outside a data stream"
	}
	return refused(p.t)
}

// refused names what a statement of no allowed shape does, for the error.
func refused(t []token) refusal {
	var ws []string
	for i := 0; i < len(t) && i < 4; i++ {
		ws = append(ws, t[i].val)
	}
	s := " " + strings.Join(ws, " ") + " "
	for _, k := range []struct{ has, what string }{
		{" grant ", "GRANT"}, {" revoke ", "REVOKE"}, {" role ", "role"}, {" user ", "role"}, {" group ", "role"},
		{" database ", "other databases"}, {" system ", "ALTER SYSTEM"}, {" session authorization ", "SET SESSION AUTHORIZATION"},
		{" do ", "DO block"}, {" load ", "LOAD"}, {" owner ", "ALTER … OWNER TO"}, {" tablespace ", "tablespace"},
	} {
		if strings.Contains(s, k.has) {
			return refusal(k.what)
		}
	}
	return "statement of a shape our dumps do not write"
}

func (p *parser) selectShape() refusal {
	// SELECT pg_catalog.set_config('search_path', '', false)
	// SELECT pg_catalog.setval('name', n, true|false)
	if !p.is("pg_catalog") || !p.op(".") {
		return "SELECT other than setval"
	}
	fn := p.peek(0).val
	p.i++
	if !p.op("(") {
		return "SELECT other than setval"
	}
	switch fn {
	case "set_config":
		if a := p.peek(0); a.kind != tkString || a.val != "search_path" || !p.peek(1).isOp(",") ||
			p.peek(2).kind != tkString || p.peek(2).val != "" || !p.peek(3).isOp(",") || !p.peek(4).is("false") ||
			!p.peek(5).isOp(")") || p.i+6 != len(p.t) {
			return "set_config other than search_path = ''"
		}
		p.t = nil // checked in full; set_config is denied elsewhere
		return ""
	case "setval":
		if p.peek(0).kind != tkString || !p.peek(1).isOp(",") {
			return "SELECT other than setval"
		}
		p.i += 2
		p.op("-")
		if p.peek(0).kind != tkNum || !p.peek(1).isOp(",") || !(p.peek(2).is("true") || p.peek(2).is("false")) ||
			!p.peek(3).isOp(")") || p.i+4 != len(p.t) {
			return "SELECT other than setval"
		}
		return ""
	}
	return "SELECT other than setval"
}

func (p *parser) create(v *verdict) refusal {
	switch {
	case p.is("schema"):
		n := p.qname()
		if len(n) != 1 || !p.end() {
			return "CREATE SCHEMA other than CREATE SCHEMA name"
		}
		if systemSchema(n[0]) {
			return "object in a system schema"
		}
		return ""
	case p.is("extension"):
		p.is("if", "not", "exists")
		n := p.qname()
		if len(n) != 1 {
			return "CREATE EXTENSION other than the shape our dumps use"
		}
		trusted := false
		for _, e := range TrustedExtensions {
			trusted = trusted || e == n[0]
		}
		if !trusted {
			return refusal("extension " + n[0] + " is not in the trusted list")
		}
		p.is("with")
		if !p.is("schema") || p.target(1) != "" || !p.end() {
			return "CREATE EXTENSION other than the shape our dumps use"
		}
		if s := p.t[len(p.t)-1].val; systemSchema(s) {
			return "object in a system schema"
		}
		v.extension = true
		return ""
	case p.is("type"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.is("as") {
			return "CREATE TYPE other than enum, composite or range"
		}
		return ""
	case p.is("domain"), p.is("sequence"), p.is("aggregate"):
		return p.target(2)
	case p.is("table"), p.is("unlogged", "table"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.peek(0).isOp("(") {
			return "CREATE TABLE other than CREATE TABLE name (columns)"
		}
		return ""
	case p.is("function"), p.is("procedure"), p.is("or", "replace", "function"), p.is("or", "replace", "procedure"):
		return p.function(v)
	case p.is("view"), p.is("materialized", "view"):
		if r := p.target(2); r != "" {
			return r
		}
		if p.is("with") && !p.skipTo("as") {
			return "CREATE VIEW without AS"
		}
		if !p.is("as") {
			return "CREATE VIEW without AS"
		}
		return ""
	case p.is("index"), p.is("unique", "index"):
		if p.qname() == nil || !p.is("on") {
			return "CREATE INDEX other than the shape our dumps use"
		}
		p.is("only")
		return p.target(2)
	case p.is("trigger"), p.is("constraint", "trigger"):
		if p.qname() == nil || !p.skipTo("on") {
			return "CREATE TRIGGER other than the shape our dumps use"
		}
		p.i++
		return p.target(2)
	}
	return refused(p.t)
}

func (p *parser) comment() refusal {
	switch {
	case p.is("column"):
		if n := p.qname(); len(n) != 3 || systemSchema(n[0]) {
			return "COMMENT ON a column not schema-qualified or in a system schema"
		}
	case p.is("table"), p.is("view"), p.is("materialized", "view"), p.is("sequence"), p.is("index"),
		p.is("type"), p.is("domain"):
		if r := p.target(2); r != "" {
			return r
		}
	case p.is("aggregate"), p.is("procedure"), p.is("function"):
		if r := p.target(2); r != "" {
			return r
		}
		if !p.skipTo("is") {
			return "COMMENT without IS"
		}
	case p.is("schema"):
		n := p.qname()
		if len(n) != 1 || systemSchema(n[0]) {
			return "COMMENT ON a system schema"
		}
	case p.is("constraint"), p.is("trigger"):
		if p.qname() == nil || !p.is("on") {
			return "COMMENT ON other than the shapes our dumps use"
		}
		p.is("domain")
		if r := p.target(2); r != "" {
			return r
		}
	default:
		return "COMMENT ON an object outside the database's schemas"
	}
	if !p.is("is") || (p.peek(0).kind != tkString && !p.peek(0).is("null")) || p.i+1 != len(p.t) {
		return "COMMENT ON other than the shapes our dumps use"
	}
	return ""
}

// function checks CREATE FUNCTION/PROCEDURE: a body in SQL or PL/pgSQL only,
// no C library, no SUPPORT or TRANSFORM; SECURITY DEFINER becomes SECURITY
// INVOKER; SET only of harmless settings.
func (p *parser) function(v *verdict) refusal {
	if r := p.target(2); r != "" {
		return r
	}
	if !p.peek(0).isOp("(") {
		return "CREATE FUNCTION without an argument list"
	}
	depth := 0
	lang := ""
	var bodies []string
	for ; p.i < len(p.t); p.i++ {
		t := p.t[p.i]
		switch {
		case t.isOp("(") || t.isOp("["):
			depth++
			continue
		case t.isOp(")") || t.isOp("]"):
			depth--
			continue
		}
		if depth != 0 || t.kind != tkIdent {
			continue
		}
		switch t.val {
		case "language":
			l := p.peek(1)
			if l.kind != tkIdent && l.kind != tkString && l.kind != tkQIdent {
				return "function language not readable"
			}
			lang = l.val
			p.i++
		case "security":
			if p.peek(1).is("definer") {
				d := p.peek(1)
				p.rewrites = append(p.rewrites, rewrite{d.pos, d.end, "INVOKER"})
			}
		case "as":
			b := p.peek(1)
			if b.kind != tkString {
				return "function body not a string"
			}
			if p.peek(2).isOp(",") {
				return "function from a library file (AS 'file', 'symbol')"
			}
			bodies = append(bodies, b.val)
			p.i++
		case "set":
			n := p.peek(1)
			name := n.name()
			if p.peek(2).isOp(".") {
				name += "." + p.peek(3).name()
			}
			if !funcSettings[name] && !(strings.Contains(name, ".") && !strings.HasSuffix(name, ".")) {
				return refusal("function sets " + name)
			}
		case "support", "transform":
			return refusal("function with " + strings.ToUpper(t.val))
		case "begin":
			if p.peek(1).is("atomic") {
				if r := p.atomicBody(); r != "" {
					return r
				}
			}
		case "return":
			p.i = len(p.t) // an SQL-standard body: checked as the statement's tokens
		}
	}
	if lang != "sql" && lang != "plpgsql" {
		if lang == "" {
			lang = "default"
		}
		return refusal("function in language " + lang + " (only sql and plpgsql)")
	}
	for _, b := range bodies {
		if r := checkBody(b); r != "" {
			return r
		}
	}
	return ""
}

// atomicBody records the span of a BEGIN ATOMIC … END body starting at p.i,
// in which ';' separates statements, and moves p.i to its END.
func (p *parser) atomicBody() refusal {
	start := p.i + 2
	depth := 1
	for j := start; j < len(p.t); j++ {
		switch {
		case p.t[j].is("case"):
			depth++
		case p.t[j].is("end"):
			depth--
			if depth == 0 {
				p.atomic = [2]int{start, j}
				p.i = j
				return ""
			}
		}
	}
	return "BEGIN ATOMIC without END"
}

// global applies to every token of an allowed statement: a single statement
// (';' only inside a BEGIN ATOMIC body), no denied function, no tablespace, no
// name of synco's install record (RecordSchema; also not as a word of a string,
// which a function body may EXECUTE).
func (p *parser) global() refusal {
	for i, t := range p.t {
		if t.isOp(";") && !(i > p.atomic[0] && i < p.atomic[1]) {
			return "more than one statement"
		}
		if n := t.name(); n != "" && deniedName(n) {
			return refusal("calls " + n)
		}
		if namesRecord(t.name()) || t.kind == tkString && slices.ContainsFunc(strWords(t.val), namesRecord) {
			return "names synco's install record " + RecordSchema
		}
		if t.is("tablespace") {
			return "tablespace"
		}
	}
	return ""
}

// bodyWords are word sequences that a function body must not hold: statements
// that act on roles, databases, the server or the session's identity. They
// are searched among the body's key words and inside its string literals
// (dynamic SQL for EXECUTE).
var bodyWords = [][]string{
	{"alter", "system"}, {"create", "role"}, {"create", "user"}, {"create", "group"}, {"alter", "role"},
	{"alter", "user"}, {"alter", "group"}, {"drop", "role"}, {"drop", "user"}, {"drop", "group"},
	{"create", "database"}, {"alter", "database"}, {"drop", "database"}, {"set", "role"}, {"reset", "role"},
	{"session", "authorization"}, {"set", "local", "role"}, {"copy", "*", "program"}, {"grant", "*", "to"},
	{"revoke", "*", "from"}, {"owner", "to"},
}

// checkBody checks the body of an SQL or PL/pgSQL function. Dynamic SQL
// built at run time (EXECUTE of a concatenation) cannot be checked here: the
// loading role's lack of rights is the guard for it (package doc).
func checkBody(body string) refusal {
	toks, err := lexSQL(body)
	if err != nil {
		return "function body not readable"
	}
	var words []string
	for i, t := range toks {
		switch t.kind {
		case tkIdent, tkQIdent:
			n := t.name()
			if deniedName(n) {
				return refusal("function body calls " + n)
			}
			if t.kind == tkIdent {
				words = append(words, n)
			}
			if (n == "do" || n == "load") && i+1 < len(toks) && toks[i+1].kind == tkString {
				return refusal("function body runs " + strings.ToUpper(n))
			}
			if n == "copy" {
				if r := copyInBody(toks[i+1:]); r != "" {
					return r
				}
			}
		case tkString:
			sw := strWords(t.val)
			for _, w := range sw {
				if deniedName(w) {
					return refusal("function body calls " + w)
				}
			}
			if r := seqWords(sw); r != "" {
				return r
			}
		case tkOp:
			if t.val == ";" {
				words = append(words, ";")
			}
		}
	}
	return seqWords(words)
}

// copyInBody refuses a COPY in a function body that reads or writes a file
// or a program (COPY … TO/FROM 'file' or PROGRAM).
func copyInBody(rest []token) refusal {
	for i, t := range rest {
		if t.isOp(";") {
			return ""
		}
		if (t.is("to") || t.is("from")) && i+1 < len(rest) && (rest[i+1].kind == tkString || rest[i+1].is("program")) {
			return "function body copies to or from a file or program"
		}
	}
	return ""
}

// strWords returns the words of a string literal's content, lower case.
func strWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 0x80) && r != ';'
	})
}

// seqWords finds a bodyWords sequence in ws; "*" matches up to 8 words
// within one statement.
func seqWords(ws []string) refusal {
	for _, seq := range bodyWords {
		for i := range ws {
			if matchSeq(ws[i:], seq) {
				return refusal("function body holds " + strings.ToUpper(strings.Join(seq, " ")))
			}
		}
	}
	return ""
}

func matchSeq(ws, seq []string) bool {
	if len(seq) == 0 {
		return true
	}
	if len(ws) == 0 {
		return false
	}
	if seq[0] == "*" {
		for k := 0; k <= 8 && k < len(ws); k++ {
			if ws[k] == ";" {
				return false
			}
			if matchSeq(ws[k:], seq[1:]) {
				return true
			}
		}
		return false
	}
	return ws[0] == seq[0] && matchSeq(ws[1:], seq[1:])
}

// refusedError builds the error for statement n of stream.
func refusedError(stream string, n int, stmt string, r refusal) error {
	s := stmt
	if len(s) > 60 {
		s = s[:60]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return &dumpers.RefusedError{Stream: stream, N: n, Stmt: s, Reason: string(r)}
}
