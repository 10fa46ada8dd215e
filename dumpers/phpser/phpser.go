// Package phpser rewrites the string values inside PHP serialize() output without
// breaking it: each s:N:"…" string gets its new length. WordPress keeps options,
// post meta, user meta and widget settings this way, so a value changed inside one
// by plain text replacement would no longer unserialize.
//
// Rewrite walks the format as PHP's unserialize() reads it: N; b: i: d: (scalars),
// s:N:"…"; (strings, N bytes), a:N:{…} (arrays), O:N:"class":N:{…} (objects),
// E:N:"Class:Case"; (enums, kept), r: R: (references, kept). C:…{…} (a
// Serializable's opaque payload) and anything malformed make the whole value
// "not serialized". Keys are not rewritten; nesting deeper than MaxDepth is not
// followed (the value is then not serialized, for the caller to treat as text).
package phpser

import (
	"bytes"
	"errors"
	"strconv"
)

// MaxDepth is the deepest nesting of arrays and objects Rewrite follows.
const MaxDepth = 512

// errNotSerialized means a value is not (entirely) PHP-serialized.
var errNotSerialized = errors.New("phpser: not a serialized value")

// Looks reports whether v starts like a serialized string, array or object (what
// Rewrite can change). It is a cheap test; Rewrite decides.
func Looks(v []byte) bool {
	return len(v) >= 4 && (v[0] == 'a' || v[0] == 'O' || v[0] == 's') && v[1] == ':'
}

// Rewrite returns v with each string value (not key) passed through leaf and its
// length recomputed. ok is false when v is not one whole serialized string, array
// or object; then out is nil.
func Rewrite(v []byte, leaf func([]byte) []byte) (out []byte, ok bool) {
	if !Looks(v) {
		return nil, false
	}
	p := rewriter{in: v, leaf: leaf, out: make([]byte, 0, len(v))}
	if end, err := p.value(0, false, 0); err == nil && end == len(v) {
		return p.out, true
	}
	return nil, false
}

// rewriter copies a PHP serialize() value, rewriting string values.
type rewriter struct {
	in   []byte
	out  []byte
	leaf func([]byte) []byte
}

// value copies the value at i and returns the index after it.
func (p *rewriter) value(i int, key bool, depth int) (int, error) {
	in := p.in
	if i+1 >= len(in) {
		return 0, errNotSerialized
	}
	switch in[i] {
	case 'N':
		if in[i+1] != ';' {
			return 0, errNotSerialized
		}
		p.out = append(p.out, "N;"...)
		return i + 2, nil
	case 'b', 'i', 'd', 'r', 'R':
		if in[i+1] != ':' {
			return 0, errNotSerialized
		}
		end := bytes.IndexByte(in[i:], ';')
		if end < 0 {
			return 0, errNotSerialized
		}
		p.out = append(p.out, in[i:i+end+1]...)
		return i + end + 1, nil
	case 's':
		s, next, err := p.str(i + 1)
		if err != nil || next >= len(in) || in[next] != ';' {
			return 0, errNotSerialized
		}
		if !key {
			s = p.leaf(s)
		}
		p.out = append(p.out, "s:"...)
		p.out = strconv.AppendInt(p.out, int64(len(s)), 10)
		p.out = append(p.out, ':', '"')
		p.out = append(p.out, s...)
		p.out = append(p.out, '"', ';')
		return next + 1, nil
	case 'E': // enum case: E:len:"Class:Case";
		_, next, err := p.str(i + 1)
		if err != nil || next >= len(in) || in[next] != ';' {
			return 0, errNotSerialized
		}
		p.out = append(p.out, in[i:next+1]...)
		return next + 1, nil
	case 'a':
		if depth >= MaxDepth {
			return 0, errNotSerialized
		}
		n, next, err := p.count(i + 1)
		if err != nil || next >= len(in) || in[next] != '{' {
			return 0, errNotSerialized
		}
		p.out = append(p.out, in[i:next+1]...)
		return p.members(next+1, n, depth+1)
	case 'O':
		if depth >= MaxDepth {
			return 0, errNotSerialized
		}
		_, next, err := p.str(i + 1) // class name
		if err != nil {
			return 0, errNotSerialized
		}
		start := i
		n, next, err := p.count(next)
		if err != nil || next >= len(in) || in[next] != '{' {
			return 0, errNotSerialized
		}
		p.out = append(p.out, in[start:next+1]...)
		return p.members(next+1, n, depth+1)
	}
	// C: (Serializable) and anything else: an opaque payload we cannot rewrite.
	return 0, errNotSerialized
}

// members copies n key/value pairs and the closing brace.
func (p *rewriter) members(i, n, depth int) (int, error) {
	var err error
	for range n {
		if i, err = p.value(i, true, depth); err != nil {
			return 0, err
		}
		if i, err = p.value(i, false, depth); err != nil {
			return 0, err
		}
	}
	if i >= len(p.in) || p.in[i] != '}' {
		return 0, errNotSerialized
	}
	p.out = append(p.out, '}')
	return i + 1, nil
}

// count reads ":N:" at i (i at the colon) and returns N and the index after the
// second colon.
func (p *rewriter) count(i int) (int, int, error) {
	in := p.in
	if i >= len(in) || in[i] != ':' {
		return 0, 0, errNotSerialized
	}
	j := i + 1
	for j < len(in) && in[j] >= '0' && in[j] <= '9' {
		j++
	}
	if j == i+1 || j >= len(in) || in[j] != ':' || j-i > 10 {
		return 0, 0, errNotSerialized
	}
	n, err := strconv.Atoi(string(in[i+1 : j]))
	if err != nil || n > len(in) {
		return 0, 0, errNotSerialized
	}
	return n, j + 1, nil
}

// str reads `:N:"…"` at i and returns the N bytes and the index after the quote.
func (p *rewriter) str(i int) ([]byte, int, error) {
	n, j, err := p.count(i)
	if err != nil || j >= len(p.in) || p.in[j] != '"' || j+1+n+1 > len(p.in) || p.in[j+1+n] != '"' {
		return nil, 0, errNotSerialized
	}
	return p.in[j+1 : j+1+n], j + 1 + n + 1, nil
}
