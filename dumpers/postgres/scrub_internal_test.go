package postgres

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"synco/bench/gen/people"
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

// BenchmarkCopyScrubber is the scrubbing of COPY rows (copyScrubber.Write) of a
// customer table of realistic people (bench/gen/people): id, e-mail, login,
// name, phone, IP and a text no rule touches. Bytes per op are the rows'.
func BenchmarkCopyScrubber(b *testing.B) {
	var in bytes.Buffer
	for i, p := range people.New(3).People(20000) {
		fmt.Fprintf(&in, "%d\t%s\t%s\t%s %s\t%s\t%s\t%s\n", i+1, p.Email, p.Login, p.First, p.Last, p.Phone, p.IP,
			strings.Repeat("lorem ipsum dolor sit amet ", 1+i%12))
	}
	var specs []scrub.Spec
	for _, s := range []string{"c.mail=email", "c.login=username", "c.name=name", "c.phone=phone", "c.ip=ip"} {
		sp, err := scrub.ParseSpec(s)
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, sp)
	}
	cols := []scrub.Column{{Name: "id", Numeric: true}, {Name: "mail"}, {Name: "login"}, {Name: "name"}, {Name: "phone"}, {Name: "ip"}, {Name: "notes"}}
	b.SetBytes(int64(in.Len()))
	cpu0 := cpuTime()
	for b.Loop() {
		tb := scrub.New([32]byte{7}, "", specs).Table([]string{"c"}, cols)
		w := newCopyScrubber(io.Discard, tb)
		for p := in.Bytes(); len(p) > 0; p = p[min(len(p), 64<<10):] { // as CopyTo writes
			if _, err := w.Write(p[:min(len(p), 64<<10)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time (user and system) the process used so far, in
// nanoseconds: on a loaded machine a steadier measure than the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
