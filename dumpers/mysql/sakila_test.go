package mysql_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
	"synco/internal/testenv"
)

var (
	sakilaSRID   = regexp.MustCompile(`/\*!80003 SRID 0 \*/`)
	sakila50705  = regexp.MustCompile(`/\*!50705 ([^*]*)\*/`)
	sakilaNameRE = regexp.MustCompile(`\bsakila([.;])`)
)

// loadSakila loads the spatial variant of Sakila (see realdata/README.md) as a new
// database and returns its name.
func loadSakila(t *testing.T, db *sql.DB) string {
	t.Helper()
	sakilaDir := testenv.RealData(t, "sakila")
	name := uniqueName("sakila")
	dropAtCleanup(t, db, name)
	c, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, f := range []string{"sakila-schema.sql", "sakila-data.sql"} {
		b, err := os.ReadFile(filepath.Join(sakilaDir, f))
		if err != nil {
			t.Fatal(err)
		}
		b = sakilaSRID.ReplaceAll(b, nil)
		b = sakila50705.ReplaceAll(b, []byte("$1"))
		b = sakilaNameRE.ReplaceAll(b, []byte(name+"$1"))
		err = mysql.SplitStatements(bytes.NewReader(b), func(st []byte) error {
			_, err := c.ExecContext(t.Context(), string(st))
			return err
		})
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
	}
	return name
}

var sakilaRows = map[string]int64{
	"actor": 200, "address": 603, "category": 16, "city": 600, "country": 109, "customer": 599,
	"film": 1000, "film_actor": 5462, "film_category": 1000, "film_text": 1000, "inventory": 4581,
	"language": 6, "payment": 16044, "rental": 16044, "staff": 2, "store": 2,
}

// sakilaViews are the views' row counts; sales_by_store (2) is left out: it takes
// ~30 s on MariaDB 10.11. Its definition is compared instead (viewDefs).
var sakilaViews = map[string]int64{
	"customer_list": 599, "film_list": 1000, "nicer_but_slower_film_list": 1000, "staff_list": 2,
	"sales_by_film_category": 16, "actor_info": 200,
}

// checkSakila runs the README's checks on a database holding Sakila.
func checkSakila(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	for tb, want := range sakilaRows {
		if got := queryInt(t, db, "SELECT COUNT(*) FROM `"+name+"`.`"+tb+"`"); got != want {
			t.Errorf("%s: %d rows, want %d", tb, got, want)
		}
	}
	for v, want := range sakilaViews {
		if got := queryInt(t, db, "SELECT COUNT(*) FROM `"+name+"`.`"+v+"`"); got != want {
			t.Errorf("view %s: %d rows, want %d", v, got, want)
		}
	}
	objects := []struct {
		q    string
		want int64
	}{
		{"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", 16},
		{"SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", 7},
		{"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", 6},
		{"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE'", 3},
		{"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'FUNCTION'", 3},
		{"SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?", 22},
		{"SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_TYPE = 'FULLTEXT'", 1},
		{"SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_TYPE = 'SPATIAL'", 1},
		{"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND SQL_MODE LIKE '%STRICT_TRANS_TABLES%'", 6},
		// every FK must point into the database itself, not at a staging name
		{"SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND UNIQUE_CONSTRAINT_SCHEMA = CONSTRAINT_SCHEMA", 22},
	}
	for _, o := range objects {
		if got := queryInt(t, db, o.q, name); got != o.want {
			t.Errorf("%s: %d, want %d", o.q, got, o.want)
		}
	}
	checks := []struct{ q, want string }{
		{"SELECT SUM(amount) FROM `" + name + "`.payment", "67406.56"},
		{"SELECT MIN(payment_date) FROM `" + name + "`.payment", "2005-05-24 22:53:30"},
		{"SELECT MAX(payment_date) FROM `" + name + "`.payment", "2006-02-14 15:16:03"},
		{"SELECT COUNT(*) FROM `" + name + "`.rental WHERE return_date IS NULL", "183"},
		{"SELECT COUNT(*) FROM `" + name + "`.film_text WHERE MATCH(title,description) AGAINST('drama')", "106"},
		{"SELECT ST_AsText(location) FROM `" + name + "`.address WHERE address_id = 1", "POINT(-112.8185647 49.6999986)"},
		{"SELECT MD5(picture) FROM `" + name + "`.staff WHERE staff_id = 1", "633ca8e521307444eb54a499fbe42832"},
		{"SELECT `" + name + "`.inventory_in_stock(1)", "1"},
		{"SELECT `" + name + "`.inventory_held_by_customer((SELECT inventory_id FROM `" + name + "`.rental WHERE return_date IS NULL ORDER BY rental_id LIMIT 1))", "155"},
	}
	for _, c := range checks {
		if got := queryString(t, db, c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
}

func TestSakilaRoundTrip(t *testing.T) {
	db := server(t)
	start := time.Now()
	src := loadSakila(t, db)
	t.Logf("load sakila: %v", time.Since(start))
	checkSakila(t, db, src)
	want := checksums(t, db, src)

	start = time.Now()
	d := dump(t, src, dumpers.Options{Parallel: 3})
	t.Logf("dump: %v", time.Since(start))
	start = time.Now()
	if !bytes.Contains(d.Streams[dumpers.SchemaStream], []byte("AUTO_INCREMENT=")) {
		t.Error("schema.sql lacks AUTO_INCREMENT values")
	}
	dst := uniqueName("sakila_copy")
	dropAtCleanup(t, db, dst)
	if err := mysql.Import(t.Context(), cfgFor(t, dst), d, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("import: %v", time.Since(start))
	checkSakila(t, db, dst)
	// views and routines are SQL SECURITY INVOKER after an import (package doc, Security)
	equalMaps(t, "view", asImported(viewDefs(t, db, src)), viewDefs(t, db, dst))
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND SECURITY_TYPE = 'INVOKER'", dst); n != 6 {
		t.Errorf("%d of 6 routines are SQL SECURITY INVOKER", n)
	}
	equalMaps(t, "checksum", want, checksums(t, db, dst))

	// determinism: the same data dumps to the same bytes, also from the copy
	for _, again := range []*dumperstest.Mem{dump(t, src, dumpers.Options{Parallel: 2}), dump(t, dst, dumpers.Options{Parallel: 1})} {
		equalStreams(t, d, again)
	}
}

func equalStreams(t *testing.T, a, b *dumperstest.Mem) {
	t.Helper()
	an, bn := a.Names(), b.Names()
	if len(an) != len(bn) {
		t.Fatalf("streams differ: %v vs %v", an, bn)
	}
	for _, n := range an {
		if !bytes.Equal(a.Streams[n], b.Streams[n]) {
			t.Errorf("stream %s differs between dumps", n)
		}
	}
}

// viewDefs gives the definitions of the views of db with the database name taken out.
func viewDefs(t *testing.T, db *sql.DB, name string) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT TABLE_NAME, VIEW_DEFINITION, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, def, sec string
		if err := rows.Scan(&n, &def, &sec); err != nil {
			t.Fatal(err)
		}
		out[n] = sec + " " + strings.ReplaceAll(def, "`"+name+"`.", "")
	}
	return out
}

// asImported gives view definitions (viewDefs, fingerprint) as an import creates
// them: SQL SECURITY INVOKER.
func asImported(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if rest, ok := strings.CutPrefix(v, "DEFINER "); ok {
			v = "INVOKER " + rest
		}
		out[k] = v
	}
	return out
}
