package mysql_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// TestHostileDumpIsRefused feeds dumps that a compromised source could send: each
// tries to act outside the staging database. Every one must be refused before it
// runs (errors.Is ErrRefused), with the victim database, the server's users, the
// file system and the target untouched.
func TestHostileDumpIsRefused(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "hsrc")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY, n INT)")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t2 (n INT)")
	mustExec(t, db, "INSERT INTO `"+src+"`.t VALUES (1, 1), (2, 2)")
	good := dump(t, src, dumpers.Options{})

	victim := newDB(t, db, "victim")
	mustExec(t, db, "CREATE TABLE `"+victim+"`.secret (s VARCHAR(20))")
	mustExec(t, db, "INSERT INTO `"+victim+"`.secret VALUES ('keep me')")
	target := newDB(t, db, "htarget")
	mustExec(t, db, "CREATE TABLE `"+target+"`.mine (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO `"+target+"`.mine VALUES (7)")
	want := fingerprint(t, db, target)

	evilUser := uniqueName("e")[8:]
	t.Cleanup(func() {
		_, _ = db.Exec("DROP USER IF EXISTS '" + evilUser + "'@'%'")
		_, _ = db.Exec("DROP USER IF EXISTS '" + evilUser + "'@'localhost'")
	})
	outfile := filepath.Join(os.TempDir(), uniqueName("outfile"))
	t.Cleanup(func() { os.Remove(outfile) })

	data := dumpers.DataStream("t")
	for _, tc := range []struct {
		name, stream, sql string
	}{
		{"drop another database", dumpers.SchemaStream, "DROP DATABASE `" + victim + "`;\n"},
		{"drop schema in post", dumpers.PostStream, "DROP SCHEMA IF EXISTS `" + victim + "`;\n"},
		{"use another database", dumpers.SchemaStream, "USE `" + victim + "`;\nDROP TABLE secret;\n"},
		{"drop a qualified table", dumpers.SchemaStream, "DROP TABLE IF EXISTS `" + victim + "`.`secret`;\n"},
		{"create user", dumpers.SchemaStream, "CREATE USER '" + evilUser + "'@'%' IDENTIFIED BY 'x';\n"},
		{"grant all", dumpers.PostStream, "GRANT ALL ON *.* TO '" + evilUser + "'@'%' IDENTIFIED BY 'x' WITH GRANT OPTION;\n"},
		{"into outfile in a data stream", data, "SELECT * FROM `" + victim + "`.secret INTO OUTFILE '" + outfile + "';\n"},
		{"into outfile unqualified", data, "SELECT 'x' INTO OUTFILE '" + outfile + "';\n"},
		{"insert from another database", data, "INSERT INTO t2 (n) SELECT COUNT(*) FROM `" + victim + "`.secret;\n"},
		{"trigger reads mysql.user", dumpers.PostStream, "DELIMITER ;;\nCREATE TRIGGER evil AFTER INSERT ON t FOR EACH ROW INSERT INTO t2 SELECT COUNT(*) FROM mysql.user;;\nDELIMITER ;\n"},
		{"view reads another database in a comma list", dumpers.PostStream, "CREATE VIEW v_evil AS SELECT s.s FROM t AS `" + victim + "`, `" + victim + "`.secret s;\n"},
		{"procedure drops a database", dumpers.PostStream, "DELIMITER ;;\nCREATE PROCEDURE p_evil() BEGIN DROP DATABASE `" + victim + "`; END;;\nDELIMITER ;\nCALL p_evil();\n"},
		{"procedure with dynamic sql", dumpers.PostStream, "DELIMITER ;;\nCREATE PROCEDURE p_dyn() BEGIN SET @s = 'DROP DATABASE x'; PREPARE st FROM @s; EXECUTE st; END;;\nDELIMITER ;\n"},
		{"executable comment", dumpers.SchemaStream, "SET NAMES utf8mb4 /*!50000 , @x = (SELECT 1 FROM `" + victim + "`.secret) */;\n"},
		{"definer root", dumpers.PostStream, "CREATE DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v_root AS SELECT 1 AS a;\n"},
		{"set global", dumpers.SchemaStream, "SET GLOBAL max_connections = @@global.max_connections;\n"},
		{"load_file", data, "INSERT INTO `t` (`id`,`n`) VALUES (3, LOAD_FILE('/etc/passwd'));\n"},
		{"connect engine", dumpers.SchemaStream, "CREATE TABLE f (a INT) ENGINE=CONNECT TABLE_TYPE=CSV FILE_NAME='/etc/passwd';\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dumperstest.NewMem()
			for n, b := range good.Streams {
				d.Streams[n] = b
			}
			d.Streams[tc.stream] = append(append([]byte{}, good.Streams[tc.stream]...), tc.sql...)
			err := mysql.Import(t.Context(), cfgFor(t, target), d, nil)
			if !errors.Is(err, dumpers.ErrRefused) {
				t.Errorf("import: %v, want ErrRefused", err)
			}
			t.Log(err)
			var re *dumpers.RefusedError
			if errors.As(err, &re) && (re.Stream != tc.stream || re.Reason == "" || len(re.Stmt) > 60) {
				t.Errorf("refusal %+v: want stream %s, a reason, a short statement", re, tc.stream)
			}
			if n := queryInt(t, db, "SELECT COUNT(*) FROM `"+victim+"`.secret"); n != 1 {
				t.Errorf("victim has %d rows", n)
			}
			if n := queryInt(t, db, "SELECT COUNT(*) FROM mysql.user WHERE User = ?", evilUser); n != 0 {
				t.Errorf("user %s was created", evilUser)
			}
			if _, err := os.Stat(outfile); err == nil {
				t.Errorf("%s was written", outfile)
			}
			equalMaps(t, "target", want, fingerprint(t, db, target))
			if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", target+"\\_\\_synco%"); n != 0 {
				t.Errorf("%d staging databases left behind", n)
			}
		})
		// after a failure (old code), put everything back so the next cases can tell
		mustExec(t, db, "CREATE DATABASE IF NOT EXISTS `"+victim+"`")
		mustExec(t, db, "CREATE TABLE IF NOT EXISTS `"+victim+"`.secret (s VARCHAR(20))")
		if queryInt(t, db, "SELECT COUNT(*) FROM `"+victim+"`.secret") != 1 {
			mustExec(t, db, "DELETE FROM `"+victim+"`.secret")
			mustExec(t, db, "INSERT INTO `"+victim+"`.secret VALUES ('keep me')")
		}
		_, _ = db.Exec("DROP USER IF EXISTS '" + evilUser + "'@'%'")
		os.Remove(outfile)
	}

	// the unchanged dump still loads
	if err := mysql.Import(t.Context(), cfgFor(t, target), good, nil); err != nil {
		t.Fatal(err)
	}
}
