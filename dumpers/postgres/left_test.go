package postgres_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// What the dump leaves out of the source (doc.go: row-level security, table
// inheritance other than partitioning) is said (dumpers.Options.Left), naming
// the tables, so that the user knows what the copy lacks; an excluded table
// is not named.
func TestDumpSaysWhatItLeavesOut(t *testing.T) {
	src := newDB(t, "left")
	conn := dbConn(t, src)
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `
CREATE TABLE public.base (id int PRIMARY KEY, v text);
CREATE TABLE public.derived (extra int) INHERITS (public.base);
CREATE TABLE public.rls (id int PRIMARY KEY, owner text);
ALTER TABLE public.rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.rls USING (owner = current_user);
CREATE TABLE public.hidden (id int PRIMARY KEY);
ALTER TABLE public.hidden FORCE ROW LEVEL SECURITY;
CREATE TABLE public.logs (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE public.logs_2026 PARTITION OF public.logs FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE public.plain (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var left []string
	s := dumperstest.NewMem()
	err := postgres.NewDumper(src).Dump(t.Context(), s, dumpers.Options{Exclude: []string{"hidden"}, Left: func(what string) {
		mu.Lock()
		defer mu.Unlock()
		left = append(left, what)
	}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	want := []string{
		"row-level security of public.rls (1 policy): the copy has none, so every role sees every row",
		"the inheritance of public.derived from public.base: the copy has both tables and their rows, but a query on the parent no longer includes the child's rows",
	}
	if !slices.Equal(left, want) {
		t.Errorf("left out:\n%s\nwant\n%s", strings.Join(left, "\n"), strings.Join(want, "\n"))
	}
}
