package mysql

import (
	"bytes"
	"strings"
)

// tokKind is the kind of a SQL token.
type tokKind uint8

const (
	tWord   tokKind = iota + 1 // unquoted identifier or keyword
	tIdent                     // `quoted identifier` ("…" too under ANSI_QUOTES)
	tString                    // '…', "…", X'…', B'…', N'…'
	tNumber                    // 12, 1.5e-3, .5, 0x1F, 0b01
	tVar                       // @user or @@system variable
	tPunct                     // any other single byte
)

// token is a span of the lexed statement.
type token struct {
	kind     tokKind
	pos, end int
}

// lexer splits one statement into tokens the way the server's lexer does, as far as
// the allow-list needs it: comments are skipped, the content of executable comments
// (/*! … */, /*!50100 … */, /*M! … */) is read as code (the server runs it), string
// escapes follow the session's sql_mode (backslash escapes unless
// NO_BACKSLASH_ESCAPES; "…" is an identifier under ANSI_QUOTES). Anything it cannot
// read with certainty is an error: an unterminated quote or comment, a nested
// executable comment, a backslash outside quotes (a mysql client command).
type lexer struct {
	s          []byte
	i          int
	backslash  bool // backslash escapes in strings
	ansiQuotes bool // "…" quotes identifiers
	inExec     bool // inside /*! … */
	prev       tokKind
	prevByte   byte // the byte of the previous token when it was tPunct
	err        string
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token; false at the end or on an error (l.err set).
func (l *lexer) next() (token, bool) {
	s, n := l.s, len(l.s)
	for l.i < n {
		c := s[l.i]
		switch {
		case c <= ' ':
			l.i++
		case c == '#':
			l.skipLine()
		case c == '-' && l.i+1 < n && s[l.i+1] == '-' && (l.i+2 == n || s[l.i+2] <= ' '):
			l.skipLine()
		case c == '/' && l.i+1 < n && s[l.i+1] == '*':
			j := l.i + 2
			if j < n && s[j] == 'M' && j+1 < n && s[j+1] == '!' {
				j++
			}
			if j < n && s[j] == '!' {
				if l.inExec {
					l.err = "nested executable comment"
					return token{}, false
				}
				j++
				for j < n && isDigit(s[j]) {
					j++
				}
				l.inExec = true
				l.i = j
				continue
			}
			k := bytes.Index(s[l.i+2:], []byte("*/"))
			if k < 0 {
				l.err = "unterminated comment"
				return token{}, false
			}
			l.i += 2 + k + 2
		case c == '*' && l.inExec && l.i+1 < n && s[l.i+1] == '/':
			l.inExec = false
			l.i += 2
		case c == '\'':
			return l.quoted(l.i, tString, '\'')
		case c == '"':
			if l.ansiQuotes {
				return l.quoted(l.i, tIdent, '"')
			}
			return l.quoted(l.i, tString, '"')
		case c == '`':
			return l.quoted(l.i, tIdent, '`')
		case c == '\\':
			l.err = "backslash outside a string (mysql client command)"
			return token{}, false
		case c == '@':
			return l.variable()
		case c == '.' && l.i+1 < n && isDigit(s[l.i+1]) && l.prev != tWord && l.prev != tIdent && !(l.prev == tPunct && l.prevByte == ')'):
			start := l.i
			l.i++
			l.number()
			return l.emit(tNumber, start), true
		case isIdentByte(c):
			return l.word()
		default:
			l.i++
			l.prevByte = c
			return l.emit(tPunct, l.i-1), true
		}
	}
	if l.inExec {
		l.err = "unterminated executable comment"
	}
	return token{}, false
}

func (l *lexer) emit(k tokKind, start int) token {
	l.prev = k
	return token{kind: k, pos: start, end: l.i}
}

func (l *lexer) skipLine() {
	k := bytes.IndexByte(l.s[l.i:], '\n')
	if k < 0 {
		l.i = len(l.s)
		return
	}
	l.i += k + 1
}

// quoted reads a quoted token whose opening quote q is at l.s[at]; start is where
// the token begins (before a X/B/N prefix).
func (l *lexer) quotedFrom(start, at int, k tokKind, q byte) (token, bool) {
	s, n := l.s, len(l.s)
	for j := at + 1; j < n; j++ {
		c := s[j]
		if c == '\\' && l.backslash && k == tString {
			j++
			continue
		}
		if c == q {
			if j+1 < n && s[j+1] == q {
				j++
				continue
			}
			l.i = j + 1
			return l.emit(k, start), true
		}
	}
	l.err = "unterminated quoted string or name"
	return token{}, false
}

func (l *lexer) quoted(at int, k tokKind, q byte) (token, bool) { return l.quotedFrom(at, at, k, q) }

// variable reads @name, @'name', @@name, @@scope.name.
func (l *lexer) variable() (token, bool) {
	s, n := l.s, len(l.s)
	start := l.i
	l.i++
	if l.i < n && s[l.i] == '@' {
		l.i++
		for l.i < n {
			c := s[l.i]
			switch {
			case isIdentByte(c) || c == '.':
				l.i++
			case c == '`':
				t, ok := l.quoted(l.i, tIdent, '`')
				if !ok {
					return t, false
				}
			default:
				return l.emit(tVar, start), true
			}
		}
		return l.emit(tVar, start), true
	}
	if l.i < n && (s[l.i] == '\'' || s[l.i] == '"' || s[l.i] == '`') {
		if _, ok := l.quotedFrom(start, l.i, tVar, s[l.i]); !ok {
			return token{}, false
		}
		return l.emit(tVar, start), true
	}
	for l.i < n && (isIdentByte(s[l.i]) || s[l.i] == '.') {
		l.i++
	}
	return l.emit(tVar, start), true
}

// word reads an unquoted identifier, keyword, number, or X'…'-style literal.
func (l *lexer) word() (token, bool) {
	s, n := l.s, len(l.s)
	start := l.i
	for l.i < n && isIdentByte(s[l.i]) {
		l.i++
	}
	w := s[start:l.i]
	afterDot := l.prev == tPunct && l.prevByte == '.'
	if len(w) == 1 && l.i < n && s[l.i] == '\'' && strings.ContainsRune("xXbB", rune(w[0])) {
		// X'…' and B'…' end at the next quote: the server reads neither
		// escapes nor doubled quotes in them (X'41''42' is X'41' then '42')
		k := bytes.IndexByte(s[l.i+1:], '\'')
		if k < 0 {
			l.err = "unterminated quoted string or name"
			return token{}, false
		}
		l.i += 1 + k + 1
		return l.emit(tString, start), true
	}
	if len(w) == 1 && l.i < n && s[l.i] == '\'' && (w[0] == 'n' || w[0] == 'N') {
		return l.quotedFrom(start, l.i, tString, '\'')
	}
	if afterDot || !isDigit(w[0]) {
		return l.emit(tWord, start), true
	}
	// a run that starts with a digit: a number, or a name such as 1abc
	switch {
	case allDigits(w):
		if l.i < n && s[l.i] == '.' {
			l.i++
			l.number()
		} else {
			l.exponent()
		}
		return l.emit(tNumber, start), true
	case len(w) > 2 && (w[1] == 'x' && w[0] == '0' && allHex(w[2:]) || w[1] == 'b' && w[0] == '0' && allBin(w[2:])):
		return l.emit(tNumber, start), true
	}
	if e := bytes.IndexAny(w, "eE"); e > 0 && allDigits(w[:e]) {
		if e+1 < len(w) && allDigits(w[e+1:]) {
			return l.emit(tNumber, start), true
		}
		if e+1 == len(w) && l.i+1 < n && (s[l.i] == '+' || s[l.i] == '-') && isDigit(s[l.i+1]) {
			l.i++
			for l.i < n && isDigit(s[l.i]) {
				l.i++
			}
			return l.emit(tNumber, start), true
		}
	}
	return l.emit(tWord, start), true
}

// number reads the digits after a decimal point and an exponent.
func (l *lexer) number() {
	for l.i < len(l.s) && isDigit(l.s[l.i]) {
		l.i++
	}
	l.exponent()
}

func (l *lexer) exponent() {
	s, n := l.s, len(l.s)
	if l.i < n && (s[l.i] == 'e' || s[l.i] == 'E') {
		j := l.i + 1
		if j < n && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < n && isDigit(s[j]) {
			for j < n && isDigit(s[j]) {
				j++
			}
			l.i = j
		}
	}
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(b) > 0
}

func allBin(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '1' {
			return false
		}
	}
	return len(b) > 0
}

// lexAll returns every token of s, or the lexer's error.
func lexAll(s []byte, backslash, ansiQuotes bool) ([]token, string) {
	l := &lexer{s: s, backslash: backslash, ansiQuotes: ansiQuotes}
	var out []token
	for {
		t, ok := l.next()
		if !ok {
			return out, l.err
		}
		out = append(out, t)
	}
}

// unquote gives the value of a string token or the name of an identifier token.
func unquote(b []byte, backslash bool) string {
	if len(b) < 2 {
		return string(b)
	}
	if b[0] != '\'' && b[0] != '"' && b[0] != '`' {
		return string(b) // an X'…' style literal or a bare word
	}
	q := b[0]
	b = b[1 : len(b)-1]
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && backslash && q != '`' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case '0':
				sb.WriteByte(0)
			case 'Z':
				sb.WriteByte(26)
			case 'b':
				sb.WriteByte('\b')
			default:
				sb.WriteByte(b[i])
			}
			continue
		}
		if c == q && i+1 < len(b) && b[i+1] == q {
			i++
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
