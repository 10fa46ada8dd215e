package scrub

import (
	"bytes"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestAppendByte: IPv4 fakes are written as netip writes them (decimal, no zeros
// in front).
func TestAppendByte(t *testing.T) {
	for c := range 256 {
		if got, want := string(appendByte(nil, byte(c))), strconv.Itoa(c); got != want {
			t.Fatalf("appendByte(%d) = %q", c, got)
		}
	}
}

// TestFolded: the fast way of folding (the value itself) gives what folding byte
// by byte gives (foldedRef, the code before it).
func TestFolded(t *testing.T) {
	f := newFaker(deriveMacKeys(&[32]byte{}))
	for _, v := range []string{"", " ", "a", "A", "anna@x.org", "Anna@x.org", "anna@x.orG", " anna@x.org", "anna@x.org\t",
		"\vx\f", "\r\n", "ännä@x.org", "ÄNNA@X.ORG", "a\u00a0", "\u0085a", "bad\xff", "\xff", "a b", "@", "Z", "z[`{", "İ"} {
		if got, want := f.folded([]byte(v)), foldedRef([]byte(v)); !bytes.Equal(got, want) {
			t.Errorf("folded(%q) = %q, want %q", v, got, want)
		}
	}
}

func foldedRef(v []byte) []byte {
	v = bytes.TrimSpace(v)
	var low []byte
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low = append(low, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(v[i:])
		low = utf8.AppendRune(low, unicode.ToLower(r))
		i += n
	}
	return low
}
