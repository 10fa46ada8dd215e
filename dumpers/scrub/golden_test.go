package scrub_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"synco/dumpers/scrub"
)

var update = flag.Bool("update", false, "rewrite testdata/fakes.golden and testdata/defaults.golden")

// TestFakesGolden pins the fakes themselves: a store's fakes must not change from
// one synco version to the next, or the first publish after an upgrade would
// re-send every scrubbed value (day-2 bytes). Run with -update only on purpose.
func TestFakesGolden(t *testing.T) {
	rules := []string{"email", "username", "name", "first_name", "last_name", "phone", "ip", "address", "text",
		"hash", "null", "empty", "const:x'y", "password", "keep"}
	values := []string{"", "Jolanda.Quirrenbach@Posteo-Mail.de", " anna@x.org ", "ANNA@X.ORG", "Bartholomäus Glöckler",
		"+49 (30) 1234-5678", "203.0.113.7", "2a00:1450:4001::200e", "10.1.2.3/24", "not an ip",
		"Grüße aus\nKöln\r\nund Wien", "4711", "-12.50", `a:2:{s:5:"email";s:7:"a@b.org";i:0;s:3:"Bob";}`,
		`{"mail":"a@b.org","n":[1,"Bob",null]}`, "{not json", "Ä\xffÖ\xe2\x82 ÜSER@X.ORG", "0.0.0.0", "1.2.3.04", "256.1.1.1",
		"1.2.3", "1.2.3.4.5", "::ffff:1.2.3.4", "01.2.3.4", "[1,2]", strings.Repeat("lange Zeile ", 40)}
	var b bytes.Buffer
	for _, rs := range rules {
		for _, numeric := range []bool{false, true} {
			for _, maxLen := range []int{0, 8} {
				sp, err := scrub.ParseSpec("t.c=" + rs)
				if err != nil {
					t.Fatal(err)
				}
				tb := scrub.New(key, "wordpress", []scrub.Spec{sp}).Table([]string{"t"}, []scrub.Column{{Name: "c", Numeric: numeric, MaxLen: maxLen}})
				for _, v := range append(values, "\x00null") {
					in := []byte(v)
					if v == "\x00null" {
						in = nil
					}
					vals := [][]byte{in}
					tb.Row(vals)
					out := "NULL"
					if vals[0] != nil {
						out = strconv.Quote(string(vals[0]))
					}
					fmt.Fprintf(&b, "%s numeric=%v max=%d %q → %s\n", rs, numeric, maxLen, v, out)
				}
			}
		}
	}
	const golden = "testdata/fakes.golden"
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		got, wl := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(got), len(wl)) {
			if got[i] != wl[i] {
				t.Fatalf("line %d:\n got %s\nwant %s", i+1, got[i], wl[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(got), len(wl))
	}
}

// TestDefaultsGolden pins the built-in rules of every framework, prefixed and
// not: a change to them changes what is published (and re-sends the scrubbed
// values). Run with -update only on purpose.
func TestDefaultsGolden(t *testing.T) {
	var b strings.Builder
	for _, fw := range []string{"wordpress", "drupal", "laravel", "neos/flow", "neos", "flow", "typo3", "symfony", "generic", "other"} {
		for _, p := range []string{"", "wp_"} {
			sp, so := scrub.Defaults(fw, p)
			fmt.Fprintf(&b, "== %s %q\n", fw, p)
			for _, s := range sp {
				fmt.Fprintf(&b, "%s\n", s)
			}
			fmt.Fprintf(&b, "so %q\n", so)
		}
	}
	const golden = "testdata/defaults.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("the built-in rules differ from %s:\n%s", golden, b.String())
	}
}
