package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// rowsIn counts the COPY rows of a data stream.
func rowsIn(s *dumperstest.Mem, table string) int {
	b := s.Streams[dumpers.DataStream(table)]
	return bytes.Count(b, []byte{'\n'}) - 2 // COPY line and "\."
}

// TestDumpConsistentUnderWrites runs transactions that each add one row to two
// tables while a parallel dump runs; the dump must see both or neither.
func TestDumpConsistentUnderWrites(t *testing.T) {
	t.Parallel()
	cfg := newDB(t, "consist")
	setup := `CREATE TABLE public.a (id serial PRIMARY KEY, pad text);
CREATE TABLE public.b (id serial PRIMARY KEY, pad text);
CREATE TABLE public.c (id int PRIMARY KEY);
INSERT INTO public.a (pad) SELECT repeat('x', 200) FROM generate_series(1, 20000);
INSERT INTO public.b (pad) SELECT repeat('y', 200) FROM generate_series(1, 20000);
INSERT INTO public.c SELECT generate_series(1, 1000);`
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(setup)); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	writer := dbConn(t, cfg)
	wg.Add(1)
	var writes int
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_, err := writer.Exec(ctx, `BEGIN; INSERT INTO public.b (pad) VALUES ('new'); INSERT INTO public.a (pad) VALUES ('new');
UPDATE public.c SET id = id + 1000000 WHERE id = (SELECT min(id) FROM public.c); COMMIT`)
			if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
				t.Error(err)
				return
			}
			writes++
		}
	}()
	for i := 0; i < 3; i++ {
		s := dump(t, cfg, dumpers.Options{Parallel: 3})
		a, b := rowsIn(s, "public.a"), rowsIn(s, "public.b")
		if a != b {
			t.Errorf("dump %d: a has %d rows, b has %d: not one snapshot", i, a, b)
		}
		if c := rowsIn(s, "public.c"); c != 1000 {
			t.Errorf("dump %d: c has %d rows", i, c)
		}
	}
	stop()
	wg.Wait()
	if writes == 0 {
		t.Error("no concurrent writes happened")
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	cfg := newDB(t, "opts")
	setup := `CREATE TABLE public.keep (id int PRIMARY KEY, v text);
CREATE TABLE public.logs (id int PRIMARY KEY);
CREATE TABLE public.cache_x (id int PRIMARY KEY, k int REFERENCES public.keep);
CREATE VIEW public.cv AS SELECT * FROM public.cache_x;
INSERT INTO public.keep SELECT g, 'v' || g FROM generate_series(1, 10) g;
INSERT INTO public.logs VALUES (1), (2);`
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(setup)); err != nil {
		t.Fatal(err)
	}
	s := dump(t, cfg, dumpers.Options{Exclude: []string{"public.cache_*"}, StructureOnly: []string{"logs"},
		Where: map[string]string{"keep": "id % 2 = 0"}})
	want := []string{dumpers.DataStream("public.keep"), dumpers.PostStream, dumpers.SchemaStream}
	if got := s.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("streams %v, want %v", got, want)
	}
	if n := rowsIn(s, "public.keep"); n != 5 {
		t.Errorf("keep rows %d, want 5", n)
	}
	all := string(s.Concat())
	if strings.Contains(all, "cache_x") || strings.Contains(all, "public.cv") {
		t.Error("excluded table or its view is in the dump")
	}
	dst := newDB(t, "optsdst")
	if err := postgres.Import(t.Context(), dst, s, nil); err != nil {
		t.Fatal(err)
	}
	conn := dbConn(t, dst)
	if n := count(t, conn, "SELECT count(*) FROM public.logs"); n != 0 {
		t.Errorf("structure-only table has %d rows", n)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	cfg := newDB(t, "errs")
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(
		"CREATE TABLE public.secret (id int PRIMARY KEY); CREATE TABLE public.open (id int);")); err != nil {
		t.Fatal(err)
	}
	err := postgres.NewDumper(cfg.WithUser("synco_nobody_"+randSuffix())).Dump(t.Context(), dumperstest.NewMem(), dumpers.Options{})
	if !errors.Is(err, postgres.ErrAuth) {
		t.Errorf("unknown role: %v, want ErrAuth", err)
	}
	role := "synco_test_role_" + randSuffix()
	admin(t, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		dropDB(cfg.Database)
		if conn, err := pgx.Connect(context.Background(), serverDSN); err == nil {
			conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			conn.Close(context.Background())
		}
	})
	err = postgres.NewDumper(cfg.WithUser(role)).Dump(t.Context(), dumperstest.NewMem(), dumpers.Options{})
	if !errors.Is(err, postgres.ErrPrivilege) || !strings.Contains(err.Error(), "SELECT on table public.open") {
		t.Errorf("no SELECT: %v, want ErrPrivilege naming it", err)
	}
	err = postgres.Import(t.Context(), cfg.WithUser(role), dumperstest.NewMem(), nil)
	if !errors.Is(err, postgres.ErrPrivilege) || !strings.Contains(err.Error(), "CREATEDB") {
		t.Errorf("import without CREATEDB: %v, want ErrPrivilege naming it", err)
	}
}
