package postgres

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"synco/dumpers/scrub"
)

// TestCopyScrubberClean: COPY rows come out of the scrubber as they did when every
// fake went through escapeCopy (copyRowRef), also where the fakes keep characters
// of values that need escaping (phone separators, text line breaks, constants).
func TestCopyScrubberClean(t *testing.T) {
	var specs []scrub.Spec
	for _, s := range []string{"t.mail=email", "t.name=name", "t.p=phone", "t.x=text", "t.c=const:a\\b\tc", "t.ip=ip", "t.n=phone", "t.e=empty"} {
		sp, err := scrub.ParseSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, sp)
	}
	cols := []scrub.Column{{Name: "mail"}, {Name: "name"}, {Name: "p"}, {Name: "x"}, {Name: "c"}, {Name: "ip"}, {Name: "n", Numeric: true}, {Name: "e"}}
	var in bytes.Buffer
	for i, v := range []string{"Anna@X.org", "O'Brien", `back\\slash`, `tab\there`, `new\nline\r\n`, `\x01ctl`, `\N`, "", "Grüße",
		"+49 (30) 1234-5678", `+49\t30 1234567`, "203.0.113.7", "2a00:1450::1"} {
		for j := range cols {
			if j > 0 {
				in.WriteByte('\t')
			}
			if j == 6 {
				fmt.Fprintf(&in, "%d", 100000000+i)
				continue
			}
			in.WriteString(v)
		}
		in.WriteByte('\n')
	}
	var got bytes.Buffer
	tb := scrub.New([32]byte{7}, "", specs).Table([]string{"t"}, cols)
	if _, err := newCopyScrubber(&got, tb).Write(in.Bytes()); err != nil {
		t.Fatal(err)
	}
	ref := copyScrubber{t: scrub.New([32]byte{7}, "", specs).Table([]string{"t"}, cols)}
	ref.need = ref.t.Needs()
	var want []byte
	for l := range strings.Lines(in.String()) {
		want = append(copyRowRef(&ref, want, []byte(strings.TrimSuffix(l, "\n"))), '\n')
	}
	if got.String() != string(want) {
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d:\n got %q\nwant %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(gl), len(wl))
	}
}

// copyRowRef is copyScrubber.row as it was before Clean: every fake escaped.
func copyRowRef(c *copyScrubber, out, line []byte) []byte {
	c.raw = c.raw[:0]
	for f := range bytes.SplitSeq(line, []byte{'\t'}) {
		c.raw = append(c.raw, f)
	}
	c.vals = c.vals[:0]
	for i, f := range c.raw {
		switch {
		case !c.need[i]:
			c.vals = append(c.vals, f)
		case string(f) == `\N`:
			c.vals = append(c.vals, nil)
		default:
			c.vals = append(c.vals, unescapeCopy(f))
		}
	}
	c.t.Row(c.vals)
	for i, v := range c.vals {
		if i > 0 {
			out = append(out, '\t')
		}
		switch {
		case !c.need[i], sameSlice(v, c.raw[i]):
			out = append(out, c.raw[i]...)
		case v == nil:
			out = append(out, `\N`...)
		default:
			out = escapeCopy(out, v)
		}
	}
	return out
}
