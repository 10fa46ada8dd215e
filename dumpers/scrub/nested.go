package scrub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// errNotNested means a value is not (entirely) PHP-serialized or JSON.
var errNotNested = errors.New("not a nested value")

// nested rewrites the string values (not the keys) of a PHP-serialized or JSON
// value with leaf, keeping it valid: serialized string lengths are recomputed.
// ok is false when v is neither, and then v is to be treated as one string.
func nested(v []byte, leaf func([]byte) []byte) (out []byte, ok bool) {
	if len(v) < 2 {
		return nil, false
	}
	switch c := v[0]; {
	case (c == 'a' || c == 'O' || c == 's') && v[1] == ':':
		p := phpRewriter{in: v, leaf: leaf, out: make([]byte, 0, len(v))}
		if end, err := p.value(0, false); err == nil && end == len(v) {
			return p.out, true
		}
	case c == '{' || c == '[':
		if out, err := rewriteJSON(v, leaf); err == nil {
			return out, true
		}
	}
	return nil, false
}

// phpRewriter copies a PHP serialize() value, rewriting string values.
type phpRewriter struct {
	in   []byte
	out  []byte
	leaf func([]byte) []byte
}

// value copies the value at i and returns the index after it.
func (p *phpRewriter) value(i int, key bool) (int, error) {
	in := p.in
	if i+1 >= len(in) {
		return 0, errNotNested
	}
	switch in[i] {
	case 'N':
		if in[i+1] != ';' {
			return 0, errNotNested
		}
		p.out = append(p.out, "N;"...)
		return i + 2, nil
	case 'b', 'i', 'd', 'r', 'R':
		if in[i+1] != ':' {
			return 0, errNotNested
		}
		end := bytes.IndexByte(in[i:], ';')
		if end < 0 {
			return 0, errNotNested
		}
		p.out = append(p.out, in[i:i+end+1]...)
		return i + end + 1, nil
	case 's':
		s, next, err := p.str(i + 1)
		if err != nil || next >= len(in) || in[next] != ';' {
			return 0, errNotNested
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
			return 0, errNotNested
		}
		p.out = append(p.out, in[i:next+1]...)
		return next + 1, nil
	case 'a':
		n, next, err := p.count(i + 1)
		if err != nil || next >= len(in) || in[next] != '{' {
			return 0, errNotNested
		}
		p.out = append(p.out, in[i:next+1]...)
		return p.members(next+1, n)
	case 'O':
		_, next, err := p.str(i + 1) // class name
		if err != nil {
			return 0, errNotNested
		}
		start := i
		n, next, err := p.count(next)
		if err != nil || next >= len(in) || in[next] != '{' {
			return 0, errNotNested
		}
		p.out = append(p.out, in[start:next+1]...)
		return p.members(next+1, n)
	}
	// C: (Serializable) and anything else: an opaque payload we cannot rewrite.
	return 0, errNotNested
}

// members copies n key/value pairs and the closing brace.
func (p *phpRewriter) members(i, n int) (int, error) {
	var err error
	for range n {
		if i, err = p.value(i, true); err != nil {
			return 0, err
		}
		if i, err = p.value(i, false); err != nil {
			return 0, err
		}
	}
	if i >= len(p.in) || p.in[i] != '}' {
		return 0, errNotNested
	}
	p.out = append(p.out, '}')
	return i + 1, nil
}

// count reads ":N:" at i (i at the colon) and returns N and the index after the
// second colon.
func (p *phpRewriter) count(i int) (int, int, error) {
	in := p.in
	if i >= len(in) || in[i] != ':' {
		return 0, 0, errNotNested
	}
	j := i + 1
	for j < len(in) && in[j] >= '0' && in[j] <= '9' {
		j++
	}
	if j == i+1 || j >= len(in) || in[j] != ':' || j-i > 10 {
		return 0, 0, errNotNested
	}
	n, err := strconv.Atoi(string(in[i+1 : j]))
	if err != nil || n > len(in) {
		return 0, 0, errNotNested
	}
	return n, j + 1, nil
}

// str reads `:N:"…"` at i and returns the N bytes and the index after the quote.
func (p *phpRewriter) str(i int) ([]byte, int, error) {
	n, j, err := p.count(i)
	if err != nil || j >= len(p.in) || p.in[j] != '"' || j+1+n+1 > len(p.in) || p.in[j+1+n] != '"' {
		return nil, 0, errNotNested
	}
	return p.in[j+1 : j+1+n], j + 1 + n + 1, nil
}

// rewriteJSON re-encodes a JSON object or array with its string values (not its
// keys) passed through leaf; numbers keep their text.
func rewriteJSON(v []byte, leaf func([]byte) []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	out := make([]byte, 0, len(v))
	out, err := jsonValue(dec, out, leaf)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotNested
	}
	return out, nil
}

func jsonValue(dec *json.Decoder, out []byte, leaf func([]byte) []byte) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		closer := byte(']')
		if t == '{' {
			closer = '}'
		}
		out = append(out, byte(t))
		for first := true; dec.More(); first = false {
			if !first {
				out = append(out, ',')
			}
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				out = appendJSONString(out, []byte(ks))
				out = append(out, ':')
			}
			if out, err = jsonValue(dec, out, leaf); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return append(out, closer), nil
	case string:
		return appendJSONString(out, leaf([]byte(t))), nil
	case json.Number:
		return append(out, t...), nil
	case bool:
		return strconv.AppendBool(out, t), nil
	case nil:
		return append(out, "null"...), nil
	}
	return nil, errNotNested
}

func appendJSONString(out, s []byte) []byte {
	b, _ := json.Marshal(string(s)) // a string always marshals
	return append(out, b...)
}
