package frameworks

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is a tokenizer for the subset of PHP that configuration files use:
// literals, arrays, assignments, define() and include. It is not a PHP interpreter.

type tokKind int

const (
	tEOF    tokKind = iota
	tVar            // $name (text without "$")
	tIdent          // name, keyword or namespaced name
	tString         // literal string, text is the decoded value
	tNumber         // integer or float, text as written
	tPunct          // operator or punctuation
	tInterp         // double-quoted or heredoc string with variables: not a literal
)

type token struct {
	kind tokKind
	text string
	line int
}

// phpSyntaxError is a tokenizer or parser failure. It names the line only: the
// text near the error may be a password.
type phpSyntaxError struct {
	line int
	msg  string
}

func (e *phpSyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// punctuation, longest first.
var phpPuncts = []string{
	"===", "!==", "<=>", "**=", "...", "??=", "<<=", ">>=",
	"=>", "==", "!=", "<>", "<=", ">=", "&&", "||", "??", "?:", "->", "::", "++", "--",
	".=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<", ">>", "**",
	"[", "]", "(", ")", "{", "}", ",", ";", "=", ".", "?", ":", "+", "-", "*", "/",
	"%", "!", "<", ">", "&", "|", "^", "~", "@", "\\",
}

// lexPHP splits src into tokens. Text outside <?php … ?> is skipped.
func lexPHP(src string) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	inPHP := false
	for i < len(src) {
		if !inPHP {
			j := strings.Index(src[i:], "<?php")
			if j < 0 {
				break
			}
			line += strings.Count(src[i:i+j], "\n")
			i += j + 5
			inPHP = true
			continue
		}
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "?>"):
			inPHP = false
			i += 2
			toks = append(toks, token{tPunct, ";", line}) // ?> ends a statement
		case c == '#' || strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' && !strings.HasPrefix(src[i:], "?>") {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, &phpSyntaxError{line, "unterminated comment"}
			}
			line += strings.Count(src[i:i+2+j], "\n")
			i += j + 4
		case c == '\'':
			s, n, err := lexSingle(src[i:], line)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s, line})
			line += strings.Count(src[i:i+n], "\n")
			i += n
		case c == '"', strings.HasPrefix(src[i:], "<<<"):
			lex := lexDouble
			if c != '"' {
				lex = lexHeredoc
			}
			s, n, interp, err := lex(src[i:], line)
			if err != nil {
				return nil, err
			}
			k := tString
			if interp {
				k = tInterp // "…$var…": a value we do not evaluate
			}
			toks = append(toks, token{k, s, line})
			line += strings.Count(src[i:i+n], "\n")
			i += n
		case c == '$' && i+1 < len(src) && isIdentStart(src[i+1]):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tVar, src[i+1 : j], line})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (isIdentChar(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], line})
			i = j
		case isIdentStart(c) || c == '\\' && i+1 < len(src) && isIdentStart(src[i+1]):
			j := i + 1
			for j < len(src) && (isIdentChar(src[j]) || src[j] == '\\') {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], line})
			i = j
		default:
			p := ""
			for _, q := range phpPuncts {
				if strings.HasPrefix(src[i:], q) {
					p = q
					break
				}
			}
			if p == "" {
				return nil, &phpSyntaxError{line, fmt.Sprintf("unexpected character %q", c)}
			}
			toks = append(toks, token{tPunct, p, line})
			i += len(p)
		}
	}
	return append(toks, token{tEOF, "", line}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// lexSingle reads a single-quoted string: only \' and \\ are escapes.
func lexSingle(s string, line int) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
				i++
			}
		}
		b.WriteByte(s[i])
	}
	return "", 0, &phpSyntaxError{line, "unterminated string"}
}

// lexDouble reads a double-quoted string with PHP's escapes. interp is true when it
// interpolates variables, so its value is not known.
func lexDouble(s string, line int) (val string, n int, interp bool, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, interp, nil
		case c == '$' && i+1 < len(s) && (isIdentStart(s[i+1]) || s[i+1] == '{'):
			interp = true
		case c == '{' && i+1 < len(s) && s[i+1] == '$':
			interp = true
		case c == '\\' && i+1 < len(s):
			i++
			k := unescapeDouble(s, i, &b)
			i += k
			continue
		}
		b.WriteByte(c)
	}
	return "", 0, false, &phpSyntaxError{line, "unterminated string"}
}

// unescapeDouble writes the escape starting at s[i] (after the backslash) and returns
// how many extra bytes it used.
func unescapeDouble(s string, i int, b *strings.Builder) int {
	switch s[i] {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'v':
		b.WriteByte('\v')
	case 'e':
		b.WriteByte(27)
	case 'f':
		b.WriteByte('\f')
	case '0', '1', '2', '3', '4', '5', '6', '7':
		j := i
		for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
			j++
		}
		v, _ := strconv.ParseUint(s[i:j], 8, 8)
		b.WriteByte(byte(v))
		return j - i - 1
	case 'x':
		j := i + 1
		for j < len(s) && j < i+3 && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
			j++
		}
		if j == i+1 {
			b.WriteString(`\x`)
			return 0
		}
		v, _ := strconv.ParseUint(s[i+1:j], 16, 8)
		b.WriteByte(byte(v))
		return j - i - 1
	case '\\', '$', '"':
		b.WriteByte(s[i])
	default:
		b.WriteByte('\\')
		b.WriteByte(s[i])
	}
	return 0
}

// lexHeredoc reads <<<LABEL, <<<"LABEL" (heredoc) or <<<'LABEL' (nowdoc).
func lexHeredoc(s string, line int) (val string, n int, interp bool, err error) {
	nl := strings.IndexByte(s, '\n')
	if nl < 0 {
		return "", 0, false, &phpSyntaxError{line, "unterminated heredoc"}
	}
	label := strings.TrimSpace(s[3:nl])
	nowdoc := strings.HasPrefix(label, "'")
	label = strings.Trim(label, `'"`)
	if label == "" {
		return "", 0, false, &phpSyntaxError{line, "heredoc without label"}
	}
	rest := s[nl+1:]
	var body []string
	off := nl + 1
	for _, l := range strings.SplitAfter(rest, "\n") {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, label) && (len(t) == len(label) || !isIdentChar(t[len(label)])) {
			indent := len(l) - len(t)
			for k := range body {
				body[k] = body[k][min(indent, len(body[k])-len(strings.TrimLeft(body[k], " \t"))):]
			}
			text := strings.TrimSuffix(strings.Join(body, ""), "\n")
			n = off + indent + len(label)
			if nowdoc {
				return text, n, false, nil
			}
			var b strings.Builder
			for i := 0; i < len(text); i++ {
				switch {
				case text[i] == '\\' && i+1 < len(text):
					i++
					i += unescapeDouble(text, i, &b)
					continue
				case text[i] == '$' && i+1 < len(text) && (isIdentStart(text[i+1]) || text[i+1] == '{'):
					interp = true
				}
				b.WriteByte(text[i])
			}
			return b.String(), n, interp, nil
		}
		body = append(body, l)
		off += len(l)
	}
	return "", 0, false, &phpSyntaxError{line, "unterminated heredoc"}
}
