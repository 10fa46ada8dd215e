package postgres_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/postgres"
	"synco/internal/testenv"
)

// edgeSchema covers types, objects and values at their edges.
const edgeSchema = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA "Odd Schema";
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy 😀');
CREATE TYPE public.pair AS (a integer, b text);
CREATE TYPE public.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE DOMAIN public.posint AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE DOMAIN public.moods AS public.mood[];
CREATE SEQUENCE public.odd_seq AS integer INCREMENT BY 7 MINVALUE -100 MAXVALUE 1000 START WITH 3 CYCLE;
SELECT setval('public.odd_seq', 17);
CREATE TABLE "Odd Schema"."edge Table" (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
  arr integer[], tarr text[], j jsonb, b bytea, n numeric, f8 double precision, f4 real,
  ts timestamptz, tl timestamp, d date, tsv tsvector, u uuid, r int4range, tr tstzrange,
  fr public.floatrange, m public.mood, ms public.moods, p public.pair, pi public.posint, txt text COLLATE "C",
  iv interval, bits bit varying(20), ip inet, mon money, x xml, pt point, dflt integer DEFAULT nextval('public.odd_seq'),
  g text GENERATED ALWAYS AS (upper(txt)) STORED,
  CONSTRAINT txt_len CHECK (length(txt) < 1000),
  CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&)
);
COMMENT ON TABLE "Odd Schema"."edge Table" IS 'edge values; it''s odd';
COMMENT ON COLUMN "Odd Schema"."edge Table".txt IS 'text 😀';
CREATE INDEX edge_trgm ON "Odd Schema"."edge Table" USING gin (txt gin_trgm_ops);
CREATE INDEX edge_brin ON "Odd Schema"."edge Table" USING brin (ts);
CREATE INDEX edge_hash ON "Odd Schema"."edge Table" USING hash (u);
CREATE UNIQUE INDEX edge_expr ON "Odd Schema"."edge Table" (lower(txt)) WHERE txt IS NOT NULL;
INSERT INTO "Odd Schema"."edge Table" (arr, tarr, j, b, n, f8, f4, ts, tl, d, tsv, u, r, tr, fr, m, ms, p, pi, txt, iv, bits, ip, mon, x, pt) VALUES
 ('{1,NULL,-2147483648,2147483647}', '{"a,b","\"q\"",NULL,"","NULL"}', '{"a": [1, 2.5e300, null, "😀"], "t": "tab\there", "": {}}',
  '\x00ff00000a0d5c', 'NaN', 'Infinity', '-0', '-infinity', 'infinity', '-infinity', 'a:1A fat:2B cat ''it''''s''',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'empty', '[2020-01-01 00:00:00+00,infinity)', '[-1.5,2.25)', 'happy 😀', '{sad,"happy 😀"}',
  ROW(1, 'x,y"z('), 1, E'line1\nline2\ttab\\back \r 😀 𝄞', '-178000000 years', B'10101', '::1/128', '-92233720368547758.08',
  '<a b="1">x &amp; y</a>', '(1.5,-2)'),
 ('{}', '{}', '[]', '', '123456789012345678901234567890.123456789012345678901234567890', 1e308, 1.17549435e-38,
  '4714-11-24 00:00:00+00 BC', '294276-12-31 23:59:59.999999', '5874897-12-31', '', NULL, '[1,10)', NULL, NULL, 'sad', '{}',
  ROW(NULL, NULL), 2147483647, '', '1 mon -1 day -00:00:00.000001', B'', '10.0.0.0/8', 0, NULL, NULL),
 (NULL, NULL, 'null', NULL, -0.000000000000000000000000000001, 'NaN', '-Infinity', '2000-02-29 23:59:59.999999+14',
  '1970-01-01', 'infinity', NULL, NULL, '(10,20]', 'empty', NULL, NULL, NULL, NULL, 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE public.nopk (a integer, b text);
INSERT INTO public.nopk VALUES (2, 'b'), (1, 'z'), (2, 'b'), (NULL, NULL), (1, 'a');
CREATE UNLOGGED TABLE public.scratch (id serial PRIMARY KEY, v text UNIQUE);
INSERT INTO public.scratch (v) VALUES ('x'), ('y');
CREATE TABLE public.logs (id integer NOT NULL, kind text NOT NULL, at date NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE public.logs_a PARTITION OF public.logs FOR VALUES IN ('a', 'A');
CREATE TABLE public.logs_rest PARTITION OF public.logs DEFAULT PARTITION BY RANGE (at);
CREATE TABLE public.logs_rest_old PARTITION OF public.logs_rest FOR VALUES FROM (MINVALUE) TO ('2020-01-01');
CREATE TABLE public.logs_rest_new PARTITION OF public.logs_rest FOR VALUES FROM ('2020-01-01') TO (MAXVALUE);
ALTER TABLE public.logs ADD PRIMARY KEY (id, kind, at);
ALTER TABLE public.logs ADD CONSTRAINT logs_id_pos CHECK (id > 0);
CREATE INDEX logs_at ON public.logs (at);
INSERT INTO public.logs VALUES (1, 'a', '2019-01-01'), (2, 'b', '2019-05-01'), (3, 'c', '2024-01-01'), (4, 'A', '2024-01-01');
CREATE TABLE public.parent_ref (id integer PRIMARY KEY, l_id integer, l_kind text, l_at date,
  FOREIGN KEY (l_id, l_kind, l_at) REFERENCES public.logs ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO public.parent_ref VALUES (1, 1, 'a', '2019-01-01');
CREATE FUNCTION public.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE
  BEGIN ATOMIC SELECT a + b; END;
CREATE FUNCTION public.scratch_count() RETURNS bigint LANGUAGE sql RETURN (SELECT count(*) FROM public.scratch);
CREATE PROCEDURE public.bump(INOUT n integer) LANGUAGE plpgsql AS $body$ BEGIN n := n + 1; /* ; */ END $body$;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v || ';'; RETURN NEW; END $$;
CREATE TRIGGER scratch_touch BEFORE UPDATE ON public.scratch FOR EACH ROW WHEN (OLD.v IS DISTINCT FROM NEW.v) EXECUTE FUNCTION public.touch();
CREATE TRIGGER scratch_off AFTER INSERT ON public.scratch FOR EACH STATEMENT EXECUTE FUNCTION public.touch();
ALTER TABLE public.scratch DISABLE TRIGGER scratch_off;
CREATE AGGREGATE public.mysum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');
CREATE VIEW public.v1 AS SELECT id, upper(txt) AS t FROM "Odd Schema"."edge Table";
CREATE VIEW public.a_v2 AS SELECT count(*) AS n, public.add(1, 2) AS three FROM public.v1;
CREATE MATERIALIZED VIEW public.mv AS SELECT kind, count(*) AS n FROM public.logs GROUP BY kind;
CREATE UNIQUE INDEX mv_kind ON public.mv (kind);
CREATE MATERIALIZED VIEW public.mv_empty AS SELECT 1 AS one WITH NO DATA;
COMMENT ON VIEW public.v1 IS 'a view';
COMMENT ON FUNCTION public.add(integer, integer) IS 'adds';
`

func TestEdgeValuesRoundTrip(t *testing.T) {
	t.Parallel()
	src := newDB(t, "edge")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(edgeSchema)); err != nil {
		t.Fatal(err)
	}
	s := dump(t, src, dumpers.Options{})
	s2 := dump(t, src, dumpers.Options{Parallel: 1})
	if !bytes.Equal(s.Concat(), s2.Concat()) {
		t.Error("two dumps differ")
	}
	if _, ok := s.Streams["data/Odd%20Schema.edge%20Table.sql"]; !ok {
		t.Errorf("no stream for the odd table: %v", s.Names())
	}
	dst := newDB(t, "edgeimport")
	if err := postgres.Import(t.Context(), dst, s, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, s.Streams[dumpers.PostStream])
	}
	a, b := dbConn(t, src), dbConn(t, dst)
	sameDatabase(t, a, b)
	for _, q := range []string{`SELECT count(*) FROM public.mv`, `SELECT count(*) FROM public.a_v2`,
		`SELECT public.scratch_count()`, `SELECT nextval('public.odd_seq')`,
		`SELECT count(*) FROM public.logs_rest_new`} {
		if x, y := count(t, a, q), count(t, b, q); x != y {
			t.Errorf("%s: source %d, imported %d", q, x, y)
		}
	}
	var populated bool
	if err := b.QueryRow(t.Context(), "SELECT relispopulated FROM pg_class WHERE oid = 'public.mv_empty'::regclass").Scan(&populated); err != nil || populated {
		t.Errorf("mv_empty populated=%v err=%v, want unpopulated", populated, err)
	}
	// The identity sequence continues where the source stopped.
	var id int64
	if err := b.QueryRow(t.Context(), `INSERT INTO "Odd Schema"."edge Table" (pi) VALUES (5) RETURNING id`).Scan(&id); err != nil || id != 25 {
		t.Errorf("next identity %d (%v), want 25", id, err)
	}
}

func TestConcatenatedFileLoadsWithPsql(t *testing.T) {
	t.Parallel()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	src := newDB(t, "psqlsrc")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(edgeSchema)); err != nil {
		t.Fatal(err)
	}
	pagilaDir := testenv.RealData(t, "pagila")
	runFile(t, src, filepath.Join(pagilaDir, "pagila-schema.sql"))
	runFile(t, src, filepath.Join(pagilaDir, "pagila-data.sql"))
	s := dump(t, src, dumpers.Options{})
	dst := newDB(t, "psqldst")
	cmd := exec.CommandContext(t.Context(), psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", dst.Database)
	cmd.Stdin = bytes.NewReader(s.Concat())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	sameDatabase(t, dbConn(t, src), dbConn(t, dst))
}
