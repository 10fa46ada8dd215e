package postgres

import (
	"errors"
	"strings"
)

// The import checks every statement of a dump before it runs it (allow.go).
// lexSQL cuts a statement into tokens the way the server's lexer does, for the
// settings the import fixes (standard_conforming_strings on, UTF8): what it
// sees as a string or a comment, the server sees as one too.

type tokKind uint8

const (
	tkIdent  tokKind = iota // unquoted identifier or key word; val is lower case
	tkQIdent                // "quoted" identifier; val is the name
	tkString                // '…', E'…', B'…', X'…', N'…', U&'…' or $tag$…$tag$; val is the content
	tkNum                   // number
	tkParam                 // $1
	tkOp                    // operator or punctuation; val is its text
)

type token struct {
	kind     tokKind
	val      string
	pos, end int // byte offsets in the statement
}

// is reports whether t is the unquoted key word w (lower case).
func (t token) is(w string) bool { return t.kind == tkIdent && t.val == w }

// isOp reports whether t is the operator or punctuation s.
func (t token) isOp(s string) bool { return t.kind == tkOp && t.val == s }

// name is an identifier's name (either quoting) in lower case, "" for other tokens.
func (t token) name() string {
	if t.kind == tkIdent || t.kind == tkQIdent {
		return strings.ToLower(t.val)
	}
	return ""
}

var errLex = errors.New("unreadable statement")

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

const opChars = "+-*/<>=~!@#%^&|`?"

// lexSQL returns the tokens of s without blanks and comments. It fails on
// what the server would not read as the same tokens: unterminated strings or
// comments, a backslash or a control character outside strings.
func lexSQL(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			depth := 0
			for {
				if i+1 >= len(s) {
					return nil, errLex
				}
				if s[i] == '/' && s[i+1] == '*' {
					depth++
					i += 2
				} else if s[i] == '*' && s[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'':
			val, end, err := lexQuoted(s, i, '\'', false)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tkString, val, i, end})
			i = end
		case c == '"':
			val, end, err := lexQuoted(s, i, '"', false)
			if err != nil || val == "" {
				return nil, errLex
			}
			out = append(out, token{tkQIdent, val, i, end})
			i = end
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			w := s[i:j]
			lw := strings.ToLower(w)
			switch {
			case j < len(s) && s[j] == '\'' && (lw == "e" || lw == "b" || lw == "x" || lw == "n"):
				val, end, err := lexQuoted(s, j, '\'', lw == "e")
				if err != nil {
					return nil, err
				}
				out = append(out, token{tkString, val, i, end})
				i = end
			case lw == "u" && j < len(s) && s[j] == '&':
				// U&'…' and U&"…" may spell any name with escapes; our dumps never use them.
				return nil, errLex
			default:
				out = append(out, token{tkIdent, lw, i, j})
				i = j
			}
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) {
				d := s[j]
				if d >= '0' && d <= '9' || d == '.' && !(j+1 < len(s) && s[j+1] == '.') || d == '_' ||
					d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' {
					j++
				} else if (d == '+' || d == '-') && (s[j-1] == 'e' || s[j-1] == 'E') {
					j++
				} else {
					break
				}
			}
			out = append(out, token{tkNum, s[i:j], i, j})
			i = j
		case c == '$':
			j := i + 1
			if j < len(s) && s[j] >= '0' && s[j] <= '9' {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				out = append(out, token{tkParam, s[i:j], i, j})
				i = j
				continue
			}
			for j < len(s) && s[j] != '$' && isIdent(s[j]) {
				j++
			}
			if j >= len(s) || s[j] != '$' {
				return nil, errLex
			}
			delim := s[i : j+1]
			k := strings.Index(s[j+1:], delim)
			if k < 0 {
				return nil, errLex
			}
			end := j + 1 + k + len(delim)
			out = append(out, token{tkString, s[j+1 : j+1+k], i, end})
			i = end
		case strings.IndexByte("(),;[]:.", c) >= 0:
			out = append(out, token{tkOp, s[i : i+1], i, i + 1})
			i++
		case strings.IndexByte(opChars, c) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte(opChars, s[j]) >= 0 &&
				!(s[j] == '-' && j+1 < len(s) && s[j+1] == '-') && !(s[j] == '/' && j+1 < len(s) && s[j+1] == '*') {
				j++
			}
			out = append(out, token{tkOp, s[i:j], i, j})
			i = j
		default: // backslash (a psql meta-command), control characters
			return nil, errLex
		}
	}
	return out, nil
}

// lexQuoted reads a quoted string or identifier whose opening quote is at
// s[i]; backslash escapes count in E” strings. It returns the content and
// the offset after the closing quote.
func lexQuoted(s string, i int, q byte, backslash bool) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == 0:
			return "", 0, errLex
		case backslash && c == '\\':
			if j+1 >= len(s) {
				return "", 0, errLex
			}
			j++
			b.WriteByte(s[j])
		case c == q:
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			return b.String(), j + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errLex
}
