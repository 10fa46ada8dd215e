package scrub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"synco/dumpers/phpser"
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
	if out, ok := phpser.Rewrite(v, leaf); ok {
		return out, true
	}
	if c := v[0]; c == '{' || c == '[' {
		if out, err := rewriteJSON(v, leaf); err == nil {
			return out, true
		}
	}
	return nil, false
}

// mayNest reports whether v starts like a PHP-serialized or JSON array or object:
// only then nested is worth a try (it is the same test nested starts with).
func mayNest(v []byte) bool {
	return len(v) >= 2 && (v[0] == '{' || v[0] == '[' || phpser.Looks(v))
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
