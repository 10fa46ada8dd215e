package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// ownedTarget creates a login role without CREATEDB (nor CREATEROLE) that owns
// a new database holding some content of its own; both are dropped at cleanup.
func ownedTarget(t *testing.T) *postgres.Config {
	t.Helper()
	imp := importer(t, "")
	name := "synco_test_owned_" + randSuffix()
	admin(t, "CREATE DATABASE "+name+" OWNER "+imp.User)
	t.Cleanup(func() { dropDB(name) })
	cfg := imp.WithDatabase(name)
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(`CREATE TABLE public.keep (v text); INSERT INTO public.keep VALUES ('old');
CREATE VIEW public.keep_n AS SELECT count(*) AS n FROM public.keep;
CREATE FUNCTION public.keep_f() RETURNS int LANGUAGE sql AS $$ SELECT 7 $$;
CREATE SCHEMA extra; CREATE TABLE extra.x (id int PRIMARY KEY); INSERT INTO extra.x VALUES (1);
CREATE EXTENSION pg_trgm WITH SCHEMA public;`)); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fingerprintPG describes a database: its objects, data, schemas and extensions.
func fingerprintPG(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var b strings.Builder
	for _, name := range []string{"columns", "views", "triggers", "functions", "types", "constraints", "indexes", "sequences"} {
		fmt.Fprintln(&b, name, rowsOf(t, conn, objectQueries[name]))
	}
	fmt.Fprintln(&b, tableSums(t, conn))
	fmt.Fprintln(&b, rowsOf(t, conn, `SELECT nspname || ' ' || nspowner::regrole::text || ' ' || coalesce(nspacl::text, '') FROM pg_namespace`))
	fmt.Fprintln(&b, rowsOf(t, conn, `SELECT extname || ' ' || extnamespace::regnamespace::text FROM pg_extension`))
	return b.String()
}

func TestStagingModePG(t *testing.T) {
	t.Parallel()
	owned := ownedTarget(t)
	for _, tc := range []struct {
		name string
		cfg  *postgres.Config
		want postgres.StageMode
	}{
		{"superuser", server(t).WithDatabase(owned.Database), postgres.StageDatabase},
		{"owner without CREATEDB", owned, postgres.StageSchemas},
		{"owner, target missing", owned.WithDatabase("synco_test_missing_" + randSuffix()), postgres.StageDatabase},
		{"createdb", importer(t, "CREATEDB").WithDatabase(owned.Database), postgres.StageDatabase},
	} {
		if m, err := postgres.StagingMode(t.Context(), tc.cfg); err != nil || m != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, m, err, tc.want)
		}
	}
}

// TestOwnerImportsPagila: the owner of a database, without CREATEDB, imports
// Pagila into it: exactly the dump afterwards (what was there is gone), the
// copy dumps to the same bytes, nothing staged is left, public is as in a new
// database (as the staging database of StageDatabase has it).
func TestOwnerImportsPagila(t *testing.T) {
	t.Parallel()
	src := loadPagila(t, true)
	srcConn := dbConn(t, src)
	s := dump(t, src, dumpers.Options{})
	dst := ownedTarget(t)
	mode, err := postgres.ImportWithMode(t.Context(), dst, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mode != postgres.LoadAsUser {
		t.Errorf("load mode %v", mode)
	}
	dstConn := dbConn(t, dst)
	checkPagila(t, dstConn, true)
	sameDatabase(t, srcConn, dstConn)
	s2 := dump(t, dst, dumpers.Options{})
	for _, n := range s.Names() {
		if !bytes.Equal(bytes.ReplaceAll(s.Streams[n], []byte(" SECURITY DEFINER\n"), nil), s2.Streams[n]) {
			t.Errorf("stream %s differs after a round trip", n)
		}
	}
	if got, want := rowsOf(t, dstConn, `SELECT nspname || ' ' || nspowner::regrole::text || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema)'`),
		rowsOf(t, dbConn(t, newDB(t, "fresh")), `SELECT nspname || ' ' || nspowner::regrole::text || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema)'`); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("schemas %v, want %v", got, want)
	}
	if n := count(t, dstConn, "SELECT count(*) FROM pg_class WHERE relname IN ('keep', 'x')"); n != 0 {
		t.Errorf("%d tables that only the target had are left", n)
	}
}

// TestOwnerImportFailureKeepsTarget: a failing, cancelled or hostile import in
// StageSchemas leaves the target exactly as it was, without staged schemas.
func TestOwnerImportFailureKeepsTarget(t *testing.T) {
	t.Parallel()
	good := smallDump(t)
	dst := ownedTarget(t)
	super := dbConn(t, server(t).WithDatabase(dst.Database))
	want := fingerprintPG(t, super)
	with := func(stream, sql string) *dumperstest.Mem {
		m := dumperstest.NewMem()
		for n, b := range good.Streams {
			m.Streams[n] = b
		}
		m.Streams[stream] = append(append([]byte{}, good.Streams[stream]...), sql...)
		return m
	}
	for _, tc := range []struct {
		name    string
		src     func(cancel context.CancelFunc) dumpers.Source
		refused bool
	}{
		{"data stream fails", func(context.CancelFunc) dumpers.Source { return &faultySource{Mem: good, n: 1} }, false},
		{"cancelled mid-load", func(c context.CancelFunc) dumpers.Source {
			return &faultySource{Mem: good, n: 1, block: true, cancel: c}
		}, false},
		{"bad view in post.sql", func(context.CancelFunc) dumpers.Source {
			return with(dumpers.PostStream, "\nCREATE VIEW public.v_bad AS\n SELECT n FROM public.no_such_table;\n")
		}, false},
		{"drop database", func(context.CancelFunc) dumpers.Source {
			return with(dumpers.PostStream, "\nDROP DATABASE "+dst.Database+";\n")
		}, true},
		{"copy to program", func(context.CancelFunc) dumpers.Source {
			return with(dumpers.PostStream, "\nCOPY public.t TO PROGRAM 'id';\n")
		}, true},
		{"rename a schema", func(context.CancelFunc) dumpers.Source {
			return with(dumpers.SchemaStream, "\nALTER SCHEMA public RENAME TO gone;\n")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err := postgres.Import(ctx, dst, tc.src(cancel), nil)
			if err == nil {
				t.Fatal("import succeeded")
			}
			if tc.refused != errors.Is(err, dumpers.ErrRefused) {
				t.Errorf("import: %v (refused: want %v)", err, tc.refused)
			}
			if got := fingerprintPG(t, super); got != want {
				t.Errorf("target changed:\n%s\nwant\n%s", got, want)
			}
			if n := count(t, super, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\_\_synco%'`); n != 0 {
				t.Errorf("%d staged schemas left", n)
			}
		})
	}
	if err := postgres.Import(t.Context(), dst, good, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, super, "SELECT count(*) FROM public.t"); n != 1 {
		t.Errorf("good import: %d rows", n)
	}
}

// TestOwnerImportForeignExtension: an extension of the target that belongs to
// another role cannot be replaced in StageSchemas: the import fails naming it,
// the target stays as it was.
func TestOwnerImportForeignExtension(t *testing.T) {
	t.Parallel()
	dst := ownedTarget(t)
	super := dbConn(t, server(t).WithDatabase(dst.Database))
	if _, err := super.Exec(t.Context(), "CREATE EXTENSION citext WITH SCHEMA public"); err != nil {
		t.Fatal(err)
	}
	want := fingerprintPG(t, super)
	err := postgres.Import(t.Context(), dst, smallDump(t), nil)
	if !errors.Is(err, postgres.ErrPrivilege) || !strings.Contains(err.Error(), "citext") {
		t.Errorf("import: %v, want ErrPrivilege naming citext", err)
	}
	if got := fingerprintPG(t, super); got != want {
		t.Errorf("target changed:\n%s\nwant\n%s", got, want)
	}
}
