package mysql

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/delta"
)

// canonStream writes rows as dumpTable does: rowsPerStmt rows per statement.
func canonStream(table string, cols []column, rows [][][]byte, rowsPerStmt int) []byte {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	header := "INSERT INTO " + quoteIdent(table) + " (" + strings.Join(names, ",") + ") VALUES\n"
	var b []byte
	scratch := make([][]byte, len(cols))
	for i, r := range rows {
		if i%rowsPerStmt == 0 {
			b = append(b, header...)
		} else {
			b = append(b, ",\n"...)
		}
		vals := make([][]byte, len(r))
		copy(vals, r)
		b = appendRowBytes(b, vals, scratch, cols)
		if i%rowsPerStmt == rowsPerStmt-1 || i == len(rows)-1 {
			b = append(b, ";\n"...)
		}
	}
	return b
}

// appendRowBytes is appendRow for [][]byte values.
func appendRowBytes(b []byte, vals, scratch [][]byte, cols []column) []byte {
	raw := make([]sql.RawBytes, len(vals))
	for i, v := range vals {
		raw[i] = v
	}
	return appendRow(b, raw, scratch, cols, nil)
}

// readRows reads every row of r (copied) and the error that ended it (nil at EOF).
func readRows(r delta.Reader) ([]delta.Row, error) {
	var out []delta.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, delta.Row{Key: bytes.Clone(row.Key), Line: bytes.Clone(row.Line)})
	}
}

func sameRows(t *testing.T, what string, a, b []delta.Row) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d rows, want %d", what, len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Line, b[i].Line) {
			t.Fatalf("%s: row %d is %q %q, want %q %q", what, i, a[i].Key, a[i].Line, b[i].Key, b[i].Line)
		}
	}
}

var canonCols = []column{
	{name: "k", kind: kindString}, {name: "id", kind: kindNumber}, {name: "s", kind: kindString},
	{name: "b", kind: kindBinary}, {name: "f", kind: kindDouble}, {name: "it's `odd`", kind: kindString},
}

// awkward values: a string that looks like the end of a row or statement, a
// comment, quotes, backslashes, control bytes, invalid UTF-8, empty ones.
var awkward = []string{
	"plain", "", "it's", "''", "a),\n(9,'x');\nDROP TABLE t; -- ", "multi\nline\n(", "back\\slash",
	"nul\x00", "cr\r\n", "ctrl-z\x1a", "\xff\xfe", "é ü 日本", "/* c */ # d", "\"dq\"", "`bt`", ";\n", "X'41'",
}

func canonRowsFor(n int) [][][]byte {
	var rows [][][]byte
	for i := range n {
		s := awkward[i%len(awkward)]
		var bin []byte
		switch i % 3 {
		case 0:
			bin = []byte{0, 0xff, '\'', '\n'}
		case 1:
			bin = []byte{}
		}
		num := []byte(fmt.Sprint(i - 5))
		f := []string{"1.5", "-2e-07", "1e+20", "0", "3"}[i%5]
		var odd []byte
		if i%4 != 0 {
			odd = []byte(awkward[(i*7)%len(awkward)])
		}
		rows = append(rows, [][]byte{[]byte(awkward[(i/3)%len(awkward)]), num, []byte(s), bin, []byte(f), odd})
	}
	return rows
}

// TestCanonRowsLikeRowReader: on streams as our dumper writes them, the
// canonical reader returns exactly the rows of the general one.
func TestCanonRowsLikeRowReader(t *testing.T) {
	name := dumpers.DataStream("t")
	for _, n := range []int{0, 1, 2, 3, 50, 200} {
		for _, per := range []int{1, 2, 7, 1000} {
			for _, keys := range [][]string{{"id"}, {"k", "id"}, {"it's `odd`", "id"}} {
				stream := canonStream("t", canonCols, canonRowsFor(n), per)
				want, err := readRows(newRowReader(name, bytes.NewReader(stream), keys))
				if err != nil {
					t.Fatalf("rowReader: %v", err)
				}
				if len(want) != n {
					t.Fatalf("rowReader read %d rows of %d", len(want), n)
				}
				got, err := readRows(newCanonRows(name, &smallReads{r: bytes.NewReader(stream)}, keys, newChecker(name)))
				if err != nil {
					t.Fatalf("%d rows, %d per statement, key %q: %v", n, per, keys, err)
				}
				sameRows(t, fmt.Sprintf("%d rows, %d per statement, key %q", n, per, keys), got, want)
			}
		}
	}
}

// smallReads returns at most 7 bytes per Read, so rows and headers straddle
// every refill.
type smallReads struct{ r io.Reader }

func (s *smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 7)]) }

// TestCanonRowsRefuses: every way out of the dumper's layout is errNotCanonical
// (the general reader takes over), never a different reading of the rows.
func TestCanonRowsRefuses(t *testing.T) {
	name := dumpers.DataStream("t")
	head := "INSERT INTO `t` (`id`,`s`) VALUES\n"
	for _, tc := range []struct{ name, stream string }{
		{"backslash escape hides a row", head + "(1,'x\\'),\n(2,'),\n(3,'),\n(4,'z');\n"},
		{"comment", head + "(1,'a') /* x */;\n"},
		{"line comment", head + "(1,'a'),\n-- x\n(2,'b');\n"},
		{"double quotes", head + "(1,\"a\");\n"},
		{"space between rows", head + "(1,'a'), (2,'b');\n"},
		{"lower-case null", head + "(1,null);\n"},
		{"expression", head + "(1,1+1);\n"},
		{"function", head + "(1,CONCAT('a'));\n"},
		{"subquery", head + "(1,(SELECT 1));\n"},
		{"too few values", head + "(1);\n"},
		{"too many values", head + "(1,'a',2);\n"},
		{"no final newline", head + "(1,'a');"},
		{"truncated", head + "(1,'a'),\n"},
		{"unterminated string", head + "(1,'a);\n"},
		{"second statement differs", head + "(1,'a');\nINSERT INTO `t` (`s`,`id`) VALUES\n(2,'b');\n"},
		{"other statement", head + "(1,'a');\nDELETE FROM t;\n"},
		{"delimiter line", head + "(1,'a');\nDELIMITER ;;\n"},
		{"lower-case header", "insert into `t` (`id`,`s`) VALUES\n(1,'a');\n"},
		{"unquoted name", "INSERT INTO t (`id`,`s`) VALUES\n(1,'a');\n"},
		{"odd hex", head + "(1,X'414');\n"},
		{"hex without digits", head + "(1,0x);\n"},
		{"two signs", head + "(--1,'a');\n"},
		{"exponent without digits", head + "(1e,'a');\n"},
		{"other introducer", head + "(1,_binary 'a');\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readRows(newCanonRows(name, strings.NewReader(tc.stream), []string{"id"}, newChecker(name)))
			if !errors.Is(err, errNotCanonical) {
				t.Fatalf("got %v, want errNotCanonical", err)
			}
		})
	}
	// The header is checked by the allow-list.
	for _, s := range []string{
		"INSERT INTO `other` (`id`,`s`) VALUES\n(1,'a');\n",
		"INSERT INTO `__synco_installed` (`id`,`s`) VALUES\n(1,'a');\n",
	} {
		n := name
		if strings.Contains(s, RecordTable) {
			n = dumpers.DataStream(RecordTable)
		}
		_, err := readRows(newCanonRows(n, strings.NewReader(s), []string{"id"}, newChecker(n)))
		if !errors.Is(err, dumpers.ErrRefused) {
			t.Errorf("%q: got %v, want ErrRefused", s, err)
		}
	}
}

// FuzzCanonRows: whatever the canonical reader reads to its end, the general
// reader (the splitter, the allow-list on every statement, the lexer) reads too,
// as the same rows. This is the argument of canonRows' doc, tested.
func FuzzCanonRows(f *testing.F) {
	f.Add(canonStream("t", canonCols, canonRowsFor(20), 3))
	f.Add([]byte("INSERT INTO `t` (`id`,`s`) VALUES\n(1,'a'),\n(-2.5e+3,_utf8mb4 X'41'),\n(0x1F,X''),\n(NULL,'it''s\n;');\nINSERT INTO `t` (`id`,`s`) VALUES\n(3,'c');\n"))
	f.Add([]byte("INSERT INTO `t` (`id`,`s`) VALUES\n(1,'x\\'),\n(2,'),\n(3,'),\n(4,'z');\n"))
	name := dumpers.DataStream("t")
	f.Fuzz(func(t *testing.T, stream []byte) {
		for _, keys := range [][]string{{"id"}, {"s", "id"}} {
			got, err := readRows(newCanonRows(name, bytes.NewReader(stream), keys, newChecker(name)))
			if err != nil {
				if !errors.Is(err, errNotCanonical) && !errors.Is(err, errDeltaShape) && !errors.Is(err, dumpers.ErrRefused) {
					t.Fatalf("canonRows: unexpected error %v", err)
				}
				continue
			}
			want, err := readRows(newRowReader(name, bytes.NewReader(stream), keys))
			if err != nil {
				t.Fatalf("canonRows read %q, the general reader refuses it: %v", stream, err)
			}
			sameRows(t, "canonical vs general", got, want)
		}
	})
}

// BenchmarkDeltaReaders compares the canonical and the general reader on a
// stream of content-like rows.
func BenchmarkDeltaReaders(b *testing.B) {
	cols := []column{{name: "id", kind: kindNumber}, {name: "title", kind: kindString}, {name: "body", kind: kindString}, {name: "blob", kind: kindBinary}}
	var rows [][][]byte
	for i := range 5000 {
		body := strings.Repeat("Lorem ipsum dolor sit amet, it's a \"test\"\n", 40+i%50)
		rows = append(rows, [][]byte{[]byte(fmt.Sprint(i)), []byte("A title"), []byte(body), {1, 2, 3, byte(i)}})
	}
	stream := canonStream("t", cols, rows, 200)
	name := dumpers.DataStream("t")
	for _, tc := range []struct {
		name string
		r    func() delta.Reader
	}{
		{"canonical", func() delta.Reader {
			return newCanonRows(name, bytes.NewReader(stream), []string{"id"}, newChecker(name))
		}},
		{"general", func() delta.Reader { return newRowReader(name, bytes.NewReader(stream), []string{"id"}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				r := tc.r()
				for {
					if _, err := r.Next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}

// mergeCanon also returns the bytes of new that were skipped.
func mergeCanon(old, new []byte, keys []string) (*delta.Diff, int64, error) {
	name := dumpers.DataStream("t")
	n := newCanonRows(name, &smallReads{r: bytes.NewReader(new)}, keys, newChecker(name))
	d, err := delta.Merge(newCanonRows(name, bytes.NewReader(old), keys, nil), n, 0)
	return d, n.passed, err
}

func mergeGeneral(old, new []byte, keys []string) (*delta.Diff, error) {
	name := dumpers.DataStream("t")
	o := newRowReader(name, bytes.NewReader(old), keys)
	o.ck = nil
	return delta.Merge(o, newRowReader(name, bytes.NewReader(new), keys), 0)
}

func sameDiff(t testing.TB, a, b *delta.Diff) {
	t.Helper()
	eq := func(x, y [][]byte) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !bytes.Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if !eq(a.Delete, b.Delete) || !eq(a.Insert, b.Insert) {
		t.Fatalf("canonical diff -%d +%d, general -%d +%d:\n%q\n%q\n%q\n%q", len(a.Delete), len(a.Insert), len(b.Delete), len(b.Insert), a.Delete, a.Insert, b.Delete, b.Insert)
	}
}

// TestCanonMergeLikeGeneral: with skipping of the common rows, the difference
// is exactly the one the general readers find, for edits anywhere (first and
// last row, runs of edits, statements that end elsewhere in the new stream).
func TestCanonMergeLikeGeneral(t *testing.T) {
	base := canonRowsFor(300)
	edits := []struct {
		name string
		edit func(rows [][][]byte) [][][]byte
	}{
		{"none", func(r [][][]byte) [][][]byte { return r }},
		{"first row", func(r [][][]byte) [][][]byte { r[0][2] = []byte("changed"); return r }},
		{"last row", func(r [][][]byte) [][][]byte { r[len(r)-1][2] = []byte("changed"); return r }},
		{"every 10th row", func(r [][][]byte) [][][]byte {
			for i := 0; i < len(r); i += 10 {
				r[i][3] = []byte("x")
			}
			return r
		}},
		{"a run", func(r [][][]byte) [][][]byte {
			for i := 100; i < 140; i++ {
				r[i][2] = append([]byte("longer "), r[i][2]...)
			}
			return r
		}},
		{"deletes", func(r [][][]byte) [][][]byte { return append(append(r[:5:5], r[9:150]...), r[151:]...) }},
		{"inserts", func(r [][][]byte) [][][]byte {
			x := [][]byte{[]byte("new"), []byte("7.5"), nil, nil, []byte("1"), nil}
			return append(append(append(r[:50:50], x), r[50:]...), x)
		}},
		{"all", func(r [][][]byte) [][][]byte {
			for i := range r {
				r[i][4] = []byte("2")
			}
			return r
		}},
	}
	for _, e := range edits {
		for _, per := range [][2]int{{7, 7}, {7, 8}, {1000, 3}, {1, 1000}} {
			for _, keys := range [][]string{{"id"}, {"k", "id"}} {
				rows := make([][][]byte, len(base))
				for i, r := range base {
					rows[i] = append([][]byte(nil), r...)
				}
				old := canonStream("t", canonCols, base, per[0])
				new := canonStream("t", canonCols, e.edit(rows), per[1])
				c, passed, cerr := mergeCanon(old, new, keys)
				g, gerr := mergeGeneral(old, new, keys)
				if cerr != nil || gerr != nil {
					t.Fatalf("%s %v %q: %v / %v", e.name, per, keys, cerr, gerr)
				}
				sameDiff(t, c, g)
				if e.name == "none" && per[0] == per[1] && passed < int64(len(new))*9/10 {
					t.Errorf("identical streams: %d of %d bytes passed over", passed, len(new))
				}
				if e.name == "a run" && per[0] == per[1] && passed < int64(len(new))/2 {
					t.Errorf("one run of edits: %d of %d bytes passed over", passed, len(new))
				}
			}
		}
	}
}

// FuzzCanonMerge: whenever the canonical readers (skipping what the streams
// have in common) find a difference, the general readers find the same one.
func FuzzCanonMerge(f *testing.F) {
	old := canonStream("t", canonCols[:3], [][][]byte{{[]byte("a"), []byte("1"), []byte("x")}, {[]byte("b"), []byte("2"), []byte("y\n(3,'z')")}, {[]byte("c"), []byte("3"), nil}}, 2)
	f.Add(old, old)
	f.Add(old, bytes.Replace(old, []byte("'y"), []byte("'w"), 1))
	f.Add(old, bytes.Replace(old, []byte("'y"), []byte("'y\\"), 1))
	f.Add(old, bytes.Replace(old, []byte("(3,'z')"), []byte("'),\n(3,'"), 1))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		for _, keys := range [][]string{{"id"}, {"k", "id"}} {
			c, _, cerr := mergeCanon(old, new, keys)
			if cerr != nil {
				continue
			}
			g, gerr := mergeGeneral(old, new, keys)
			if gerr != nil {
				t.Fatalf("canonical merge of %q and %q succeeds, the general one fails: %v", old, new, gerr)
			}
			sameDiff(t, c, g)
		}
	})
}

// TestRowReaderOddOldStream: the general reader of an old stream (not checked
// again) gives up on a statement it cannot read as an INSERT, rather than loop
// (found by FuzzCanonMerge).
func TestRowReaderOddOldStream(t *testing.T) {
	for _, st := range []string{
		"INSErTINTO `t` (`k`,`id`) VALUES\n('a',1);\n",
		"INSERT INTO `t` (`k`,`id`;\n",
	} {
		r := newRowReader(dumpers.DataStream("t"), strings.NewReader(st), []string{"id"})
		r.ck = nil
		if _, err := readRows(r); !errors.Is(err, errDeltaShape) {
			t.Errorf("%q: %v, want errDeltaShape", st, err)
		}
	}
}
