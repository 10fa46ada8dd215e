package postgres_test

import (
	"path/filepath"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/postgres"
	"synco/internal/testenv"
)

// allowed are statements our dumper writes (taken from real dumps: Pagila and
// edgeSchema).
var allowed = []string{
	"SET statement_timeout = 0;",
	"SET client_encoding = 'UTF8';",
	"SET standard_conforming_strings = on;",
	"SELECT pg_catalog.set_config('search_path', '', false);",
	"SET xmloption = content;",
	`CREATE SCHEMA "Odd Schema";`,
	"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;",
	`CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;`,
	`CREATE DOMAIN public."bıgınt" AS bigint;`,
	"CREATE TYPE public.floatrange AS RANGE (subtype = double precision, subtype_diff = float8mi);",
	"CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy 😀');",
	"CREATE TYPE public.pair AS (a integer, b text);",
	"CREATE DOMAIN public.posint AS integer DEFAULT 1 NOT NULL CONSTRAINT posint_check CHECK ((VALUE > 0));",
	"CREATE SEQUENCE public.odd_seq AS integer START WITH 3 INCREMENT BY 7 MINVALUE -100 MAXVALUE 1000 CACHE 1 CYCLE;",
	"CREATE TABLE \"Odd Schema\".\"edge Table\" (\n    id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME \"Odd Schema\".\"edge Table_id_seq\" START WITH 10) NOT NULL,\n    txt text COLLATE pg_catalog.\"C\",\n    g text GENERATED ALWAYS AS (upper(txt)) STORED\n);",
	"CREATE TABLE public.logs (\n    id integer NOT NULL\n) PARTITION BY LIST (kind);",
	"CREATE UNLOGGED TABLE public.scratch (\n    id integer NOT NULL\n) WITH (fillfactor=70);",
	"CREATE OR REPLACE FUNCTION public._group_concat(text, text)\n RETURNS text\n LANGUAGE sql\n IMMUTABLE\nAS $function$\nSELECT CASE WHEN $2 IS NULL THEN $1 ELSE $1 || ', ' || $2 END\n$function$\n;",
	"CREATE OR REPLACE PROCEDURE public.bump(INOUT n integer)\n LANGUAGE plpgsql\nAS $procedure$ BEGIN n := n + 1; /* ; */ END $procedure$\n;",
	"CREATE OR REPLACE FUNCTION public.f()\n RETURNS SETOF public.customer\n LANGUAGE plpgsql\n SET search_path TO 'public', 'pg_temp'\nAS $function$\nDECLARE tmpSQL TEXT; BEGIN\n tmpSQL := 'DROP TABLE tmpCustomer'; EXECUTE tmpSQL; RAISE EXCEPTION 'must be > $0.00'; RETURN; END\n$function$\n;",
	"CREATE AGGREGATE public.group_concat(text) (SFUNC = public._group_concat, STYPE = text);",
	"ALTER TABLE ONLY public.actor ALTER COLUMN actor_id SET DEFAULT nextval('public.actor_actor_id_seq'::regclass);",
	"ALTER SEQUENCE public.scratch_id_seq OWNED BY public.scratch.id;",
	"ALTER TABLE ONLY public.logs ATTACH PARTITION public.logs_rest_new FOR VALUES FROM ('2020-01-01') TO (MAXVALUE);",
	"COMMENT ON COLUMN \"Odd Schema\".\"edge Table\".txt IS 'text 😀';",
	"COMMENT ON SCHEMA public IS 'standard public schema';",
	"COMMENT ON TABLE \"Odd Schema\".\"edge Table\" IS 'edge values; it''s odd';",
	"COMMENT ON FUNCTION public.add(a integer, b integer) IS 'adds';",
	"COMMENT ON CONSTRAINT c ON DOMAIN public.d IS 'x';",
	"COMMENT ON TRIGGER tr ON public.t IS NULL;",
	`ALTER TABLE ONLY "Odd Schema"."edge Table" ADD CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&);`,
	"ALTER TABLE public.logs ADD CONSTRAINT logs_id_pos CHECK ((id > 0));",
	"ALTER TABLE ONLY public.parent_ref ADD CONSTRAINT fk FOREIGN KEY (l_id) REFERENCES public.logs(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;",
	"CREATE UNIQUE INDEX edge_expr ON \"Odd Schema\".\"edge Table\" USING btree (lower(txt)) WHERE (txt IS NOT NULL);",
	"CREATE INDEX logs_at ON ONLY public.logs USING btree (at);",
	"CREATE INDEX edge_trgm ON \"Odd Schema\".\"edge Table\" USING gin (txt public.gin_trgm_ops);",
	"ALTER INDEX public.logs_at ATTACH PARTITION public.logs_a_at_idx;",
	"CREATE OR REPLACE FUNCTION public.add(a integer, b integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nBEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN (a + b) END;\n SELECT 1;\nEND\n;",
	"CREATE OR REPLACE FUNCTION public.scratch_count()\n RETURNS bigint\n LANGUAGE sql\nRETURN (SELECT count(*) AS count FROM public.scratch)\n;",
	"CREATE VIEW public.v1 AS\nSELECT \"edge Table\".id,\n    upper(\"edge Table\".txt) AS t\n   FROM \"Odd Schema\".\"edge Table\";",
	"CREATE VIEW public.v2 WITH (security_barrier='true') AS\nSELECT 1 AS one;",
	"CREATE MATERIALIZED VIEW public.mv AS\nSELECT logs.kind, count(*) AS n FROM public.logs GROUP BY logs.kind\n  WITH NO DATA;",
	"REFRESH MATERIALIZED VIEW public.mv;",
	`SELECT pg_catalog.setval('"Odd Schema"."edge Table_id_seq"', 20, true);`,
	"SELECT pg_catalog.setval('public.odd_seq', -38, false);",
	"CREATE TRIGGER film_fulltext_trigger BEFORE INSERT OR UPDATE ON public.film FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');",
	"CREATE TRIGGER scratch_touch BEFORE UPDATE ON public.scratch FOR EACH ROW WHEN ((old.v IS DISTINCT FROM new.v)) EXECUTE FUNCTION public.touch();",
	"ALTER TABLE public.scratch DISABLE TRIGGER scratch_off;",
	"ALTER TABLE public.scratch ENABLE REPLICA TRIGGER scratch_off;",
}

// refusedDDL are statements schema.sql and post.sql must not hold, with a
// word of the reason.
var refusedDDL = []struct{ stmt, why string }{
	{"COPY (SELECT 1) TO PROGRAM 'id';", "COPY"},
	{"COPY public.t FROM stdin;", "COPY"},
	{"CREATE ROLE evil SUPERUSER;", "role"},
	{"CREATE USER evil;", "role"},
	{"ALTER ROLE postgres PASSWORD 'x';", "role"},
	{"DROP ROLE postgres;", "role"},
	{"CREATE GROUP g;", "role"},
	{"GRANT pg_execute_server_program TO x;", "GRANT"},
	{"GRANT ALL ON TABLE public.t TO PUBLIC;", "GRANT"},
	{"REVOKE ALL ON SCHEMA public FROM PUBLIC;", "REVOKE"},
	{"ALTER TABLE public.t OWNER TO postgres;", "OWNER"},
	{"ALTER FUNCTION public.f() OWNER TO postgres;", "shape"},
	{"ALTER FUNCTION public.f() SECURITY DEFINER;", "shape"},
	{"CREATE DATABASE x;", "databases"},
	{"DROP DATABASE postgres;", "databases"},
	{"ALTER DATABASE postgres SET search_path = evil;", "databases"},
	{"ALTER SYSTEM SET archive_command = 'id';", "SYSTEM"},
	{"SET ROLE postgres;", "SET"},
	{"RESET ROLE;", "role"},
	{"SET SESSION AUTHORIZATION postgres;", "SET"},
	{"SET standard_conforming_strings = off;", "value"},
	{"SET client_encoding = 'SJIS';", "value"},
	{"SET search_path = public;", "SET"},
	{"SET statement_timeout = 0; DROP DATABASE x;", ""},
	{"\\connect other", "meta-command"},
	{"\\! rm -rf /", "meta-command"},
	{"SELECT 1 \\g", "unreadable"},
	{"DO $$ BEGIN PERFORM 1; END $$;", "DO"},
	{"LOAD '/tmp/evil.so';", "LOAD"},
	{"CREATE FUNCTION public.sys(cstring) RETURNS int AS '/lib/libc.so.6', 'system' LANGUAGE c STRICT;", "library"},
	{"CREATE FUNCTION public.f() RETURNS int LANGUAGE c AS 'f';", "language c"},
	{"CREATE FUNCTION public.f() RETURNS int LANGUAGE internal AS 'int4pl';", "language internal"},
	{"CREATE FUNCTION public.f() RETURNS int LANGUAGE plpython3u AS $$ import os $$;", "plpython3u"},
	{"CREATE FUNCTION public.f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE \"C\";", "language"},
	{"CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('/etc/passwd') $$;", "pg_read_file"},
	{"CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT pg_catalog.\"pg_read_binary_file\"('/x') $$;", "pg_read_binary_file"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY (SELECT 1) TO PROGRAM 'id'; END $$;", "program"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY public.t TO '/tmp/x'; END $$;", "file"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT lo_import(''/etc/passwd'')'; END $$;", "lo_import"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'ALTER SYSTEM SET x = 1'; END $$;", "ALTER SYSTEM"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RESET ROLE; END $$;", "RESET ROLE"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM dblink_exec('x', 'y'); END $$;", "dblink"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN GRANT ALL ON public.t TO x; END $$;", "GRANT"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql SET role TO postgres AS $$ BEGIN END $$;", "sets role"},
	{"CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql SET session_preload_libraries = 'x' AS $$ BEGIN END $$;", "sets"},
	{"CREATE FUNCTION public.f(int) RETURNS int LANGUAGE sql SUPPORT public.s AS $$ SELECT 1 $$;", "SUPPORT"},
	{"CREATE FUNCTION pg_catalog.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;", "system schema"},
	{"CREATE TABLE pg_catalog.t (x int);", "system schema"},
	{"CREATE TABLE information_schema.t (x int);", "system schema"},
	{"CREATE TABLE t (x int);", "qualified"},
	{"CREATE TABLE public.t AS SELECT pg_sleep(1);", "CREATE TABLE"},
	{"CREATE VIEW public.v AS SELECT 1; DROP DATABASE x;", "more than one"},
	{"CREATE FUNCTION public.f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; DROP DATABASE x;", "more than one"},
	{"CREATE TABLE public.t (x int) TABLESPACE evil;", "tablespace"},
	{"CREATE SCHEMA pg_evil;", "system schema"},
	{"CREATE SCHEMA s AUTHORIZATION postgres;", "CREATE SCHEMA"},
	{"CREATE EXTENSION adminpack;", "trusted"},
	{"CREATE EXTENSION IF NOT EXISTS dblink WITH SCHEMA public;", "trusted"},
	{"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA pg_catalog;", "system schema"},
	{"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public CASCADE;", "EXTENSION"},
	{"CREATE VIEW public.v AS SELECT pg_catalog.pg_ls_dir('/') AS f;", "pg_ls_dir"},
	{"CREATE VIEW public.v AS SELECT query_to_xml('select 1', true, true, '') AS f;", "query_to_xml"},
	{"CREATE MATERIALIZED VIEW public.v AS SELECT pg_terminate_backend(1);", "pg_terminate_backend"},
	{"CREATE VIEW public.v AS SELECT set_config('role', 'postgres', false);", "set_config"},
	{"CREATE VIEW public.v AS SELECT U&\"pg\\005fread_file\"('/x');", "unreadable"},
	{"ALTER TABLE ONLY public.t ALTER COLUMN a SET DEFAULT lo_export(1, '/tmp/x');", "lo_export"},
	{"ALTER TABLE ONLY public.t ADD CONSTRAINT c CHECK (pg_read_file('/x') <> '');", "pg_read_file"},
	{"ALTER TABLE pg_catalog.pg_class ADD CONSTRAINT c CHECK (true);", "system schema"},
	{"ALTER TABLE public.t RENAME TO u;", "ALTER TABLE"},
	{"ALTER TABLE public.t DROP COLUMN x;", "ALTER TABLE"},
	{"SELECT 1;", "setval"},
	{"SELECT pg_catalog.setval('x', 1, true), pg_read_file('/x');", "setval"},
	{"SELECT pg_catalog.set_config('role', 'postgres', false);", "set_config"},
	{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity;", "setval"},
	{"INSERT INTO public.t VALUES (1);", "shape"},
	{"DELETE FROM public.t;", "shape"},
	{"DROP TABLE public.t;", "shape"},
	{"CREATE RULE r AS ON INSERT TO public.t DO INSTEAD NOTHING;", "shape"},
	{"CREATE POLICY p ON public.t USING (true);", "shape"},
	{"CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION public.f();", "shape"},
	{"COMMENT ON DATABASE postgres IS 'x';", "outside"},
	{"COMMENT ON ROLE postgres IS 'x';", "outside"},
	{"COMMENT ON TABLE pg_catalog.pg_class IS 'x';", "system schema"},
	{"COMMENT ON TABLE public.t IS 'x'; DROP DATABASE x;", ""},
	{"REFRESH MATERIALIZED VIEW CONCURRENTLY public.mv;", "qualified"},
	{"CHECKPOINT;", "shape"},
	{"VACUUM FULL;", "shape"},
	{"CREATE TABLE public.t (x int) /* unterminated", "unreadable"},
	{"CREATE TABLE public.t (x text DEFAULT 'a\x00b');", "unreadable"},
}

func TestAllowList(t *testing.T) {
	for _, s := range allowed {
		if _, why := postgres.CheckStatement(s, false); why != "" {
			t.Errorf("refused %q: %s", s, why)
		}
	}
	for _, tc := range refusedDDL {
		run, why := postgres.CheckStatement(tc.stmt, false)
		if why == "" {
			t.Errorf("allowed %q (runs %q)", tc.stmt, run)
		} else if !strings.Contains(strings.ToLower(why), strings.ToLower(tc.why)) {
			t.Errorf("%q refused for %q, want a reason with %q", tc.stmt, why, tc.why)
		}
	}
	// Data streams hold COPY … FROM stdin only.
	for _, s := range []string{"COPY public.t (id, v) FROM stdin;", `COPY "Odd Schema"."edge Table" (id, "we""ird") FROM stdin;`} {
		if _, why := postgres.CheckStatement(s, true); why != "" {
			t.Errorf("data: refused %q: %s", s, why)
		}
	}
	for _, s := range []string{
		"COPY public.t (id) FROM '/etc/passwd';", "COPY public.t FROM PROGRAM 'id';", "COPY public.t TO stdout;",
		"COPY (SELECT 1) TO PROGRAM 'id';", "COPY pg_catalog.pg_authid FROM stdin;", "COPY t FROM stdin;",
		"COPY public.t (id) FROM stdin WHERE pg_read_file('/x') <> '';", "COPY public.t FROM stdin; DROP DATABASE x;",
		"SET statement_timeout = 0;", "CREATE TABLE public.t (x int);",
	} {
		if _, why := postgres.CheckStatement(s, true); why == "" {
			t.Errorf("data: allowed %q", s)
		}
	}
}

// TestSecurityDefinerRewritten: SECURITY DEFINER becomes SECURITY INVOKER,
// and nothing else of the statement changes.
func TestSecurityDefinerRewritten(t *testing.T) {
	in := "CREATE OR REPLACE FUNCTION public.rewards_report(m integer)\n RETURNS SETOF public.customer\n LANGUAGE plpgsql\n SECURITY DEFINER\nAS $function$ BEGIN RETURN; END $function$\n;"
	run, why := postgres.CheckStatement(in, false)
	if why != "" {
		t.Fatal(why)
	}
	if want := strings.Replace(in, "SECURITY DEFINER", "SECURITY INVOKER", 1); run != want {
		t.Errorf("runs %q, want %q", run, want)
	}
	in = "CREATE FUNCTION public.f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql EXTERNAL SECURITY definer;"
	if run, _ := postgres.CheckStatement(in, false); !strings.HasSuffix(run, "EXTERNAL SECURITY INVOKER;") {
		t.Errorf("runs %q", run)
	}
}

// TestAllowListAcceptsRealDumps: every statement of a dump of Pagila plus
// edgeSchema passes (the round-trip tests import them; this names the
// statement when one does not).
func TestAllowListAcceptsRealDumps(t *testing.T) {
	t.Parallel()
	src := newDB(t, "allowsrc")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(edgeSchema)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pagila-schema.sql", "pagila-data.sql"} {
		runFile(t, src, filepath.Join(testenv.RealData(t, "pagila"), f))
	}
	s := dump(t, src, dumpers.Options{})
	for _, n := range s.Names() {
		stmts, err := postgres.Split(strings.NewReader(string(s.Streams[n])))
		if err != nil {
			t.Fatal(err)
		}
		data := strings.HasPrefix(n, dumpers.DataDir)
		for _, st := range stmts {
			if strings.HasPrefix(st, "<copy>") {
				continue
			}
			if _, why := postgres.CheckStatement(st, data); why != "" {
				t.Errorf("%s: refused %q: %s", n, st, why)
			}
		}
	}
}

func FuzzCheckStatement(f *testing.F) {
	for _, s := range allowed {
		f.Add(s)
	}
	for _, tc := range refusedDDL {
		f.Add(tc.stmt)
	}
	f.Add("CREATE FUNCTION public.f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; DROP DATABASE x;")
	f.Add("COPY public.t (a) FROM stdin;")
	f.Fuzz(func(t *testing.T, s string) {
		for _, data := range []bool{false, true} {
			run, why := postgres.CheckStatement(s, data) // must not panic
			if why == "" && run == "" {
				t.Errorf("%q allowed as an empty statement", s)
			}
		}
	})
}
