package mysql_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
	"synco/dumpers/mysql"
)

// TestImportedObjectsGetNoExtraRights: a view of the source runs SQL SECURITY
// DEFINER there; imported, it must not let a local user with fewer rights than the
// importer read what the importer can (it is INVOKER), and triggers must be defined
// by the limited loading account, which has rights on the target only.
func TestImportedObjectsGetNoExtraRights(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "dsrc")
	mustExec(t, db, "CREATE TABLE `"+src+"`.secret (s VARCHAR(20))")
	mustExec(t, db, "INSERT INTO `"+src+"`.secret VALUES ('only for root')")
	mustExec(t, db, "CREATE TABLE `"+src+"`.log (n INT)")
	mustExec(t, db, "CREATE SQL SECURITY DEFINER VIEW `"+src+"`.peek AS SELECT s FROM `"+src+"`.secret")
	mustExec(t, db, "CREATE TRIGGER `"+src+"`.tr AFTER INSERT ON `"+src+"`.log FOR EACH ROW SET @seen = NEW.n")
	d := dump(t, src, dumpers.Options{})

	dst := uniqueName("ddst")
	dropAtCleanup(t, db, dst)
	if mode, err := mysql.LoadAccountMode(t.Context(), cfgFor(t, dst)); err != nil || mode != mysql.LoadAsLimited {
		t.Fatalf("load mode %v, %v: root should load as a limited account", mode, err)
	}
	if err := mysql.Import(t.Context(), cfgFor(t, dst), d, nil); err != nil {
		t.Fatal(err)
	}

	// a local user that may read the view but not the table behind it
	user := uniqueName("v")[8:]
	mustExec(t, db, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'pw'")
	t.Cleanup(func() { _, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	mustExec(t, db, "GRANT SELECT ON `"+dst+"`.peek TO '"+user+"'@'%'")
	dc := driver.NewConfig()
	dc.User, dc.Passwd, dc.Net, dc.Addr, dc.DBName = user, "pw", "tcp", "127.0.0.1:3306", dst
	dc.Timeout = 3 * time.Second
	conn, err := driver.NewConnector(dc)
	if err != nil {
		t.Fatal(err)
	}
	udb := sql.OpenDB(conn)
	defer udb.Close()
	var s string
	err = udb.QueryRowContext(t.Context(), "SELECT s FROM peek").Scan(&s)
	if err == nil {
		t.Errorf("a user without SELECT on secret read %q through the imported view", s)
	}

	// the trigger belongs to the loading account, which has rights on dst only
	definer := queryString(t, db, "SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = 'tr'", dst)
	if !strings.HasPrefix(definer, "synco_") {
		t.Fatalf("trigger definer %s, want the loading account", definer)
	}
	u, h, _ := strings.Cut(definer, "@")
	rows, err := db.QueryContext(context.Background(), "SHOW GRANTS FOR '"+u+"'@'"+h+"'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		want := "GRANT ALL PRIVILEGES ON `" + strings.ReplaceAll(dst, "_", "\\_") + "`.* TO"
		if !strings.HasPrefix(g, "GRANT USAGE ON *.* TO") && !strings.HasPrefix(g, want) {
			t.Errorf("loading account has %q", g)
		}
	}
	mustExec(t, db, "INSERT INTO `"+dst+"`.log VALUES (1)") // the trigger still runs
}
