package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// TestHostileDumpRefused: a compromised source writes statements that act
// outside the staging database. Each is refused before it runs, and nothing
// outside the staging database changes: no file, no role, no membership,
// other databases and the target intact.
func TestHostileDumpRefused(t *testing.T) {
	t.Parallel()
	src := newDB(t, "hostilesrc")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(
		"CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'x');")); err != nil {
		t.Fatal(err)
	}
	good := dump(t, src, dumpers.Options{})
	victim := newDB(t, "victim")
	sfx := randSuffix()
	file := "/tmp/synco_test_pwned_" + sfx
	evil := "synco_test_evil_" + sfx
	grantee := "synco_test_grantee_" + sfx
	admin(t, "CREATE ROLE "+grantee)
	t.Cleanup(func() {
		if conn, err := pgx.Connect(context.Background(), serverDSN); err == nil {
			conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+evil)
			conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+grantee)
			conn.Close(context.Background())
		}
	})
	const data = "data/public.t.sql"
	for _, tc := range []struct {
		name, stream, stmt string
	}{
		{"copy to program", dumpers.SchemaStream, "COPY (SELECT 1) TO PROGRAM 'id > " + file + "';"},
		{"copy to program in data", data, "COPY (SELECT 1) TO PROGRAM 'id > " + file + "';"},
		{"copy from file", data, "COPY public.t (id, v) FROM '/etc/hostname';"},
		{"create role", dumpers.SchemaStream, "CREATE ROLE " + evil + " SUPERUSER LOGIN;"},
		{"drop database", dumpers.PostStream, "DROP DATABASE " + victim.Database + ";"},
		{"grant", dumpers.PostStream, "GRANT pg_execute_server_program TO " + grantee + ";"},
		{"read file function", dumpers.SchemaStream, "CREATE FUNCTION public.steal() RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('/etc/hostname') $$;"},
		{"read file in view", dumpers.PostStream, "CREATE VIEW public.steal AS SELECT pg_catalog.pg_read_file('/etc/hostname') AS f;"},
		{"psql connect", dumpers.SchemaStream, "\\connect " + victim.Database + "\nCREATE TABLE public.pwned (x int);"},
		{"do block", dumpers.SchemaStream, "DO $$ BEGIN EXECUTE 'CREATE ROLE " + evil + " SUPERUSER'; END $$;"},
		{"c function", dumpers.SchemaStream, "CREATE FUNCTION public.sys(cstring) RETURNS int AS '/lib/x86_64-linux-gnu/libc.so.6', 'system' LANGUAGE c STRICT;"},
		{"set role", dumpers.SchemaStream, "SET ROLE postgres;"},
		{"session authorization", dumpers.PostStream, "SET SESSION AUTHORIZATION postgres;"},
		{"alter owner", dumpers.PostStream, "ALTER TABLE public.t OWNER TO " + grantee + ";"},
		{"dynamic role in body", dumpers.SchemaStream, "CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'CREATE ROLE " + evil + " SUPERUSER'; END $$;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := dumperstest.NewMem()
			for n, b := range good.Streams {
				s.Streams[n] = b
			}
			if tc.stream == data {
				s.Streams[data] = []byte(tc.stmt + "\n" + string(good.Streams[data]))
			} else {
				s.Streams[tc.stream] = append(append([]byte{}, good.Streams[tc.stream]...), "\n"+tc.stmt+"\n"...)
			}
			dst := targetWithData(t)
			err := postgres.Import(t.Context(), dst, s, nil)
			var re *dumpers.RefusedError
			if !errors.Is(err, dumpers.ErrRefused) || !errors.As(err, &re) || re.Stream != tc.stream {
				t.Errorf("import: %v, want a RefusedError in %s", err, tc.stream)
			}
			conn := dbConn(t, server(t))
			if n := count(t, conn, "SELECT count(*) FROM pg_database WHERE datname = '"+victim.Database+"'"); n != 1 {
				t.Error("victim database dropped")
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_roles WHERE rolname = '"+evil+"'"); n != 0 {
				t.Error("role created")
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = '"+grantee+"'"); n != 0 {
				t.Error("role granted")
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_catalog.pg_stat_file('"+file+"', true) WHERE size IS NOT NULL"); n != 0 {
				t.Error("file written by the server")
			}
			d := dbConn(t, dst)
			if n := count(t, d, "SELECT count(*) FROM public.keep"); n != 1 {
				t.Error("target changed")
			}
			if n := count(t, d, "SELECT count(*) FROM pg_class WHERE relname IN ('t', 'pwned')"); n != 0 {
				t.Error("target got tables of the refused dump")
			}
			if n := leftovers(t, dst.Database); n != 0 {
				t.Errorf("%d staging databases left", n)
			}
		})
	}
}
