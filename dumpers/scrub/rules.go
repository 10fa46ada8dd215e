package scrub

import (
	"bytes"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Rules are the scrub rules of one dump and what they did. A Rules is safe for
// concurrent use; each dumper goroutine gets its own Table.
type Rules struct {
	keys      *macKeys
	framework string
	specs     []Spec

	mu       sync.Mutex
	scrubbed map[string]bool
	warnings map[string]Warning
}

// New returns the rules specs (the last matching spec of a column wins) keyed by
// key, a secret of the source's store: the fakes depend on it, so they are stable
// for the store and unrelated for anyone without it. framework picks the password
// rule's hash (PasswordHash).
func New(key [32]byte, framework string, specs []Spec) *Rules {
	return &Rules{keys: deriveMacKeys(&key), framework: framework, specs: slices.Clone(specs),
		scrubbed: map[string]bool{}, warnings: map[string]Warning{}}
}

// Specs returns the rules' specs in order.
func (r *Rules) Specs() []Spec { return slices.Clone(r.specs) }

// Scrubbed lists what the dumps so far scrubbed, sorted: TABLE.COLUMN=RULE (or
// TABLE.COLUMN[KEY=GLOB]=RULE) for every dumped column a rule other than keep
// applies to.
func (r *Rules) Scrubbed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.scrubbed))
	for s := range r.scrubbed {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Warning is a dumped column that looks personal but has no rule.
type Warning struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Why    string `json:"why"` // "its name looks like e-mail", "values look like e-mail addresses", …
}

// Warnings lists the columns the dumps so far left as they are although they look
// personal, sorted by table and column.
func (r *Rules) Warnings() []Warning {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Warning, 0, len(r.warnings))
	for _, w := range r.warnings {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Warning) int {
		return strings.Compare(a.Table+"\x00"+a.Column, b.Table+"\x00"+b.Column)
	})
	return out
}

func (r *Rules) warn(w Warning) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := w.Table + "\x00" + w.Column
	if old, ok := r.warnings[k]; ok && !strings.Contains(old.Why, w.Why) {
		w.Why = old.Why + "; " + w.Why
	}
	r.warnings[k] = w
}

// Column describes one dumped column to Table.
type Column struct {
	Name    string
	Numeric bool // holds numbers: value rules write digits instead of text
	MaxLen  int  // characters a value may hold; 0: unknown or unlimited
}

// sampleRows is how many rows of each table are looked at for e-mail addresses in
// columns no rule covers.
const sampleRows = 200

// Table is the scrubbing of one table's rows, for one goroutine.
type Table struct {
	r     *Rules
	name  string
	cols  []Column
	plans [][]cand // per column: the specs that may apply, in spec order
	picks []picker // per column: which of plans[i] applies to a row
	pick  []int    // per column, for the current row: index into plans[i], -1 none
	// active are the columns with candidates, in order: the only ones Row goes
	// through once the sample is done.
	active []int
	clean  []bool // per column, for the current row: Row wrote a fake that needs no escaping
	f      *faker
	buf    []byte // the fakes of the current row

	sample     int    // rows left to sample
	sampleCols []bool // columns sampled for e-mail-like values
	keyCol     []int  // per column with conditional plans only: its (first) key column, else -1
	need       []bool
}

// Table returns the scrubbing of a table's rows given its columns in row order, or
// nil when nothing is to be done (no rule applies and no column is text). names
// are the names the table is matched under (the first is the one reported):
// "schema.table" and "table" for PostgreSQL.
func (r *Rules) Table(names []string, cols []Column) *Table {
	if r == nil || len(names) == 0 {
		return nil
	}
	t := &Table{r: r, name: names[0], cols: cols, plans: make([][]cand, len(cols)), picks: make([]picker, len(cols)), pick: make([]int, len(cols)),
		clean: make([]bool, len(cols)), sample: sampleRows, sampleCols: make([]bool, len(cols)), keyCol: make([]int, len(cols)), need: make([]bool, len(cols))}
	lower := make([]string, len(cols))
	for i, c := range cols {
		lower[i] = strings.ToLower(c.Name)
	}
	tableMatch := func(g string) bool {
		for _, n := range names {
			if ok, _ := path.Match(g, n); ok {
				return true
			}
		}
		return false
	}
	for _, s := range r.specs {
		if !tableMatch(s.Table) {
			continue
		}
		colGlob := strings.ToLower(s.Column)
		key := -1
		if s.KeyColumn != "" {
			key = slices.Index(lower, strings.ToLower(s.KeyColumn))
			if key < 0 {
				continue // the condition cannot hold on this table
			}
		}
		for i, c := range lower {
			if ok, _ := path.Match(colGlob, c); ok {
				fixed := fixedValue(r.framework, s.Rule)
				t.plans[i] = append(t.plans[i], cand{key: key, glob: s.KeyGlob, rule: s.Rule, spec: s,
					literal: !strings.ContainsAny(s.KeyGlob, `*?[\`), fixed: fixed, clean: isClean(fixed)})
			}
		}
	}
	active := false
	for i, c := range cols {
		t.keyCol[i] = -1
		t.pick[i] = -1
		t.plans[i] = effective(t.plans[i])
		plans := t.plans[i]
		t.picks[i] = newPicker(plans)
		if len(plans) > 0 {
			t.active = append(t.active, i)
		}
		covered := false // a rule (even keep) applies to every row
		for _, p := range plans {
			t.need[i] = true
			active = true
			if p.key >= 0 {
				t.need[p.key] = true
				if t.keyCol[i] < 0 {
					t.keyCol[i] = p.key
				}
			} else {
				covered = true
			}
			if p.rule.Kind != Keep {
				target := p.spec
				target.Table, target.Column = t.name, c.Name
				r.mu.Lock()
				r.scrubbed[target.String()] = true
				r.mu.Unlock()
			}
		}
		if covered {
			t.keyCol[i] = -1
			continue
		}
		if why := personalName(c.Name); why != "" && len(plans) == 0 {
			r.warn(Warning{Table: t.name, Column: c.Name, Why: why})
		}
		if !c.Numeric {
			t.sampleCols[i], t.need[i] = true, true
			if t.keyCol[i] >= 0 {
				t.need[t.keyCol[i]] = true
			}
			active = true
		}
	}
	if !active {
		return nil
	}
	t.f = newFaker(r.keys)
	return t
}

// effective drops the candidates a later one always overrides (a later one
// without a condition, or with the same condition).
func effective(plans []cand) []cand {
	var out []cand
	for j, p := range plans {
		over := false
		for _, q := range plans[j+1:] {
			if q.key < 0 || q.key == p.key && q.glob == p.glob {
				over = true
				break
			}
		}
		if !over {
			out = append(out, p)
		}
	}
	return out
}

// picker finds the last of a column's candidates whose condition holds for a row
// without going through them all: the literal conditions are looked up by the
// row's key value, only conditions with wildcards are matched one by one.
type picker struct {
	always int        // the candidate without a condition (the first, if any), -1 none
	lits   []litIndex // literal conditions, by key column
	globs  []int      // candidates with wildcard conditions, in order
}

// litIndex maps the values of one key column to the last candidate whose literal
// condition on that column they meet. The conditions are kept by length and
// compared one by one: a handful of short strings (WordPress's meta keys), faster
// to go through than a map is to hash and probe.
type litIndex struct {
	key   int
	byLen [][]litKey     // conditions of fewer than maxLitLen bytes, by length
	long  map[string]int // the longer ones
}

type litKey struct {
	s string
	j int
}

const maxLitLen = 64

func (l *litIndex) add(s string, j int) {
	if len(s) >= maxLitLen {
		if l.long == nil {
			l.long = map[string]int{}
		}
		l.long[s] = j
		return
	}
	if len(s) >= len(l.byLen) {
		l.byLen = append(l.byLen, make([][]litKey, len(s)+1-len(l.byLen))...)
	}
	for i, e := range l.byLen[len(s)] {
		if e.s == s {
			l.byLen[len(s)][i].j = j
			return
		}
	}
	l.byLen[len(s)] = append(l.byLen[len(s)], litKey{s, j})
}

// find is the candidate whose literal condition k meets.
func (l *litIndex) find(k []byte) (int, bool) {
	if n := len(k); n < len(l.byLen) {
		for _, e := range l.byLen[n] {
			if e.s == string(k) {
				return e.j, true
			}
		}
		return 0, false
	}
	j, ok := l.long[string(k)]
	return j, ok
}

func newPicker(plans []cand) picker {
	p := picker{always: -1}
	for j, c := range plans {
		switch {
		case c.key < 0:
			p.always = j // effective keeps only the last one, at 0
		case c.literal:
			k := slices.IndexFunc(p.lits, func(l litIndex) bool { return l.key == c.key })
			if k < 0 {
				p.lits = append(p.lits, litIndex{key: c.key})
				k = len(p.lits) - 1
			}
			p.lits[k].add(c.glob, j)
		default:
			p.globs = append(p.globs, j)
		}
	}
	return p
}

// pick is the index of the candidate of plans that applies to vals, -1 none.
func (p *picker) pick(plans []cand, vals [][]byte) int {
	if len(p.lits) == 0 && len(p.globs) == 0 {
		return p.always
	}
	best := -1
	for i := range p.lits {
		l := &p.lits[i]
		if k := vals[l.key]; k != nil {
			if j, ok := l.find(k); ok && j > best {
				best = j
			}
		}
	}
	for g := len(p.globs) - 1; g >= 0 && p.globs[g] > best; g-- {
		c := plans[p.globs[g]]
		if k := vals[c.key]; k != nil {
			if ok, _ := path.Match(c.glob, string(k)); ok {
				best = p.globs[g]
				break
			}
		}
	}
	if best < 0 {
		best = p.always
	}
	return best
}

// cand is a spec that may apply to a column.
type cand struct {
	key     int    // column index of the spec's KeyColumn, -1 without a condition
	glob    string // KeyGlob
	literal bool   // glob has no wildcards: compared as a string
	rule    Rule
	spec    Spec
	fixed   []byte // what const and password write, nil for other rules
	clean   bool   // fixed needs no escaping (isClean)
}

// Active reports whether Row may still change or look at anything: false once no
// rule applies and the sample is done, so a caller can stop decoding rows.
func (t *Table) Active() bool { return t.sample > 0 || len(t.active) > 0 }

// Needs reports which columns Row reads or writes; the others may be passed as
// anything (a caller that decodes values can skip them).
func (t *Table) Needs() []bool { return t.need }

// Row scrubs one row in place: vals[i] is column i's value, nil for NULL. A
// replaced value is a slice of the Table's own buffer, valid until the next call
// of Row, not to be modified; the others are left as they are.
func (t *Table) Row(vals [][]byte) {
	t.buf = t.buf[:0]
	// every candidate is picked on the row as it came: a key column may be
	// scrubbed itself
	for _, i := range t.active {
		t.pick[i] = t.picks[i].pick(t.plans[i], vals)
	}
	if t.sample > 0 {
		t.sampleRow(vals)
	}
	for _, i := range t.active {
		t.clean[i] = false
		if j := t.pick[i]; j >= 0 {
			vals[i], t.clean[i] = t.apply(&t.plans[i][j], vals[i], t.cols[i], 0)
		}
	}
}

// Clean reports, per column, whether the value Row last wrote there is a fake
// that needs no escaping: valid UTF-8 without control characters, quotes or
// backslashes (isClean), so that a writer may put it between quotes as it is. A
// value Row left alone, or one it could not vouch for, is not clean.
func (t *Table) Clean() []bool { return t.clean }

// sampleRow warns about the columns no candidate applies to whose value in vals
// looks like an e-mail address.
func (t *Table) sampleRow(vals [][]byte) {
	t.sample--
	for i, ok := range t.sampleCols {
		if !ok || t.pick[i] >= 0 {
			continue
		}
		why := ""
		switch {
		case looksEmail(vals[i]):
			why = "values look like e-mail addresses"
		case !t.cols[i].Numeric && nestedEmail(vals[i], 0):
			why = "values hold e-mail addresses in their JSON or PHP-serialized data"
		default:
			continue
		}
		if k := t.keyCol[i]; k >= 0 {
			why += " where " + t.cols[k].Name + "=" + clip(vals[k], 40)
		}
		t.r.warn(Warning{Table: t.name, Column: t.cols[i].Name, Why: why})
	}
}

// nestedEmail reports whether v is JSON or PHP-serialized data with a string
// that looks like an e-mail address (at most 4 levels of data in strings).
func nestedEmail(v []byte, depth int) bool {
	if depth >= 4 || !mayNest(v) {
		return false
	}
	found := false
	nested(v, func(s []byte) []byte {
		found = found || looksEmail(s) || nestedEmail(s, depth+1)
		return s
	})
	return found
}

// apply is candidate p's rule on one value of column c; clean: the result is a
// fake that needs no escaping (isClean).
func (t *Table) apply(p *cand, v []byte, c Column, depth int) (out []byte, clean bool) {
	switch r := p.rule; {
	case r.Kind == Keep:
		return v, false
	case v == nil && r.Kind != Const, r.Kind == Null:
		return nil, false
	case r.Kind == Empty:
		return []byte{}, true
	case r.Kind == Const, r.Kind == Password:
		return t.put(p.fixed), p.clean
	case len(v) == 0:
		return v, false
	}
	if !c.Numeric && depth < 4 && mayNest(v) {
		if out, ok := nested(v, func(s []byte) []byte {
			if len(s) == 0 {
				return s
			}
			out, _ := t.apply(p, s, Column{}, depth+1)
			return out
		}); ok {
			return out, false
		}
	}
	start := len(t.buf)
	t.buf, clean = t.f.appendFake(t.buf, p.rule.Kind, v, c.Numeric)
	out = t.buf[start:len(t.buf):len(t.buf)]
	if c.MaxLen > 0 && len(out) > c.MaxLen && utf8.RuneCount(out) > c.MaxLen {
		out = truncate(out, c.MaxLen) // at a character: still clean if it was
	}
	return out, clean
}

// put appends s to the row's buffer and returns it there (not nil: not NULL).
func (t *Table) put(s []byte) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	start := len(t.buf)
	t.buf = append(t.buf, s...)
	return t.buf[start:len(t.buf):len(t.buf)]
}

// fixedValue is what rule r writes whatever the value (const, password), else nil.
func fixedValue(framework string, r Rule) []byte {
	switch r.Kind {
	case Const:
		return []byte(r.Value)
	case Password:
		return []byte(PasswordHash(framework))
	}
	return nil
}

// isClean reports whether v needs no escaping anywhere a dumper writes it: valid
// UTF-8 without control characters (C0, DEL), quotes or backslashes.
func isClean(v []byte) bool {
	for _, c := range v {
		if c < ' ' || c == 0x7f || c == '\'' || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(v)
}

// truncate cuts b to n characters.
func truncate(b []byte, n int) []byte {
	for i := range b {
		if utf8.RuneStart(b[i]) {
			if n == 0 {
				return b[:i]
			}
			n--
		}
	}
	return b
}

// clip is v as text of at most n bytes, for warnings.
func clip(v []byte, n int) string {
	if len(v) > n {
		v = truncate(v, n)
		return strings.ToValidUTF8(string(v), "?") + "…"
	}
	return strings.ToValidUTF8(string(v), "?")
}

// looksEmail reports whether v looks like one e-mail address.
func looksEmail(v []byte) bool {
	at := bytes.IndexByte(v, '@')
	if at < 1 || at > 64 || len(v) > 254 || bytes.IndexByte(v[at+1:], '@') >= 0 {
		return false
	}
	dom := v[at+1:]
	dot := bytes.LastIndexByte(dom, '.')
	if dot < 1 || dot > len(dom)-3 {
		return false
	}
	for _, c := range v {
		if c <= ' ' || c == '"' || c == '<' || c == '>' || c == ',' || c == ';' || c >= 0x7f {
			return false
		}
	}
	return true
}
