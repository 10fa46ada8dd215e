package postgres_test

import (
	"slices"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/postgres"
)

func TestParseArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"{}", []string{}},
		{"{1,22,333}", []string{"1", "22", "333"}},
		{`{id,"Odd Col","a\"b","c\\d","",NULLX,"NULL","{x}","p,q"}`,
			[]string{"id", "Odd Col", `a"b`, `c\d`, "", "NULLX", "NULL", "{x}", "p,q"}},
		{`{"\"Odd \"\"Col\"\", x\""}`, []string{`"Odd ""Col"", x"`}},
	} {
		got, err := postgres.ParseArray(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "{", "x", "{NULL}", "{a,NULL}", `{"a}`, `{"a\}`, "{a,}", "{,a}", "{{1,2},{3,4}}", `{"a"b}`, "[1:2]={1,2}"} {
		if got, err := postgres.ParseArray(bad); err == nil {
			t.Errorf("%q: got %q, want an error", bad, got)
		}
	}
}

// TestParseArrayServerOutput parses what the server prints for text arrays.
func TestParseArrayServerOutput(t *testing.T) {
	t.Parallel()
	conn := dbConn(t, server(t))
	want := []string{"plain", "with space", `"quoted ""ident"""`, `back\slash`, "{braces}", "a,b", "", "null", "NULL",
		"tab\there", "new\nline", "😀 ünï", " lead", "trail "}
	var s string
	if err := conn.QueryRow(t.Context(), "SELECT $1::text[]::text", want).Scan(&s); err != nil {
		t.Fatal(err)
	}
	got, err := postgres.ParseArray(s)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("%s: got %q, %v; want %q", s, got, err, want)
	}
}

// TestOddPrimaryKeyNames dumps a table whose key columns need quoting (the
// key comes from the catalog as a text array) and checks the row order.
func TestOddPrimaryKeyNames(t *testing.T) {
	t.Parallel()
	cfg := newDB(t, "oddpk")
	setup := `CREATE TABLE public.t ("k ""2"", x" integer, "K{1}\" text, v text, PRIMARY KEY ("K{1}\", "k ""2"", x"));
INSERT INTO public.t VALUES (2, 'b', 'x'), (1, 'b', 'y'), (3, 'a', 'z');`
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(setup)); err != nil {
		t.Fatal(err)
	}
	s := dump(t, cfg, dumpers.Options{})
	want := "COPY public.t (\"k \"\"2\"\", x\", \"K{1}\\\", v) FROM stdin;\n3\ta\tz\n1\tb\ty\n2\tb\tx\n\\.\n"
	if got := string(s.Streams[dumpers.DataStream("public.t")]); got != want {
		t.Errorf("data stream:\n%s\nwant:\n%s", got, want)
	}
}
