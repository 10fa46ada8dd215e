package scrub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
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
		"\vx\f", "\r\n", "ännä@x.org", "ÄNNA@X.ORG", "a\u00a0", "\u0085a", "bad\xff", "\xff", "a b", "@", "Z", "z[`{", "İ",
		"jolanda.quirrenbach@posteo-mail.de", "jolanda.quirrenbach@posteo-mail.dE", "Jolanda.quirrenbach@posteo-mail.de",
		"jolanda.quirrenBach@posteo-mail.de", "jolanda.quirrenbach@posteo-mäil.de", "@@@@[[[[````{{{{AAAAZZZZ"} {
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

// TestASCIILower against a byte by byte check, every byte at every place of a word.
func TestASCIILower(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for c := range 256 {
		for at := range 11 {
			v := []byte(strings.Repeat("abcdefghij", 2)[:11])
			v[at] = byte(c)
			want := true
			for _, b := range v {
				if b >= 0x80 || 'A' <= b && b <= 'Z' {
					want = false
				}
			}
			if got := asciiLower(v); got != want {
				t.Fatalf("asciiLower(%q) = %v", v, got)
			}
		}
	}
	for range 10000 {
		v := make([]byte, r.IntN(40))
		for i := range v {
			v[i] = byte(r.IntN(128))
		}
		if got, want := asciiLower(v), !bytes.ContainsFunc(v, func(c rune) bool { return 'A' <= c && c <= 'Z' }); got != want {
			t.Fatalf("asciiLower(%q) = %v", v, got)
		}
	}
}

// TestIPv6Fake: the fake of an IPv6 address is written as netip writes it, also
// when one of its keyed groups is zero.
func TestIPv6Fake(t *testing.T) {
	f := newFaker(deriveMacKeys(&[32]byte{9}))
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		in := fmt.Appendf(nil, "2a00:%x::%x", i, r.Uint32())
		out := f.ip(nil, in)
		h := f.mac(IP, in)
		if i%7 == 0 { // a zero group: netip's other runs of zeros
			binary.BigEndian.PutUint16(h[2*(i%3):], 0)
			var a16 [16]byte
			copy(a16[:], []byte{0x20, 0x01, 0x0d, 0xb8})
			copy(a16[4:], h[:6])
			out = appendIPv6(nil, h)
			if want := netip.AddrFrom16(a16).String(); string(out) != want {
				t.Fatalf("%x: %s, want %s", h[:6], out, want)
			}
			continue
		}
		var a16 [16]byte
		copy(a16[:], []byte{0x20, 0x01, 0x0d, 0xb8})
		copy(a16[4:], h[:6])
		if want := netip.AddrFrom16(a16).String(); string(out) != want {
			t.Fatalf("%s: %s, want %s", in, out, want)
		}
	}
}
