package frameworks

import (
	"fmt"
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
	unset bool // pUnknown from an unset getenv(): "??" and "?:" fall back
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

// phpFile is the result of running the statements of one PHP config file that we
// understand: assignments to variables, define() calls, the first top-level return
// and include/require statements.
type phpFile struct {
	vars     map[string]*phpValue
	consts   map[string]*phpValue
	ret      *phpValue
	includes []phpInclude
	condSet  map[string]int // variable name → line of an assignment inside a block
}

type phpInclude struct {
	strings []string // the literal strings in the include expression
	line    int
}

type phpParser struct {
	toks []token
	pos  int
	env  func(string) string
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

// runPHP interprets src as far as configuration files need. onInclude, if not nil,
// is called at each include statement and may merge another file into f.
func runPHP(src string, env func(string) string, f *phpFile, onInclude func(phpInclude) error) error {
	toks, err := lexPHP(src)
	if err != nil {
		return err
	}
	if f.vars == nil {
		f.vars, f.consts, f.condSet = map[string]*phpValue{}, map[string]*phpValue{}, map[string]int{}
	}
	p := &phpParser{toks: toks, env: env}
	depth := 0
	for p.peek().kind != tEOF {
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == "{":
			depth++
			p.next()
		case t.kind == tPunct && t.text == "}":
			depth--
			p.next()
		case t.kind == tIdent && strings.EqualFold(t.text, "return") && depth == 0 && f.ret == nil:
			p.next()
			v, err := p.expr()
			if err != nil {
				return err
			}
			f.ret = v
		case t.kind == tIdent && strings.EqualFold(t.text, "define") && p.toks[p.pos+1].text == "(":
			p.pos += 2
			name, err := p.expr()
			if err != nil {
				return err
			}
			if !p.isPunct(",") {
				continue
			}
			p.next()
			v, err := p.expr()
			if err != nil {
				return err
			}
			if name.kind == pString {
				f.consts[name.s] = v
			}
		case t.kind == tIdent && isInclude(t.text):
			p.next()
			inc := phpInclude{line: t.line}
			for !p.isPunct(";") && p.peek().kind != tEOF {
				if tk := p.next(); tk.kind == tString {
					inc.strings = append(inc.strings, tk.text)
				}
			}
			f.includes = append(f.includes, inc)
			if onInclude != nil {
				if err := onInclude(inc); err != nil {
					return err
				}
			}
		case t.kind == tVar:
			if err := p.assignment(f, depth); err != nil {
				return err
			}
		default:
			p.next()
		}
	}
	return nil
}

func isInclude(s string) bool {
	switch strings.ToLower(s) {
	case "include", "include_once", "require", "require_once":
		return true
	}
	return false
}

// assignment handles $var[k]…[k] = expr; anything else starting with a variable is
// skipped.
func (p *phpParser) assignment(f *phpFile, depth int) error {
	name := p.next()
	var path []*phpValue // nil element: $a[]
	for p.isPunct("[") {
		p.next()
		if p.isPunct("]") {
			p.next()
			path = append(path, nil)
			continue
		}
		k, err := p.expr()
		if err != nil {
			return err
		}
		if !p.isPunct("]") {
			return nil
		}
		p.next()
		path = append(path, k)
	}
	if !p.isPunct("=") {
		return nil
	}
	p.next()
	v, err := p.expr()
	if err != nil {
		return err
	}
	if depth > 0 {
		f.condSet[name.text] = name.line
	}
	if len(path) == 0 {
		f.vars[name.text] = v
		return nil
	}
	cur := f.vars[name.text]
	if cur == nil || cur.kind != pArray {
		cur = &phpValue{kind: pArray, line: name.line}
		f.vars[name.text] = cur
	}
	for i, k := range path {
		key := ""
		switch {
		case k == nil:
			key = cur.nextIndex()
		case k.kind == pString || k.kind == pNumber:
			key = k.s
		default:
			return nil // computed key: ignore the assignment
		}
		if i == len(path)-1 {
			cur.set(key, v)
			break
		}
		nx := cur.elems[key]
		if nx == nil || nx.kind != pArray {
			nx = &phpValue{kind: pArray, line: name.line}
			cur.set(key, nx)
		}
		cur = nx
	}
	return nil
}

// expr parses one expression. Literals, arrays, string concatenation of literals,
// getenv('NAME') and $_ENV/$_SERVER['NAME'] are evaluated; anything else becomes a
// pUnknown value whose tokens are skipped up to the end of the expression.
func (p *phpParser) expr() (*phpValue, error) {
	v, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tPunct {
			break
		}
		switch t.text {
		case ".":
			p.next()
			r, err := p.primary()
			if err != nil {
				return nil, err
			}
			v = concat(v, r)
		case "??", "?:":
			p.next()
			r, err := p.expr()
			if err != nil {
				return nil, err
			}
			if v.unset || v.kind == pNull || t.text == "?:" && v.kind == pString && (v.s == "" || v.s == "0") {
				v = r
			}
		case ",", "]", ")", ";", "=>", "}":
			return v, nil
		default:
			p.skipExpr()
			return &phpValue{kind: pUnknown, why: "an expression with " + t.text, line: t.line}, nil
		}
	}
	if p.peek().kind != tEOF && p.peek().kind != tPunct {
		p.skipExpr()
		return &phpValue{kind: pUnknown, why: "an expression", line: v.line}, nil
	}
	return v, nil
}

func concat(a, b *phpValue) *phpValue {
	lit := func(v *phpValue) bool { return v.kind == pString || v.kind == pNumber }
	if lit(a) && lit(b) {
		return &phpValue{kind: pString, s: a.s + b.s, line: a.line}
	}
	why := a.why
	if lit(a) {
		why = b.why
	}
	if why == "" {
		why = "a concatenation"
	}
	return &phpValue{kind: pUnknown, why: why, line: a.line}
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
		return &phpValue{kind: pUnknown, why: "a string with variables", line: t.line}, nil
	case tNumber:
		return &phpValue{kind: pNumber, s: strings.ReplaceAll(t.text, "_", ""), line: t.line}, nil
	case tVar:
		if (t.text == "_ENV" || t.text == "_SERVER") && p.isPunct("[") && p.toks[p.pos+1].kind == tString && p.toks[p.pos+2].text == "]" {
			name := p.toks[p.pos+1].text
			p.pos += 3
			return p.envValue(name, t.line), nil
		}
		p.pos--
		p.skipOperand()
		return &phpValue{kind: pUnknown, why: "variable $" + t.text, line: t.line}, nil
	case tIdent:
		low := strings.ToLower(t.text)
		switch {
		case low == "true" || low == "false":
			return &phpValue{kind: pBool, s: low, line: t.line}, nil
		case low == "null":
			return &phpValue{kind: pNull, line: t.line}, nil
		case low == "array" && p.isPunct("("):
			p.next()
			return p.array(")", t.line)
		case (low == "getenv" || low == "\\getenv") && p.isPunct("(") && p.toks[p.pos+1].kind == tString && p.toks[p.pos+2].text == ")":
			name := p.toks[p.pos+1].text
			p.pos += 3
			return p.envValue(name, t.line), nil
		case p.isPunct("("):
			p.pos--
			p.skipOperand()
			return &phpValue{kind: pUnknown, why: "function call " + t.text + "()", line: t.line}, nil
		}
		p.pos--
		p.skipOperand()
		return &phpValue{kind: pUnknown, why: "constant " + t.text, line: t.line}, nil
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
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.isPunct(")") {
				p.next()
			}
			return v, nil
		case "@":
			return p.primary()
		}
		p.pos--
		p.skipExpr()
		return &phpValue{kind: pUnknown, why: "an expression with " + t.text, line: t.line}, nil
	}
	return nil, &phpSyntaxError{t.line, "unexpected end of file"}
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
		case p.isPunct("->") || p.isPunct("::"):
			p.next()
			p.next()
		default:
			return
		}
	}
}

func (p *phpParser) envValue(name string, line int) *phpValue {
	if p.env != nil {
		if v := p.env(name); v != "" {
			return &phpValue{kind: pString, s: v, line: line}
		}
	}
	return &phpValue{kind: pUnknown, why: fmt.Sprintf("environment variable %s, which is not set", name), line: line, unset: true}
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
			a.set(a.nextIndex(), &phpValue{kind: pUnknown, why: "array unpacking (...)", line: line})
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
				switch k.kind {
				case pString, pNumber:
					a.set(k.s, v)
				case pBool:
					a.set(map[string]string{"true": "1", "false": "0"}[k.s], v)
				default:
					a.set(a.nextIndex(), &phpValue{kind: pUnknown, why: "a computed key", line: k.line})
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
