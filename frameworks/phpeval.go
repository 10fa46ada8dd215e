package frameworks

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// phpKind is the kind of a value read from a PHP configuration file.
type phpKind int

const (
	pNull phpKind = iota
	pString
	pNumber
	pBool
	pArray
	pUnknown // an expression we do not evaluate; why says what it was
)

type phpValue struct {
	kind  phpKind
	s     string // string value, number as written, "true"/"false"
	keys  []string
	elems map[string]*phpValue
	why   string // pUnknown: what it was
	line  int
	file  string // where the value was assigned or defined, for messages
	unset bool   // pUnknown from an unset variable or getenv(): "??", "?:" and isset fall back
	// pattern is, for a pUnknown string built by concatenating literals with values
	// synco cannot know, a glob (path.Match) of the strings it can be: the Debian
	// wp-config.php builds '/etc/wordpress/config-' . $host . '.php'.
	pattern string
	// cond is set when the value was assigned under a condition synco could not
	// evaluate (or derived from such a value): it describes that condition.
	cond string
}

func (v *phpValue) set(key string, e *phpValue) {
	if v.elems == nil {
		v.elems = map[string]*phpValue{}
	}
	if _, ok := v.elems[key]; !ok {
		v.keys = append(v.keys, key)
	}
	v.elems[key] = e
}

// nextIndex is the key PHP gives to $a[] = …: one more than the largest int key.
func (v *phpValue) nextIndex() string {
	n := 0
	for _, k := range v.keys {
		if i, err := strconv.Atoi(k); err == nil && i >= n {
			n = i + 1
		}
	}
	return strconv.Itoa(n)
}

// with returns a shallow copy of v marked with cond (kept if v has one already).
func (v *phpValue) with(cond string) *phpValue {
	if cond == "" || v.cond != "" {
		return v
	}
	c := *v
	c.cond = cond
	return &c
}

func unknown(why string, line int) *phpValue {
	return &phpValue{kind: pUnknown, why: why, line: line}
}

func boolValue(b bool, line int) *phpValue {
	if b {
		return &phpValue{kind: pBool, s: "true", line: line}
	}
	return &phpValue{kind: pBool, s: "false", line: line}
}

// truth is PHP's conversion to bool; known is false when the value (or the
// condition it was set under) is not known.
func truth(v *phpValue) (b, known bool) {
	if v.cond != "" {
		return false, false
	}
	switch v.kind {
	case pNull:
		return false, true
	case pBool:
		return v.s == "true", true
	case pString:
		return v.s != "" && v.s != "0", true
	case pNumber:
		f, err := strconv.ParseFloat(v.s, 64)
		return err != nil || f != 0, true
	case pArray:
		return len(v.keys) > 0, true
	}
	if v.unset {
		return false, true
	}
	return false, false
}

// whyOf says what made v unknown or conditional.
func whyOf(v *phpValue) string {
	if v.kind == pUnknown {
		return v.why
	}
	return v.cond
}

// phpParser evaluates the statements and expressions of one file.
type phpParser struct {
	toks []token
	pos  int
	r    *phpRun
	file string // name for messages: relative to the project, or absolute
	abs  string // absolute path, for __FILE__ and __DIR__; "" when not known
	cond string // statements here run only under a condition synco cannot evaluate
	dead bool   // statements here are in a branch that is not taken
	top  bool   // the main file: its top-level return is the file's value
}

func (p *phpParser) peek() token { return p.toks[p.pos] }
func (p *phpParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}
func (p *phpParser) is(kind tokKind, text string) bool {
	t := p.peek()
	return t.kind == kind && t.text == text
}
func (p *phpParser) isPunct(text string) bool { return p.is(tPunct, text) }
func (p *phpParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}
func (p *phpParser) at(i int) token {
	if p.pos+i < len(p.toks) {
		return p.toks[p.pos+i]
	}
	return p.toks[len(p.toks)-1]
}

// atEnd reports whether the current token ends an expression.
func (p *phpParser) atEnd() bool {
	t := p.peek()
	if t.kind == tEOF {
		return true
	}
	if t.kind != tPunct {
		return false
	}
	switch t.text {
	case ",", "]", ")", ";", "=>", "}", ":":
		return true
	}
	return false
}

// expr parses one expression. Literals, arrays, concatenation, comparisons, !, &&,
// ||, ??, ?: and the ternary operator are evaluated, and so are the functions
// configuration files use to find files and read the environment (getenv,
// dirname, file_exists, defined, isset, …); anything else becomes a pUnknown value
// whose tokens are skipped up to the end of the expression.
func (p *phpParser) expr() (*phpValue, error) {
	v, err := p.ternary()
	if err != nil {
		return nil, err
	}
	if !p.atEnd() {
		t := p.peek()
		p.skipExpr()
		return unknown("an expression with "+t.text, t.line), nil
	}
	return v, nil
}

func (p *phpParser) ternary() (*phpValue, error) {
	v, err := p.coalesce()
	if err != nil {
		return nil, err
	}
	switch {
	case p.isPunct("?:"):
		p.next()
		r, err := p.ternary()
		if err != nil {
			return nil, err
		}
		b, known := truth(v)
		switch {
		case known && b:
			return v, nil
		case known:
			return r, nil
		}
		return v, nil
	case p.isPunct("?"):
		p.next()
		a, err := p.ternary()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(":") {
			return unknown("a ternary expression", v.line), nil
		}
		p.next()
		b, err := p.ternary()
		if err != nil {
			return nil, err
		}
		c, known := truth(v)
		switch {
		case known && c:
			return a, nil
		case known:
			return b, nil
		}
		return &phpValue{kind: pUnknown, why: whyOf(v), line: v.line}, nil
	}
	return v, nil
}

func (p *phpParser) coalesce() (*phpValue, error) {
	v, err := p.or()
	if err != nil {
		return nil, err
	}
	if !p.isPunct("??") {
		return v, nil
	}
	p.next()
	r, err := p.coalesce()
	if err != nil {
		return nil, err
	}
	if v.cond == "" && (v.unset || v.kind == pNull) {
		return r, nil
	}
	return v, nil
}

func (p *phpParser) or() (*phpValue, error) {
	v, err := p.and()
	for err == nil && (p.isPunct("||") || p.isWord("or")) {
		p.next()
		var r *phpValue
		if r, err = p.and(); err == nil {
			v = logic(v, r, true)
		}
	}
	return v, err
}

func (p *phpParser) and() (*phpValue, error) {
	v, err := p.compare()
	for err == nil && (p.isPunct("&&") || p.isWord("and")) {
		p.next()
		var r *phpValue
		if r, err = p.compare(); err == nil {
			v = logic(v, r, false)
		}
	}
	return v, err
}

// logic is a || b (or) or a && b: a known operand that decides the result wins
// over an unknown one.
func logic(a, b *phpValue, or bool) *phpValue {
	x, kx := truth(a)
	y, ky := truth(b)
	switch {
	case kx && x == or:
		return boolValue(or, a.line)
	case ky && y == or:
		return boolValue(or, a.line)
	case kx && ky:
		return boolValue(!or, a.line)
	case !kx:
		return unknown(whyOf(a), a.line)
	}
	return unknown(whyOf(b), b.line)
}

func (p *phpParser) compare() (*phpValue, error) {
	v, err := p.concat()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tPunct {
		return v, nil
	}
	switch t.text {
	case "==", "===", "!=", "!==", "<>":
	default:
		return v, nil
	}
	p.next()
	r, err := p.concat()
	if err != nil {
		return nil, err
	}
	eq, known := equal(v, r, len(t.text) == 3)
	if !known {
		u := v
		if _, k := truth(v); k && v.kind != pUnknown {
			u = r
		}
		return unknown(whyOf(u), t.line), nil
	}
	return boolValue(eq == (t.text[0] == '='), t.line), nil
}

// equal compares two known scalars as PHP's == (or === when strict) would for the
// values configuration files compare: strings, numbers, booleans, null.
func equal(a, b *phpValue, strict bool) (eq, known bool) {
	scalar := func(v *phpValue) bool {
		return v.cond == "" && (v.kind == pString || v.kind == pNumber || v.kind == pBool || v.kind == pNull || v.kind == pUnknown && v.unset)
	}
	if !scalar(a) || !scalar(b) {
		return false, false
	}
	kind := func(v *phpValue) phpKind {
		if v.kind == pUnknown {
			return pNull
		}
		return v.kind
	}
	ka, kb := kind(a), kind(b)
	if strict {
		return ka == kb && a.s == b.s, true
	}
	if ka == pBool || kb == pBool || ka == pNull || kb == pNull {
		x, _ := truth(a)
		y, _ := truth(b)
		if ka == pNull && kb == pString || kb == pNull && ka == pString {
			return a.s == b.s, true // null == "" only
		}
		return x == y, true
	}
	fa, ea := strconv.ParseFloat(a.s, 64)
	fb, eb := strconv.ParseFloat(b.s, 64)
	if ea == nil && eb == nil {
		return fa == fb, true
	}
	return a.s == b.s, true
}

func (p *phpParser) concat() (*phpValue, error) {
	v, err := p.unary()
	for err == nil && p.isPunct(".") {
		p.next()
		var r *phpValue
		if r, err = p.unary(); err == nil {
			v = concat(v, r)
		}
	}
	return v, err
}

func (p *phpParser) unary() (*phpValue, error) {
	switch {
	case p.isPunct("!"):
		t := p.next()
		v, err := p.unary()
		if err != nil {
			return nil, err
		}
		b, known := truth(v)
		if !known {
			return unknown(whyOf(v), t.line), nil
		}
		return boolValue(!b, t.line), nil
	case p.isPunct("@"):
		p.next()
		return p.unary()
	}
	return p.primary()
}

func concat(a, b *phpValue) *phpValue {
	lit := func(v *phpValue) bool { return v.kind == pString || v.kind == pNumber }
	cond := a.cond
	if cond == "" {
		cond = b.cond
	}
	if lit(a) && lit(b) {
		return &phpValue{kind: pString, s: a.s + b.s, line: a.line, cond: cond}
	}
	why := a.why
	if lit(a) {
		why = b.why
	}
	if why == "" {
		why = "a concatenation"
	}
	pat := func(v *phpValue) string {
		switch {
		case lit(v):
			return globEscape(v.s)
		case v.kind == pUnknown && v.pattern != "":
			return v.pattern
		}
		return "*"
	}
	g := strings.ReplaceAll(pat(a)+pat(b), "**", "*")
	if strings.Trim(g, "*") == "" {
		g = ""
	}
	return &phpValue{kind: pUnknown, why: why, line: a.line, pattern: g, cond: cond}
}

// globEscape quotes the characters path.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// skipExpr skips tokens up to the end of the current expression: a , ] ) ; or }
// at bracket depth 0.
func (p *phpParser) skipExpr() {
	depth := 0
	for {
		t := p.peek()
		if t.kind == tEOF {
			return
		}
		if t.kind == tPunct {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return
				}
				depth--
			case ",", ";", "=>":
				if depth == 0 {
					return
				}
			}
		}
		p.next()
	}
}

func (p *phpParser) primary() (*phpValue, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &phpValue{kind: pString, s: t.text, line: t.line}, nil
	case tInterp:
		return unknown("a string with variables", t.line), nil
	case tNumber:
		return &phpValue{kind: pNumber, s: strings.ReplaceAll(t.text, "_", ""), line: t.line}, nil
	case tVar:
		return p.variable(t), nil
	case tIdent:
		return p.ident(t)
	case tPunct:
		switch t.text {
		case "[":
			return p.array("]", t.line)
		case "-", "+":
			if p.peek().kind == tNumber {
				n := p.next()
				s := n.text
				if t.text == "-" {
					s = "-" + s
				}
				return &phpValue{kind: pNumber, s: s, line: t.line}, nil
			}
		case "(":
			if c := p.peek(); c.kind == tIdent && p.at(1).text == ")" && isCast(c.text) {
				p.pos += 2
				v, err := p.unary()
				if err != nil || strings.EqualFold(c.text, "string") {
					return v, err
				}
				return unknown("a cast to "+c.text, t.line), nil
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.isPunct(")") {
				p.next()
			}
			return v, nil
		}
		p.pos--
		p.skipExpr()
		return unknown("an expression with "+t.text, t.line), nil
	}
	return nil, &phpSyntaxError{t.line, "unexpected end of file"}
}

func isCast(s string) bool {
	switch strings.ToLower(s) {
	case "string", "int", "integer", "bool", "boolean", "float", "double", "array", "object":
		return true
	}
	return false
}

// variable reads $name[…]…: $_ENV and $_SERVER from the environment, others from
// the assignments read so far.
func (p *phpParser) variable(t token) *phpValue {
	if (t.text == "_ENV" || t.text == "_SERVER") && p.isPunct("[") && p.at(1).kind == tString && p.at(2).text == "]" {
		name := p.at(1).text
		p.pos += 3
		if t.text == "_SERVER" && isRequestVar(name) {
			return unknown("$_SERVER['"+name+"'], which depends on the web request", t.line)
		}
		return p.envValue(name, t.line)
	}
	v, ok := p.r.f.vars[t.text]
	if !ok {
		if t.text == "GLOBALS" || t.text == "this" || p.r.f.opaque != "" {
			p.pos--
			p.skipOperand()
			why := "variable $" + t.text
			if p.r.f.opaque != "" && t.text != "this" {
				why += ", which may be set by " + p.r.f.opaque
			}
			return unknown(why, t.line)
		}
		v = &phpValue{kind: pUnknown, why: "variable $" + t.text + ", which is not set", line: t.line, unset: true}
	}
	for p.isPunct("[") {
		p.next()
		k, err := p.expr()
		if err != nil || !p.isPunct("]") {
			p.skipExpr()
			if p.isPunct("]") {
				p.next()
			}
			return unknown("variable $"+t.text+" with an index", t.line)
		}
		p.next()
		switch {
		case v.kind == pArray && (k.kind == pString || k.kind == pNumber) && k.cond == "":
			e := v.elems[k.s]
			if e == nil {
				e = &phpValue{kind: pUnknown, why: "$" + t.text + "['" + k.s + "'], which is not set", line: t.line, unset: true}
			}
			v = e.with(v.cond)
		case v.kind == pUnknown:
		default:
			v = unknown("variable $"+t.text+" with an index", t.line)
		}
	}
	if p.isPunct("->") || p.isPunct("::") || p.isPunct("(") {
		p.pos--
		p.skipOperand()
		return unknown("variable $"+t.text, t.line)
	}
	return v
}

// ident handles true, false, null, array(), constants and the function calls
// synco evaluates.
func (p *phpParser) ident(t token) (*phpValue, error) {
	low := strings.ToLower(strings.TrimPrefix(t.text, "\\"))
	switch {
	case low == "true" || low == "false":
		return &phpValue{kind: pBool, s: low, line: t.line}, nil
	case low == "null":
		return &phpValue{kind: pNull, line: t.line}, nil
	case low == "__dir__" || low == "__file__":
		if p.abs == "" {
			return unknown(t.text, t.line), nil
		}
		if low == "__dir__" {
			return &phpValue{kind: pString, s: path.Dir(p.abs), line: t.line}, nil
		}
		return &phpValue{kind: pString, s: p.abs, line: t.line}, nil
	case low == "array" && p.isPunct("("):
		p.next()
		return p.array(")", t.line)
	case p.isPunct("("):
		return p.call(t, low)
	case p.isPunct("::") || p.isPunct("\\"):
		p.pos--
		p.skipOperand()
		return unknown("constant "+t.text, t.line), nil
	}
	if v, ok := p.r.f.consts[t.text]; ok {
		return v, nil
	}
	why := "constant " + t.text
	if p.r.f.opaque != "" {
		why += ", which may be defined by " + p.r.f.opaque
	}
	return unknown(why, t.line), nil
}

// args parses a call's arguments; the opening parenthesis is next.
func (p *phpParser) args() ([]*phpValue, error) {
	p.next()
	var out []*phpValue
	for !p.isPunct(")") {
		if p.peek().kind == tEOF {
			return nil, &phpSyntaxError{p.peek().line, "unterminated call"}
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if p.isPunct(",") {
			p.next()
		} else if !p.isPunct(")") {
			p.skipExpr()
			if !p.isPunct(")") && !p.isPunct(",") {
				p.next() // a stray closer: make progress
			}
		}
	}
	p.next()
	return out, nil
}

// skipOperand skips a name or variable with what hangs on it: calls, index, ->, ::.
func (p *phpParser) skipOperand() {
	p.next()
	for {
		switch {
		case p.isPunct("(") || p.isPunct("["):
			depth := 0
			for p.peek().kind != tEOF {
				t := p.next()
				if t.kind == tPunct && (t.text == "(" || t.text == "[") {
					depth++
				} else if t.kind == tPunct && (t.text == ")" || t.text == "]") {
					depth--
					if depth == 0 {
						break
					}
				}
			}
		case p.isPunct("->") || p.isPunct("::") || p.isPunct("\\"):
			p.next()
			p.next()
		default:
			return
		}
	}
}

// array parses elements up to close; the opening bracket is consumed.
func (p *phpParser) array(close string, line int) (*phpValue, error) {
	a := &phpValue{kind: pArray, line: line}
	for {
		if p.isPunct(close) {
			p.next()
			return a, nil
		}
		if p.peek().kind == tEOF {
			return nil, &phpSyntaxError{line, "unterminated array"}
		}
		if p.isPunct("...") {
			p.next()
			p.skipExpr()
			a.set(a.nextIndex(), unknown("array unpacking (...)", line))
		} else {
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.isPunct("=>") {
				p.next()
				v, err := p.expr()
				if err != nil {
					return nil, err
				}
				switch {
				case k.cond != "":
					a.set(a.nextIndex(), unknown("a computed key", k.line))
				case k.kind == pString, k.kind == pNumber:
					a.set(k.s, v)
				case k.kind == pBool:
					a.set(map[string]string{"true": "1", "false": "0"}[k.s], v)
				default:
					a.set(a.nextIndex(), unknown("a computed key", k.line))
				}
			} else {
				a.set(a.nextIndex(), k)
			}
		}
		switch {
		case p.isPunct(","):
			p.next()
		case p.isPunct(close):
		default:
			t := p.peek()
			return nil, &phpSyntaxError{t.line, fmt.Sprintf("expected , or %s in array", close)}
		}
	}
}
