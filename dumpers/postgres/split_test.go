package postgres_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"synco/dumpers/postgres"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"simple", "SELECT 1; SELECT 2;", []string{"SELECT 1;", "SELECT 2;"}},
		{"strings", `SELECT 'a;b''c'; SELECT E'x\';y'; SELECT "we;ird""q";`, []string{`SELECT 'a;b''c';`, `SELECT E'x\';y';`, `SELECT "we;ird""q";`}},
		{"comments", "-- lead;\nSELECT 1 -- x;\n; /* a; /* nested; */ b; */ SELECT 2;", []string{"SELECT 1 -- x;\n;", "/* a; /* nested; */ b; */ SELECT 2;"}},
		{"dollar", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT $tag$ $$; $tag$, $1;",
			[]string{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;", "SELECT $tag$ $$; $tag$, $1;"}},
		{"atomic", "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; BEGIN; COMMIT;",
			[]string{"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;", "BEGIN;", "COMMIT;"}},
		{"copy", "COPY t (a) FROM stdin;\n1\n\\\\.x\n\\.\nSELECT 1;\n", []string{"COPY t (a) FROM stdin;", "<copy>1\n\\\\.x\n", "SELECT 1;"}},
		{"empty copy", "COPY t FROM stdin;\n\\.\n", []string{"COPY t FROM stdin;", "<copy>"}},
		{"trailing comment", "SELECT 1;\n-- end\n", []string{"SELECT 1;"}},
		{"psql meta", "\\connect x\nSELECT 1;", []string{"\\connect x", "SELECT 1;"}},
		{"parens", "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);", []string{"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);"}},
	} {
		got, err := postgres.Split(strings.NewReader(tc.in))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"SELECT 'x;", "SELECT 1", "SELECT $$ x;", "/* x", "COPY t FROM stdin;\n1\n"} {
		_, err := postgres.Split(strings.NewReader(bad))
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%q: error %v, want unterminated", bad, err)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("SELECT 'a;b'; CREATE FUNCTION f() AS $x$ ; $x$; COPY t FROM stdin;\n1\n\\.\n")
	f.Fuzz(func(t *testing.T, s string) {
		postgres.Split(strings.NewReader(s)) // must not panic or hang
	})
}
