package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/phpser"
	"synco/dumpers/postgres"
	"synco/dumpers/rewrite"
)

const (
	prodURL  = "https://www.example.com"
	localURL = "http://example.test"
)

func ser(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

// cellsOf reads every column of public.t as text: id/column → value ("<NULL>").
func cellsOf(t *testing.T, cfg *postgres.Config) map[string]string {
	t.Helper()
	conn := dbConn(t, cfg)
	rows, err := conn.Query(t.Context(), `SELECT id::text, coalesce(v, '<NULL>'), coalesce(j::text, '<NULL>'), coalesce(jb::text, '<NULL>'), coalesce(a::text, '<NULL>'), coalesce(encode(b, 'escape'), '<NULL>') FROM public.t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id string
		var c [5]string
		if err := rows.Scan(&id, &c[0], &c[1], &c[2], &c[3], &c[4]); err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"v", "j", "jb", "a", "b"} {
			out[id+"/"+name] = c[i]
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRewriteCopyRows loads a dump through Rewrite: the production URL becomes
// the local one in text (also next to tabs, newlines and backslashes, which COPY
// escapes), serialized values (lengths recomputed), json with escaped slashes,
// jsonb and text[]; bytea and NULL stay; nothing else changes.
func TestRewriteCopyRows(t *testing.T) {
	src := newDB(t, "rwsrc")
	conn := dbConn(t, src)
	if _, err := conn.Exec(t.Context(), `CREATE TABLE public.t (id int PRIMARY KEY, v text, j json, jb jsonb, a text[], b bytea)`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		v, j, a             any
		wantV, wantJ, wantA string
	}
	rows := map[int]row{
		1: {prodURL, `{"u":"https:\/\/www.example.com\/x"}`, []string{prodURL + "/a", "b,c"}, localURL, `{"u":"http:\/\/example.test\/x"}`, `{http://example.test/a,"b,c"}`},
		2: {"a:1:{s:3:\"url\";" + ser(prodURL+"/p") + "}", nil, nil, "a:1:{s:3:\"url\";" + ser(localURL+"/p") + "}", "<NULL>", "<NULL>"},
		3: {"tab\there\\ " + prodURL + "\\\nnext\r\n//www.example.com/z", `["//www.example.com"]`, []string{`q"` + prodURL + `\`}, "tab\there\\ " + localURL + "\\\nnext\r\n//example.test/z", `["//example.test"]`, `{"q\"http://example.test\\"}`},
		4: {"https://www.example.com.au no", `{"n":1.50}`, nil, "https://www.example.com.au no", `{"n":1.50}`, "<NULL>"},
		5: {nil, nil, nil, "<NULL>", "<NULL>", "<NULL>"},
	}
	for id, r := range rows {
		if _, err := conn.Exec(t.Context(), `INSERT INTO public.t VALUES ($1, $2, $3::text::json, $3::text::jsonb, $4, convert_to($5, 'UTF8'))`, id, r.v, r.j, r.a, prodURL); err != nil {
			t.Fatal(err)
		}
	}
	before := cellsOf(t, src)
	d := dump(t, src, dumpers.Options{})
	dst := newDB(t, "rwdst")
	rw, err := rewrite.New(rewrite.Pair{From: prodURL, To: localURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.Import(t.Context(), dst, postgres.Rewrite(d, rw), nil); err != nil {
		t.Fatal(err)
	}
	got := cellsOf(t, dst)
	for id, r := range rows {
		k := fmt.Sprint(id)
		for col, want := range map[string]string{"v": r.wantV, "j": r.wantJ, "a": r.wantA} {
			if got[k+"/"+col] != want {
				t.Errorf("%s/%s: %q, want %q", k, col, got[k+"/"+col], want)
			}
		}
		if jb := got[k+"/jb"]; strings.Contains(jb, "www.example.com") && id != 4 {
			t.Errorf("%s/jb: %q", k, jb)
		}
		if b := got[k+"/b"]; b != before[k+"/b"] {
			t.Errorf("%s/b (bytea) changed: %q", k, b)
		}
		if v := got[k+"/v"]; phpser.Looks([]byte(v)) {
			if _, ok := phpser.Rewrite([]byte(v), func(s []byte) []byte { return s }); !ok {
				t.Errorf("%s/v no longer unserializes: %q", k, v)
			}
		}
	}
	if len(got) != len(before) {
		t.Errorf("%d cells, want %d", len(got), len(before))
	}
}

// TestRewriteHostileCopy: rows a compromised source could write, with the URL
// next to COPY escapes: after the rewrite every field is still one field of one
// row, and the statements are still checked (a refused one stays refused).
func TestRewriteHostileCopy(t *testing.T) {
	src := newDB(t, "rwhsrc")
	conn := dbConn(t, src)
	if _, err := conn.Exec(t.Context(), `CREATE TABLE public.t (id int PRIMARY KEY, v text)`); err != nil {
		t.Fatal(err)
	}
	d := dump(t, src, dumpers.Options{})
	name := dumpers.DataStream("public.t")
	d.Streams[name] = []byte("COPY public.t (id, v) FROM stdin;\n" +
		"1\thttps://www.example.com\\\\\n" + // ends in an escaped backslash
		"2\thttps://www.example.com\\t3\\tx\n" + // escaped tabs: one field
		"3\t\\x68ttps://www.example.com\\n\\\\.\n" + // hex escape, newline, "\."
		"4\thttps://www.example.com\\\n" + // a lone trailing backslash: the row goes on
		"https://www.example.com\n" +
		"5\thttps://www.example.com\n" +
		"\\.\n")
	dst := newDB(t, "rwhdst")
	rw, _ := rewrite.New(rewrite.Pair{From: prodURL, To: localURL})
	if err := postgres.Import(t.Context(), dst, postgres.Rewrite(d, rw), nil); err != nil {
		t.Fatal(err)
	}
	c := dbConn(t, dst)
	want := map[int]string{1: localURL + `\`, 2: localURL + "\t3\tx", 3: localURL + "\n\\.", 4: prodURL + "\n" + prodURL, 5: localURL}
	res, err := c.Query(t.Context(), `SELECT id, v FROM public.t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for res.Next() {
		var id int
		var v string
		if err := res.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		n++
		if v != want[id] {
			t.Errorf("row %d: %q, want %q", id, v, want[id])
		}
	}
	res.Close()
	if n != len(want) {
		t.Errorf("%d rows, want %d", n, len(want))
	}

	d.Streams[name] = []byte("COPY public.t (id, v) FROM stdin;\n1\thttps://www.example.com\n\\.\nDROP TABLE public.t;\n")
	if err := postgres.Import(t.Context(), newDB(t, "rwhref"), postgres.Rewrite(d, rw), nil); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("refused statement: %v", err)
	}
}
