package mysql

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// appendStringRef is appendString as it was written first, byte by byte: the
// reference the faster one must match exactly (the dump's bytes are what the
// chunk IDs, splices and the delta install's fast path see).
func appendStringRef(b []byte, v []byte) []byte {
	plain := true
	for _, c := range v {
		if c == '\\' || c == 0 || c == 0x1a || c == '\r' {
			plain = false
			break
		}
	}
	valid := utf8.Valid(v)
	if plain && valid {
		b = append(b, '\'')
		for _, c := range v {
			if c == '\'' {
				b = append(b, '\'')
			}
			b = append(b, c)
		}
		return append(b, '\'')
	}
	if valid {
		b = append(b, "_utf8mb4 "...)
	}
	b = append(b, 'X', '\'')
	for _, c := range v {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return append(b, '\'')
}

func TestAppendStringAsReference(t *testing.T) {
	alphabet := []byte("ab'\\\x00\x1a\r\n\"é€\xff ")
	r := rand.New(rand.NewPCG(1, 2))
	cases := [][]byte{nil, {}, []byte("'"), []byte("''"), []byte("a'b'c"), []byte("it's"), bytes.Repeat([]byte("x'"), 100)}
	for range 20000 {
		v := make([]byte, r.IntN(80))
		for i := range v {
			v[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, v)
	}
	for _, v := range cases {
		prefix := []byte("(1,")
		got := appendString(bytes.Clone(prefix), v)
		want := appendStringRef(bytes.Clone(prefix), v)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %q, want %q", v, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add([]byte("it's a \\ test\r\n"))
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := appendString(nil, v), appendStringRef(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %q, want %q", v, got, want)
		}
	})
}
