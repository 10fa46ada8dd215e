package mysql_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
)

// A dump of MySQL 8 (utf8mb4_0900_* collations, which MariaDB 10.x lacks)
// installs, with the collations this server has and a note that says which,
// and the next install is a delta.
func TestInstallForeignCollations(t *testing.T) {
	db := server(t)
	var have int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.COLLATIONS WHERE COLLATION_NAME LIKE 'utf8mb4_0900%'").Scan(&have); err != nil {
		t.Fatal(err)
	}
	if have > 0 {
		t.Skip("this server has MySQL 8's collations")
	}
	src := newDB(t, db, "coll")
	mustExec(t, db, "USE `"+src+"`; CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(50), code VARCHAR(10) COLLATE utf8mb4_bin, UNIQUE KEY (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci")
	mustExec(t, db, "USE `"+src+"`; INSERT INTO t VALUES (1, 'Émile', 'a'), (2, '😀', 'A'), (3, '😎', 'b')")
	mysql8 := func(d *dumperstest.Mem) *dumperstest.Mem {
		s := d.Streams[dumpers.SchemaStream]
		s = bytes.ReplaceAll(s, []byte("utf8mb4_unicode_520_ci"), []byte("utf8mb4_0900_ai_ci"))
		s = bytes.ReplaceAll(s, []byte("COLLATE utf8mb4_bin"), []byte("COLLATE utf8mb4_0900_bin"))
		if !bytes.Contains(s, []byte("COLLATE=utf8mb4_0900_ai_ci")) || !bytes.Contains(s, []byte("COLLATE utf8mb4_0900_bin")) {
			t.Fatalf("schema.sql not as expected:\n%s", s)
		}
		d.Streams[dumpers.SchemaStream] = s
		return d
	}
	h := dumperstest.NewHistory()
	tgt := newDB(t, db, "coll_tgt")
	inst := install(t, tgt, h.Source(mysql8(dump(t, src, dumpers.Options{}))))
	if inst.Mode != "full" || len(inst.Notes) != 2 ||
		!slices.ContainsFunc(inst.Notes, func(n string) bool {
			return strings.HasPrefix(n, "collation utf8mb4_0900_ai_ci is unknown to this server: ")
		}) {
		t.Errorf("first install: %+v", inst)
	}
	equalMaps(t, "rows", rowsOf(t, db, src), withoutRecord(rowsOf(t, db, tgt)))
	if got := queryString(t, db, "SELECT CONCAT(TABLE_COLLATION, ' ', (SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't' AND COLUMN_NAME = 'code')) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't'", tgt, tgt); !strings.HasPrefix(got, "utf8mb4_") || strings.Contains(got, "0900") || !strings.HasSuffix(got, " utf8mb4_bin") {
		t.Errorf("collations installed: %s", got)
	}

	mustExec(t, db, "USE `"+src+"`; UPDATE t SET code = 'c' WHERE id = 3")
	if inst := install(t, tgt, h.Source(mysql8(dump(t, src, dumpers.Options{})))); inst.Mode != "delta" {
		t.Errorf("second install: %+v, want a delta", inst)
	}
	equalMaps(t, "rows after the delta", rowsOf(t, db, src), withoutRecord(rowsOf(t, db, tgt)))
}
