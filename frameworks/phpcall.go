package frameworks

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// The functions configuration files call that synco evaluates.

// isRequestVar reports whether $_SERVER[name] is set by the web server per
// request (HTTP_HOST, SERVER_NAME, HTTPS, …), so it is never known to synco.
func isRequestVar(name string) bool {
	for _, p := range []string{"HTTP_", "SERVER_", "REQUEST_", "REMOTE_", "SCRIPT_", "CONTEXT_", "REDIRECT_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	switch name {
	case "HTTPS", "QUERY_STRING", "DOCUMENT_ROOT", "PHP_SELF", "PATH_INFO", "ORIG_PATH_INFO", "GATEWAY_INTERFACE", "PHP_AUTH_USER", "PHP_AUTH_PW", "AUTH_TYPE":
		return true
	}
	return false
}

// call evaluates the functions configuration files use to find files and read
// the environment; other calls are not evaluated.
func (p *phpParser) call(t token, name string) (*phpValue, error) {
	switch name {
	case "getenv", "env", "dirname", "defined", "file_exists", "is_file", "is_readable", "is_dir",
		"isset", "empty", "strtolower", "strtoupper", "trim", "rtrim", "ltrim":
	default:
		return p.otherCall(t)
	}
	if name == "env" && !p.r.laravelEnv {
		p.pos--
		p.skipOperand()
		return unknown("function call "+t.text+"()", t.line), nil
	}
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return unknown("function call "+t.text+"() without arguments", t.line), nil
	}
	a := args[0]
	str := func() (string, bool) { return a.s, a.cond == "" && (a.kind == pString || a.kind == pNumber) }
	switch name {
	case "getenv", "env":
		s, ok := str()
		if !ok {
			return unknown("function call "+t.text+"() with a computed name", t.line), nil
		}
		v := p.envValue(s, t.line)
		if name == "env" && v.unset {
			if len(args) > 1 {
				return args[1], nil
			}
			return &phpValue{kind: pNull, line: t.line}, nil
		}
		if name == "env" && v.kind == pString {
			return laravelEnvValue(v), nil
		}
		return v, nil
	case "dirname":
		levels := 1
		if len(args) > 1 {
			n, err := strconv.Atoi(args[1].s)
			if err != nil || args[1].kind != pNumber || n < 1 {
				return unknown("dirname() with a computed level", t.line), nil
			}
			levels = n
		}
		s, ok := str()
		if !ok {
			return unknown("dirname() of "+whyOf(a), t.line), nil
		}
		for range levels {
			s = path.Dir(s)
		}
		return &phpValue{kind: pString, s: s, line: t.line}, nil
	case "defined":
		s, ok := str()
		if !ok {
			return unknown("defined() of a computed name", t.line), nil
		}
		return p.defined(s, t.line), nil
	case "file_exists", "is_file", "is_readable", "is_dir":
		return p.fileExists(a, name, t.line), nil
	case "isset", "empty":
		set := true
		for _, v := range args {
			if v.cond != "" || v.kind == pUnknown && !v.unset {
				return unknown(whyOf(v), t.line), nil
			}
			if v.kind == pNull || v.kind == pUnknown {
				set = false
			}
		}
		if name == "empty" {
			b, known := truth(a)
			if !known {
				return unknown(whyOf(a), t.line), nil
			}
			return boolValue(!b, t.line), nil
		}
		return boolValue(set, t.line), nil
	}
	s, ok := str()
	if !ok {
		return a, nil // the case or blanks of an unknown value stay unknown
	}
	switch name {
	case "strtolower":
		s = strings.ToLower(s)
	case "strtoupper":
		s = strings.ToUpper(s)
	case "trim":
		s = strings.TrimSpace(s)
	case "rtrim":
		s = strings.TrimRight(s, " \t\n\r\x00\x0B")
	case "ltrim":
		s = strings.TrimLeft(s, " \t\n\r\x00\x0B")
	}
	return &phpValue{kind: pString, s: s, line: t.line}, nil
}

// otherCall reads a call synco does not evaluate: its value is unknown, and what
// it depends on is named after its arguments (preg_replace() of
// $_SERVER['HTTP_HOST']).
func (p *phpParser) otherCall(t token) (*phpValue, error) {
	why := "function call " + t.text + "()"
	args, err := p.args()
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if a.kind != pUnknown && a.cond == "" {
			continue
		}
		inner := whyOf(a)
		if i := strings.Index(inner, " of "); strings.HasPrefix(inner, "function call ") && i >= 0 {
			inner = inner[i+4:]
		}
		if strings.HasPrefix(inner, "$_SERVER") || strings.HasPrefix(inner, "environment") || strings.HasPrefix(inner, "the condition") {
			why += " of " + inner
		}
		break
	}
	for p.isPunct("->") || p.isPunct("::") || p.isPunct("[") || p.isPunct("(") {
		if p.isPunct("[") || p.isPunct("(") {
			p.skipBalanced()
			continue
		}
		p.next()
		p.next()
	}
	return unknown(why, t.line), nil
}

// skipBalanced skips a balanced (…) or […]; the current token opens it.
func (p *phpParser) skipBalanced() {
	depth := 0
	for p.peek().kind != tEOF {
		t := p.next()
		if t.kind == tPunct && (t.text == "(" || t.text == "[") {
			depth++
		} else if t.kind == tPunct && (t.text == ")" || t.text == "]") {
			depth--
			if depth == 0 {
				return
			}
		}
	}
}

// laravelEnvValue converts as Laravel's env() does: (true), (false), (null),
// (empty) and their bare forms, and surrounding double quotes.
func laravelEnvValue(v *phpValue) *phpValue {
	switch strings.ToLower(v.s) {
	case "true", "(true)":
		return boolValue(true, v.line)
	case "false", "(false)":
		return boolValue(false, v.line)
	case "null", "(null)":
		return &phpValue{kind: pNull, line: v.line}
	case "empty", "(empty)":
		return &phpValue{kind: pString, line: v.line}
	}
	if len(v.s) > 1 && v.s[0] == '"' && v.s[len(v.s)-1] == '"' {
		return &phpValue{kind: pString, s: v.s[1 : len(v.s)-1], line: v.line}
	}
	return v
}

// defined is PHP's defined(name) over the constants read so far.
func (p *phpParser) defined(name string, line int) *phpValue {
	c, ok := p.r.f.consts[name]
	switch {
	case ok && c.cond != "":
		return unknown(c.cond, line)
	case ok:
		return boolValue(true, line)
	case p.r.f.opaque != "":
		return unknown(name+" may be defined by "+p.r.f.opaque, line)
	}
	return boolValue(false, line)
}

func (p *phpParser) envValue(name string, line int) *phpValue {
	if p.r.env != nil {
		if v := p.r.env(name); v != "" {
			return &phpValue{kind: pString, s: v, line: line}
		}
	}
	return &phpValue{kind: pUnknown, why: fmt.Sprintf("environment variable %s, which is not set", name), line: line, unset: true}
}
