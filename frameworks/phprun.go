package frameworks

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// phpFile is what the statements synco understands set while it read a PHP
// configuration file and the files it includes: variables, constants (define()),
// the main file's return value, and what could not be followed.
type phpFile struct {
	vars   map[string]*phpValue
	consts map[string]*phpValue
	ret    *phpValue
	files  []string // files read, main first (names as in messages)
	notes  []string // for Project.Why
	warns  []string // for Project.Warnings: what was not understood
	// opaque is set once an include could not be followed (unreadable, or its path
	// not known): any constant or variable may have been set there. It says which.
	opaque string
}

func (f *phpFile) init() {
	if f.vars == nil {
		f.vars, f.consts = map[string]*phpValue{}, map[string]*phpValue{}
	}
}

func (f *phpFile) warn(msg string) {
	if !slices.Contains(f.warns, msg) {
		f.warns = append(f.warns, msg)
	}
}

// phpRun reads PHP configuration files: the main one and what it includes.
type phpRun struct {
	s   *scan // nil: no file access (includes are not followed)
	f   *phpFile
	env func(string) string
	// laravelEnv makes env('NAME', default) read env, as Laravel's helper does.
	laravelEnv bool
	// skip, if set, names included files that are not configuration (WordPress's
	// wp-settings.php, composer's autoloader): they are not read.
	skip     func(abs string) bool
	included map[string]bool
	assumed  map[string]bool // files taken for a path synco only partly knows
	depth    int
}

// errStop ends the statements of a file (an unconditional return); errExit ends
// all of them (exit, die).
var (
	errStop = errors.New("stop")
	errExit = errors.New("exit")
)

// runPHP interprets src as far as configuration files need, without file access.
func runPHP(src string, env func(string) string, f *phpFile) error {
	f.init()
	r := &phpRun{f: f, env: env}
	return r.run(src, "", "", "", true)
}

// runPHPFile reads and interprets one PHP file of the project (name relative to
// the project) into f, following its includes; ok is false when it is missing.
func runPHPFile(s *scan, name string, f *phpFile, setup func(r *phpRun)) (ok bool, err error) {
	data, ok, err := s.read(name)
	if err != nil || !ok {
		return ok, err
	}
	f.init()
	r := &phpRun{s: s, f: f, env: s.getenv, included: map[string]bool{}}
	if setup != nil {
		setup(r)
	}
	abs := s.absSlash(name)
	r.included[abs] = true
	f.files = append(f.files, name)
	if err := r.run(string(data), name, abs, "", true); err != nil && !errors.Is(err, errExit) {
		return true, phpErr(name, err)
	}
	return true, nil
}

// run executes the statements of one file.
func (r *phpRun) run(src, file, abs, cond string, top bool) error {
	toks, err := lexPHP(src)
	if err != nil {
		return err
	}
	p := &phpParser{toks: toks, r: r, file: file, abs: abs, cond: cond, top: top}
	for p.peek().kind != tEOF {
		if err := p.stmt(); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// where names a line of the current file for messages.
func (p *phpParser) where(line int) string {
	if p.file == "" {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s line %d", p.file, line)
}

// stmt executes one statement.
func (p *phpParser) stmt() error {
	t := p.peek()
	switch t.kind {
	case tPunct:
		switch t.text {
		case "{":
			p.next()
			return p.block(func() bool { return p.isPunct("}") }, true)
		case ";", "}", ")", "]":
			p.next() // an empty statement, or a stray closer: make progress
			return nil
		}
	case tVar:
		return p.assignment()
	case tIdent:
		switch strings.ToLower(t.text) {
		case "if":
			return p.ifStmt()
		case "define":
			if p.at(1).text == "(" {
				return p.define()
			}
		case "include", "include_once", "require", "require_once":
			return p.include()
		case "return":
			return p.returnStmt()
		case "function":
			if p.at(1).kind == tIdent {
				p.skipDeclaration()
				return nil
			}
		case "class", "interface", "trait", "enum", "abstract", "final", "readonly":
			p.skipDeclaration()
			return nil
		case "foreach", "for", "while", "switch", "do", "try", "catch", "finally":
			return p.loop()
		case "else", "elseif", "endif":
			p.next() // stray: make progress
			return nil
		case "exit", "die":
			t := p.next()
			p.skipStatement()
			if p.dead {
				return nil
			}
			if p.cond == "" {
				p.r.f.warn(fmt.Sprintf("%s: the configuration stops here (%s), as PHP would: what follows is not read", p.where(t.line), t.text))
				return errExit
			}
			return nil
		}
	}
	p.skipStatement()
	return nil
}

// block runs statements until end() (consumed when consume is set).
func (p *phpParser) block(end func() bool, consume bool) error {
	for p.peek().kind != tEOF && !end() {
		if err := p.stmt(); err != nil {
			return err
		}
	}
	if consume && p.peek().kind != tEOF {
		p.next()
	}
	return nil
}

// skipStatement skips to the end of the statement (its ; consumed), over
// balanced brackets; a } that closes the enclosing block is left.
func (p *phpParser) skipStatement() {
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
				if depth == 0 && t.text == "}" {
					p.next()
					if p.isPunct(";") || p.isPunct(")") || p.isPunct(",") || p.isPunct("->") {
						continue
					}
					return
				}
			case ";":
				if depth == 0 {
					p.next()
					return
				}
			}
		}
		p.next()
	}
}

// skipDeclaration skips a function or class declaration: up to its body's
// closing brace.
func (p *phpParser) skipDeclaration() {
	for p.peek().kind != tEOF && !p.isPunct("{") && !p.isPunct(";") {
		p.next()
	}
	if p.isPunct(";") {
		p.next()
		return
	}
	p.skipBraces()
}

// skipBraces skips a balanced {…}; the current token is the {.
func (p *phpParser) skipBraces() {
	depth := 0
	for p.peek().kind != tEOF {
		t := p.next()
		if t.kind == tPunct && t.text == "{" {
			depth++
		} else if t.kind == tPunct && t.text == "}" {
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// loop runs the body of a loop, switch or try/catch as if under a condition synco
// does not evaluate: what it sets is not determined.
func (p *phpParser) loop() error {
	t := p.next()
	if p.isPunct("(") {
		p.skipParens()
	}
	cond := p.cond
	if cond == "" && !strings.EqualFold(t.text, "try") && !strings.EqualFold(t.text, "finally") {
		cond = fmt.Sprintf("the %s on %s", strings.ToLower(t.text), p.where(t.line))
	}
	save := p.cond
	p.cond = cond
	defer func() { p.cond = save }()
	if p.isPunct("{") {
		p.next()
		return p.block(func() bool { return p.isPunct("}") }, true)
	}
	if p.isPunct(":") { // alternative syntax: endforeach; endwhile; …
		p.next()
		end := "end" + strings.ToLower(t.text)
		return p.block(func() bool { return p.isWord(end) }, true)
	}
	return p.stmt()
}

// skipParens skips a balanced (…); the current token is the (.
func (p *phpParser) skipParens() {
	depth := 0
	for p.peek().kind != tEOF {
		t := p.next()
		if t.kind == tPunct && t.text == "(" {
			depth++
		} else if t.kind == tPunct && t.text == ")" {
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// parenExpr reads ( expr ).
func (p *phpParser) parenExpr() (*phpValue, error) {
	line := p.peek().line
	if !p.isPunct("(") {
		p.skipStatement()
		return unknown("a condition synco could not read", line), nil
	}
	p.next()
	v, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.isPunct(")") {
		p.skipExpr()
	}
	if p.isPunct(")") {
		p.next()
	}
	return v, nil
}

// ifStmt runs if/elseif/else: a branch whose condition synco can evaluate (a
// constant, an environment variable, whether a file exists) is taken or skipped as
// PHP would; a branch that depends on anything else runs under that condition, so
// what it sets is reported as not determined instead of guessed.
func (p *phpParser) ifStmt() error {
	saveCond, saveDead := p.cond, p.dead
	defer func() { p.cond, p.dead = saveCond, saveDead }()
	taken := false // an earlier branch is certainly taken
	unsure := ""   // an earlier branch may have been taken: its condition
	alt := false   // if (…): … endif;
	branch := func(cond *phpValue, line int) error {
		p.cond, p.dead = saveCond, saveDead || taken
		if cond != nil && !p.dead {
			b, known := truth(cond)
			switch {
			case !known:
				if p.cond == "" {
					p.cond = fmt.Sprintf("the condition on %s (%s)", p.where(line), whyOf(cond))
				}
				if unsure == "" {
					unsure = p.cond
				}
			case !b:
				p.dead = true
			default:
				if p.cond == "" {
					p.cond = unsure
				}
				if unsure == "" {
					taken = true
				}
			}
		} else if cond == nil && !p.dead && p.cond == "" {
			p.cond = unsure
		}
		if p.isPunct(":") {
			p.next()
			alt = true
			return p.block(func() bool { return p.isWord("elseif") || p.isWord("else") || p.isWord("endif") }, false)
		}
		return p.stmt()
	}
	line := p.next().line
	cond, err := p.parenExpr()
	if err != nil {
		return err
	}
	if err := branch(cond, line); err != nil {
		return err
	}
	for {
		switch {
		case p.isWord("elseif") || p.isWord("else") && p.at(1).kind == tIdent && strings.EqualFold(p.at(1).text, "if"):
			if p.isWord("else") {
				p.next()
			}
			line := p.next().line
			cond, err := p.parenExpr()
			if err != nil {
				return err
			}
			if err := branch(cond, line); err != nil {
				return err
			}
		case p.isWord("else"):
			p.next()
			return p.endIf(branch(nil, 0), alt)
		default:
			return p.endIf(nil, alt)
		}
	}
}

func (p *phpParser) endIf(err error, alt bool) error {
	if err != nil {
		return err
	}
	if alt && p.isWord("endif") {
		p.next()
		if p.isPunct(";") {
			p.next()
		}
	}
	return nil
}

// store marks v with where it was set and the condition it was set under.
func (p *phpParser) store(v *phpValue, line int) *phpValue {
	c := *v.with(p.cond)
	if c.file == "" {
		c.file = p.file
	}
	if c.line == 0 {
		c.line = line
	}
	return &c
}

// define handles define('NAME', value): the first definition wins, as in PHP.
func (p *phpParser) define() error {
	t := p.next()
	p.next() // (
	name, err := p.expr()
	if err != nil {
		return err
	}
	if !p.isPunct(",") {
		p.skipStatement()
		return nil
	}
	p.next()
	v, err := p.expr()
	if err != nil {
		return err
	}
	p.skipStatement()
	if p.dead || name.kind != pString || name.cond != "" {
		return nil
	}
	f := p.r.f
	v = p.store(v, t.line)
	old, ok := f.consts[name.s]
	switch {
	case ok && old.cond == "":
		return nil // already defined: PHP keeps the first value
	case ok:
		v = v.with(old.cond) // which one wins depends on old's condition
	case f.opaque != "":
		c := *v
		c.cond = "whether " + f.opaque + " defines it first"
		v = &c
	}
	f.consts[name.s] = v
	return nil
}

// returnStmt: the main file's unconditional top-level return is its value and
// ends it; an included file's return ends that file.
func (p *phpParser) returnStmt() error {
	t := p.next()
	v, err := p.expr()
	if err != nil {
		return err
	}
	p.skipStatement()
	if p.dead {
		return nil
	}
	if p.top && p.r.f.ret == nil {
		p.r.f.ret = p.store(v, t.line)
	}
	if p.cond == "" {
		return errStop
	}
	return nil
}

// assignment handles $var[k]…[k] = expr; anything else starting with a variable is
// skipped.
func (p *phpParser) assignment() error {
	name := p.next()
	var keys []*phpValue // nil element: $a[]
	for p.isPunct("[") {
		p.next()
		if p.isPunct("]") {
			p.next()
			keys = append(keys, nil)
			continue
		}
		k, err := p.expr()
		if err != nil {
			return err
		}
		if !p.isPunct("]") {
			p.skipStatement()
			return nil
		}
		p.next()
		keys = append(keys, k)
	}
	if !p.isPunct("=") {
		p.skipStatement()
		return nil
	}
	p.next()
	v, err := p.expr()
	if err != nil {
		return err
	}
	p.skipStatement()
	if p.dead {
		return nil
	}
	v = p.store(v, name.line)
	f := p.r.f
	if len(keys) == 0 {
		f.vars[name.text] = v
		return nil
	}
	cur := f.vars[name.text]
	if cur == nil || cur.kind != pArray {
		cur = &phpValue{kind: pArray, line: name.line, file: p.file}
		f.vars[name.text] = cur
	}
	for i, k := range keys {
		key := ""
		switch {
		case k == nil:
			key = cur.nextIndex()
		case k.cond == "" && (k.kind == pString || k.kind == pNumber):
			key = k.s
		default:
			return nil // computed key: ignore the assignment
		}
		if i == len(keys)-1 {
			cur.set(key, v)
			break
		}
		nx := cur.elems[key]
		if nx == nil || nx.kind != pArray {
			nx = &phpValue{kind: pArray, line: name.line, file: p.file}
			cur.set(key, nx)
		}
		cur = nx
	}
	return nil
}

// resolve makes an include or file_exists path absolute: absolute paths as they
// are, relative ones against the project directory (PHP's include_path ".", the
// directory of the front controller), then the including file's directory.
func (p *phpParser) resolve(name string) string {
	if strings.HasPrefix(name, "/") || p.r.s == nil {
		return path.Clean(name)
	}
	first := path.Join(p.r.s.rootSlash(), name)
	if p.abs != "" && !p.r.s.existsAbs(first) {
		if alt := path.Join(path.Dir(p.abs), name); p.r.s.existsAbs(alt) {
			return alt
		}
	}
	return first
}

// candidates lists the files a path value can name: one for a known path, the
// files matching the pattern of a partly known one. known is false when nothing
// can be said.
func (p *phpParser) candidates(v *phpValue) (files []string, known bool) {
	switch {
	case p.r.s == nil || v.cond != "":
		return nil, false
	case v.kind == pString:
		return []string{p.resolve(v.s)}, true
	case v.kind == pUnknown && v.pattern != "" && strings.HasPrefix(v.pattern, "/"):
		return p.r.s.globAbs(v.pattern)
	}
	return nil, false
}

// fileExists evaluates file_exists() and friends. A path synco only partly
// knows exists if a file matches its pattern: none → false; exactly one → true,
// assuming that file (with a warning); several → not known.
func (p *phpParser) fileExists(v *phpValue, fn string, line int) *phpValue {
	files, known := p.candidates(v)
	if !known {
		return unknown(fn+"() of "+whyOf(v), line)
	}
	if v.kind == pString {
		fi, err := p.r.s.statAbs(files[0])
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return unknown(fmt.Sprintf("%s(%s), which synco cannot check: %v", fn, files[0], errors.Unwrap(err)), line)
		}
		ok := err == nil
		if ok && fn == "is_dir" {
			ok = fi.IsDir()
		} else if ok && fn == "is_file" {
			ok = !fi.IsDir()
		}
		return boolValue(ok, line)
	}
	switch len(files) {
	case 0:
		return boolValue(false, line)
	case 1:
		p.assume(line, v, files[0])
		return boolValue(true, line)
	}
	return unknown(fmt.Sprintf("which of %s is meant (%s)", strings.Join(files, ", "), v.why), line)
}

// assume warns, once per file, that a path synco only partly knows was taken to
// be the one file that matches it.
func (p *phpParser) assume(line int, v *phpValue, file string) {
	if p.r.assumed == nil {
		p.r.assumed = map[string]bool{}
	}
	if p.r.assumed[file] {
		return
	}
	p.r.assumed[file] = true
	p.r.f.warn(fmt.Sprintf("%s: which file is read depends on %s; synco used %s, the only file matching %s (pass --db if that is the wrong one)",
		p.where(line), v.why, file, v.pattern))
}

// include follows include/require(_once) of a path synco can work out.
func (p *phpParser) include() error {
	t := p.next()
	v, err := p.expr()
	if err != nil {
		return err
	}
	p.skipStatement()
	if p.dead {
		return nil
	}
	f := p.r.f
	kw := strings.ToLower(t.text)
	where := p.where(t.line)
	fail := func(what string) {
		if f.opaque == "" {
			f.opaque = fmt.Sprintf("the %s on %s", kw, where)
		}
		f.warn(fmt.Sprintf("%s: %s %s; anything it sets is not known: pass --db if the database is set there", where, kw, what))
	}
	if p.r.s == nil || p.r.skip != nil && (v.kind == pString && p.r.skip(v.s) || v.pattern != "" && p.r.skip(v.pattern)) {
		return nil
	}
	files, known := p.candidates(v)
	switch {
	case !known:
		why := whyOf(v)
		if v.pattern != "" {
			why += " (" + v.pattern + ")"
		}
		fail("of a path that depends on " + why + ", which synco cannot evaluate")
		return nil
	case len(files) == 0:
		fail("of a file matching " + v.pattern + ": there is none")
		return nil
	case len(files) > 1:
		fail(fmt.Sprintf("of one of %s, chosen by %s, which synco cannot evaluate", strings.Join(files, ", "), v.why))
		return nil
	case v.kind == pUnknown:
		p.assume(t.line, v, files[0])
	}
	abs := files[0]
	if p.r.skip != nil && p.r.skip(abs) {
		return nil
	}
	if strings.HasSuffix(kw, "_once") && p.r.included[abs] {
		return nil
	}
	if p.r.depth >= 8 {
		fail("nested too deep")
		return nil
	}
	name := p.r.s.display(abs)
	data, err := p.r.s.readAbs(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if strings.HasPrefix(kw, "require") {
			f.warn(fmt.Sprintf("%s: %s %s, which does not exist", where, kw, name))
		} else {
			f.notes = append(f.notes, fmt.Sprintf("%s: %s %s, which does not exist: skipped", where, kw, name))
		}
		return nil
	case errors.Is(err, errOutside):
		fail(name + ", which is outside the project directory and was not read")
		return nil
	case err != nil:
		fail(fmt.Sprintf("%s, which synco cannot read (%v): run synco as the user the site runs as", name, errors.Unwrap(err)))
		return nil
	}
	p.r.included[abs] = true
	f.files = append(f.files, name)
	f.notes = append(f.notes, fmt.Sprintf("%s includes %s (line %d)", p.file, name, t.line))
	p.r.depth++
	err = p.r.run(string(data), name, abs, p.cond, false)
	p.r.depth--
	var se *phpSyntaxError
	if errors.As(err, &se) {
		fail(fmt.Sprintf("%s, which synco could not parse (%v)", name, se))
		return nil
	}
	return err
}
