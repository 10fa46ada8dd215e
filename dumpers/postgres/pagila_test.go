package postgres_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// objectQueries describe a database's objects as text rows; two databases
// with the same rows have the same schema.
var objectQueries = map[string]string{
	"columns": `SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
  || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attidentity::text || a.attgenerated::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0 AND NOT a.attisdropped`,
	"views":       `SELECT c.relname || ' ' || c.relkind::text || ' ' || c.relispopulated || ' ' || pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace`,
	"triggers":    `SELECT pg_get_triggerdef(oid) || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal`,
	"functions":   `SELECT p.prokind::text || ' ' || CASE WHEN p.prokind = 'a' THEN p.oid::regprocedure::text ELSE replace(pg_get_functiondef(p.oid), E' SECURITY DEFINER\n', '') END FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`,
	"types":       `SELECT t.typname || ' ' || t.typtype::text || ' ' || format_type(t.typbasetype, t.typtypmod) FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('d', 'e', 'c', 'r') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')`,
	"enums":       `SELECT enumtypid::regtype || ' ' || enumsortorder || ' ' || enumlabel FROM pg_enum`,
	"constraints": `SELECT conrelid::regclass || ' ' || contypid::regtype || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
	"indexes":     `SELECT pg_get_indexdef(indexrelid) || ' ' || indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace`,
	"partitions":  `SELECT inhrelid::regclass || ' of ' || inhparent::regclass || ' ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '') FROM pg_inherits JOIN pg_class c ON c.oid = inhrelid`,
	"sequences":   `SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'null') || ' ' || start_value || ' ' || increment_by FROM pg_sequences`,
	"seqowners":   `SELECT objid::regclass || ' ' || refobjid::regclass || ' ' || refobjsubid || deptype::text FROM pg_depend WHERE classid = 'pg_class'::regclass AND refclassid = 'pg_class'::regclass AND deptype IN ('a', 'i') AND objid IN (SELECT oid FROM pg_class WHERE relkind = 'S')`,
	"comments":    `SELECT coalesce(objoid::regclass::text, '') || ' ' || objsubid || ' ' || description FROM pg_description WHERE classoid = 'pg_class'::regclass`,
	"tablekinds":  `SELECT c.relname || ' ' || c.relkind::text || c.relpersistence::text || ' ' || coalesce(pg_get_partkeydef(c.oid), '') FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')`,
}

func rowsOf(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, _ := conn.Query(t.Context(), sql)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	slices.Sort(out)
	return out
}

func count(t *testing.T, conn *pgx.Conn, sql string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(t.Context(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tableSums returns row count and md5 of every table's rows.
func tableSums(t *testing.T, conn *pgx.Conn) map[string]string {
	t.Helper()
	tables := rowsOf(t, conn, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`)
	sums := map[string]string{}
	for _, tb := range tables {
		var n int64
		var sum string
		err := conn.QueryRow(t.Context(), `SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text COLLATE "C"), '')) FROM `+tb+" t").Scan(&n, &sum)
		if err != nil {
			t.Fatal(err)
		}
		sums[tb] = fmt.Sprint(n, " ", sum)
	}
	return sums
}

// sameDatabase compares objects and data of two databases.
func sameDatabase(t *testing.T, a, b *pgx.Conn) {
	t.Helper()
	for name, q := range objectQueries {
		ra, rb := rowsOf(t, a, q), rowsOf(t, b, q)
		if !slices.Equal(ra, rb) {
			t.Errorf("%s differ:\nsource:   %q\nimported: %q", name, diff(ra, rb), diff(rb, ra))
		}
	}
	sa, sb := tableSums(t, a), tableSums(t, b)
	if fmt.Sprint(sa) != fmt.Sprint(sb) {
		for k, v := range sa {
			if sb[k] != v {
				t.Errorf("table %s: source %s, imported %s", k, v, sb[k])
			}
		}
		if len(sa) != len(sb) {
			t.Errorf("tables: source %d, imported %d", len(sa), len(sb))
		}
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func checkPagila(t *testing.T, conn *pgx.Conn, populated bool) {
	t.Helper()
	want := map[string]int64{"actor": 200, "address": 603, "category": 16, "city": 600, "country": 109,
		"customer": 599, "film": 1000, "film_actor": 5462, "film_category": 1000, "inventory": 4581,
		"language": 6, "payment": 16049, "payment_p2022_01": 723, "payment_p2022_02": 2401,
		"payment_p2022_03": 2713, "payment_p2022_04": 2547, "payment_p2022_05": 2677, "payment_p2022_06": 2654,
		"payment_p2022_07": 2334, "rental": 16044, "staff": 2, "store": 2,
		"actor_info": 200, "customer_list": 599, "film_list": 997, "nicer_but_slower_film_list": 997,
		"sales_by_film_category": 16, "sales_by_store": 2, "staff_list": 2}
	for tb, n := range want {
		if got := count(t, conn, "SELECT count(*) FROM public."+tb); got != n {
			t.Errorf("rows in %s: %d, want %d", tb, got, n)
		}
	}
	checks := []struct {
		sql  string
		want string
	}{
		{"SELECT sum(amount)::text FROM public.payment", "67416.51"},
		{"SELECT count(*)::text FROM public.film WHERE fulltext @@ to_tsquery('drama')", "106"},
		{"SELECT count(*)::text FROM public.rental WHERE return_date IS NULL", "183"},
		{"SELECT md5(picture) FROM public.staff WHERE staff_id = 1", "e927ab05bacbf3fd751ddc032bb5e4a3"},
		{"SELECT count(*)::text FROM pg_trigger WHERE NOT tgisinternal", "15"},
		{"SELECT count(*)::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind = 'f'", "9"},
		{"SELECT count(*)::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prokind = 'a'", "1"},
		{"SELECT count(*)::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'r' AND c.relispartition", "7"},
		{"SELECT count(*)::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'm')", "56"},
		{"SELECT count(*)::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gist'", "1"},
		{"SELECT count(*)::text FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace", "22"},
		{"SELECT count(*)::text FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace", "36"},
		{"SELECT count(*)::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'd'", "2"},
		{"SELECT count(*)::text FROM pg_views WHERE schemaname = 'public'", "7"},
		{"SELECT relispopulated::text FROM pg_class WHERE oid = 'public.rental_by_category'::regclass", fmt.Sprint(populated)},
		{"SELECT count(*)::text FROM pg_sequences WHERE schemaname = 'public'", "13"},
		{"SELECT last_value::text FROM pg_sequences WHERE sequencename = 'payment_payment_id_seq'", "32098"},
	}
	for _, c := range checks {
		var got string
		if err := conn.QueryRow(t.Context(), c.sql).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.sql, err)
		} else if got != c.want {
			t.Errorf("%s = %s, want %s", c.sql, got, c.want)
		}
	}
	if populated {
		if n := count(t, conn, "SELECT count(*) FROM public.rental_by_category"); n != 16 {
			t.Errorf("rental_by_category rows %d, want 16", n)
		}
	}
}

func TestPagilaRoundTrip(t *testing.T) {
	t.Parallel()
	for _, refresh := range []bool{true, false} {
		t.Run(fmt.Sprintf("matview_populated=%v", refresh), func(t *testing.T) {
			src := loadPagila(t, refresh)
			srcConn := dbConn(t, src)
			checkPagila(t, srcConn, refresh)

			var progressed atomic.Bool // Progress is called from any goroutine
			s := dumperstest.NewMem()
			err := postgres.NewDumper(src).Dump(t.Context(), s, dumpers.Options{Parallel: 3,
				Progress: func(dumpers.Progress) { progressed.Store(true) }})
			if err != nil {
				t.Fatal(err)
			}
			if !progressed.Load() {
				t.Error("no progress reported")
			}
			if n := len(s.Names()); n != 23 { // schema, post, 21 leaf tables
				t.Errorf("%d streams: %v", n, s.Names())
			}
			// Determinism: a second dump gives the same bytes.
			s2 := dump(t, src, dumpers.Options{Parallel: 1})
			for _, n := range s.Names() {
				if !bytes.Equal(s.Streams[n], s2.Streams[n]) {
					t.Errorf("stream %s differs between two dumps", n)
				}
			}

			dst := newDB(t, "import")
			if err := postgres.Import(t.Context(), dst, s, nil); err != nil {
				t.Fatal(err)
			}
			dstConn := dbConn(t, dst)
			checkPagila(t, dstConn, refresh)
			sameDatabase(t, srcConn, dstConn)

			// SECURITY DEFINER functions run with the rights of the importing
			// user's copy, not the owner's (package doc): SECURITY INVOKER.
			if n := count(t, srcConn, "SELECT count(*) FROM pg_proc WHERE prosecdef AND proname = 'rewards_report'"); n != 1 {
				t.Errorf("source rewards_report is not SECURITY DEFINER")
			}
			if n := count(t, dstConn, "SELECT count(*) FROM pg_proc WHERE prosecdef"); n != 0 {
				t.Errorf("%d SECURITY DEFINER functions imported", n)
			}

			// The imported copy dumps to the same bytes, but for SECURITY DEFINER.
			s3 := dump(t, dst, dumpers.Options{})
			for _, n := range s.Names() {
				if !bytes.Equal(bytes.ReplaceAll(s.Streams[n], []byte(" SECURITY DEFINER\n"), nil), s3.Streams[n]) {
					t.Errorf("stream %s differs after a round trip", n)
				}
			}
		})
	}
}

var _ = strings.Contains
