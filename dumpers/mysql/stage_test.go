package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// limitedUser creates an account that holds ALL PRIVILEGES on the database name and
// nothing else (the grant WordPress recommends), dropped at cleanup, and returns a
// Config that logs in as it.
func limitedUser(t *testing.T, db *sql.DB, name string) *mysql.Config {
	t.Helper()
	var r [8]byte
	_, _ = rand.Read(r[:])
	user := "synco_tu_" + hex.EncodeToString(r[:4])
	pw := "Pw" + hex.EncodeToString(r[4:]) + "-1a"
	t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP USER IF EXISTS '"+user+"'@'%'") })
	mustExec(t, db, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+pw+"'")
	mustExec(t, db, "GRANT ALL PRIVILEGES ON `"+strings.ReplaceAll(name, "_", "\\_")+"`.* TO '"+user+"'@'%'")
	c, err := mysql.ParseDSN("mysql://" + user + ":" + pw + "@127.0.0.1:3306/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stagedLeft counts the tables of a staging import left in name.
func stagedLeft(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	return queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_\\_synco\\_%'", name) +
		queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", name+"\\_\\_synco%")
}

func TestStagingMode(t *testing.T) {
	db := server(t)
	target := newDB(t, db, "mode")
	if m, err := mysql.StagingMode(t.Context(), cfgFor(t, target)); err != nil || m != mysql.StageDatabase {
		t.Errorf("root: %v, %v; want %v", m, err, mysql.StageDatabase)
	}
	if m, err := mysql.StagingMode(t.Context(), limitedUser(t, db, target)); err != nil || m != mysql.StageTables {
		t.Errorf("limited account: %v, %v; want %v", m, err, mysql.StageTables)
	}
}

// TestLimitedAccountSakila: an account with privileges on its own database only
// imports Sakila (tables, FKs, views, triggers, routines) into it, replacing what
// was there, exactly: the copy dumps to the same bytes as the source.
func TestLimitedAccountSakila(t *testing.T) {
	db := server(t)
	src := loadSakila(t, db)
	want := checksums(t, db, src)
	d := dump(t, src, dumpers.Options{Parallel: 2})

	target := newDB(t, db, "wp")
	mustExec(t, db, "CREATE TABLE `"+target+"`.local_only (id INT PRIMARY KEY)")
	mustExec(t, db, "CREATE TABLE `"+target+"`.actor (id INT PRIMARY KEY, x INT)")
	mustExec(t, db, "CREATE VIEW `"+target+"`.v_local AS SELECT id FROM `"+target+"`.local_only")
	cfg := limitedUser(t, db, target)
	if err := mysql.Import(t.Context(), cfg, d, nil); err != nil {
		t.Fatal(err)
	}
	checkSakila(t, db, target)
	equalMaps(t, "checksum", want, checksums(t, db, target))
	equalStreams(t, d, dump(t, target, dumpers.Options{}))
	if n := stagedLeft(t, db, target); n != 0 {
		t.Errorf("%d staged tables or databases left", n)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME LIKE '\\_\\_synco%'", target); n != 0 {
		t.Errorf("%d constraints keep a staging name", n)
	}
	// and again, over the imported copy (old tables with the same foreign key names)
	if err := mysql.Import(t.Context(), cfg, d, nil); err != nil {
		t.Fatal(err)
	}
	equalStreams(t, d, dump(t, target, dumpers.Options{}))
}

// TestLimitedAccountLongNames: names of 64 characters (tables, foreign keys) and a
// MariaDB sequence survive staging under prefixed names.
func TestLimitedAccountLongNames(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "long")
	long := strings.Repeat("p", 64)
	fk := strings.Repeat("f", 64)
	for _, q := range []string{
		"CREATE TABLE `" + src + "`.`" + long + "` (id INT PRIMARY KEY)",
		"CREATE TABLE `" + src + "`.child (id INT PRIMARY KEY, pid INT, up INT, KEY (pid), KEY (up), CONSTRAINT `" + fk + "` FOREIGN KEY (pid) REFERENCES `" + long + "` (id) ON DELETE CASCADE, CONSTRAINT child_self FOREIGN KEY (up) REFERENCES child (id))",
		"INSERT INTO `" + src + "`.`" + long + "` VALUES (1), (2)",
		"INSERT INTO `" + src + "`.child VALUES (1, 1, NULL), (2, 2, 1)",
		"CREATE SEQUENCE `" + src + "`.seq1 START WITH 100",
		"DO NEXTVAL(`" + src + "`.seq1)",
	} {
		mustExec(t, db, q)
	}
	d := dump(t, src, dumpers.Options{})
	target := newDB(t, db, "longdst")
	mustExec(t, db, "CREATE TABLE `"+target+"`.child (id INT PRIMARY KEY, pid INT, KEY (pid), CONSTRAINT `"+fk+"` FOREIGN KEY (pid) REFERENCES child (id))")
	if err := mysql.Import(t.Context(), limitedUser(t, db, target), d, nil); err != nil {
		t.Fatal(err)
	}
	equalStreams(t, d, dump(t, target, dumpers.Options{}))
	if n := stagedLeft(t, db, target); n != 0 {
		t.Errorf("%d staged tables left", n)
	}
	mustExec(t, db, "DELETE FROM `"+target+"`.`"+long+"` WHERE id = 2")
	if n := queryInt(t, db, "SELECT COUNT(*) FROM `"+target+"`.child"); n != 1 {
		t.Errorf("ON DELETE CASCADE: %d children left, want 1", n)
	}
}

// TestLimitedAccountFailureLeavesTargetIntact: whatever fails, also after the swap
// (post.sql runs only then when staging in the target), the target is as before
// and nothing staged is left.
func TestLimitedAccountFailureLeavesTargetIntact(t *testing.T) {
	db := server(t)
	edge := createEdge(t, db)
	d := dump(t, edge, dumpers.Options{})
	// the target holds Sakila, loaded by its account (which must see its routines)
	target := newDB(t, db, "lfail")
	cfg := limitedUser(t, db, target)
	if err := mysql.Import(t.Context(), cfg, dump(t, loadSakila(t, db), dumpers.Options{}), nil); err != nil {
		t.Fatal(err)
	}
	want := fingerprint(t, db, target)
	intact := func(t *testing.T) {
		t.Helper()
		equalMaps(t, "target", want, fingerprint(t, db, target))
		if n := stagedLeft(t, db, target); n != 0 {
			t.Errorf("%d staged tables or databases left", n)
		}
	}

	nstreams := int32(len(d.Names()))
	for _, tc := range []struct {
		name   string
		failAt int32
		cancel bool
	}{
		{"schema stream fails", 1, false},
		{"a data stream fails", 3, false},
		{"last stream (post.sql) fails", nstreams, false},
		{"cancelled half-way", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			src := &faultySource{src: d, failAt: tc.failAt}
			if tc.cancel {
				src.cancel = cancel
			}
			err := mysql.Import(ctx, cfg, src, nil)
			if err == nil {
				t.Fatal("import succeeded")
			}
			if !tc.cancel && !errors.Is(err, errInjected) {
				t.Errorf("error %v does not wrap the stream's error", err)
			}
			intact(t)
		})
	}
	broken := dumperstest.NewMem()
	for _, n := range d.Names() {
		broken.Streams[n] = d.Streams[n]
	}
	for _, tc := range []struct{ name, post, want string }{
		{"view on a missing table", "CREATE VIEW v_broken AS SELECT * FROM no_such_table;\n" + string(d.Streams[dumpers.PostStream]), "no_such_table"},
		{"bad event at the end", string(d.Streams[dumpers.PostStream]) + "CREATE EVENT e_bad ON SCHEDULE EVERY 1 DAY DO SELECT FROM FROM;\n", "e_bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken.Streams[dumpers.PostStream] = []byte(tc.post)
			if err := mysql.Import(t.Context(), cfg, broken, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("import: %v, want an error naming %s", err, tc.want)
			}
			intact(t)
		})
	}
	checkSakila(t, db, target)
	if err := mysql.Import(t.Context(), cfg, d, nil); err != nil {
		t.Fatal(err)
	}
	equalMaps(t, "after import", asImported(fingerprint(t, db, edge)), fingerprint(t, db, target))
}

// TestLimitedAccountHostileDump: staging in the target must not let a dump reach
// the target's own tables before the swap (its DROP TABLE and INSERT name the real
// tables), nor anything else.
func TestLimitedAccountHostileDump(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "hls")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY)")
	good := dump(t, src, dumpers.Options{})
	victim := newDB(t, db, "hlvictim")
	mustExec(t, db, "CREATE TABLE `"+victim+"`.secret (s INT)")
	target := newDB(t, db, "hltarget")
	mustExec(t, db, "CREATE TABLE `"+target+"`.mine (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO `"+target+"`.mine VALUES (7)")
	cfg := limitedUser(t, db, target)
	want := fingerprint(t, db, target)
	refuse := dumpers.PostStream // a refused statement there fails before the swap
	for _, tc := range []struct {
		name   string
		stream string
		sql    string
		refuse bool
	}{
		{"drop a target table", dumpers.SchemaStream, "DROP TABLE IF EXISTS `mine`;\n", false},
		{"replace a target table", dumpers.SchemaStream, "DROP TABLE IF EXISTS mine;\nCREATE TABLE mine (id INT);\n", false},
		{"insert into a target table", dumpers.DataStream("mine"), "INSERT INTO `mine` (`id`) VALUES (8);\n", false},
		{"rename a target table", dumpers.SchemaStream, "RENAME TABLE mine TO gone;\n", true},
		{"drop another database", dumpers.SchemaStream, "DROP DATABASE `" + victim + "`;\n", true},
		{"qualified drop", dumpers.SchemaStream, "DROP TABLE IF EXISTS `" + victim + "`.secret;\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dumperstest.NewMem()
			for n, b := range good.Streams {
				d.Streams[n] = b
			}
			d.Streams[tc.stream] = append(append([]byte{}, d.Streams[tc.stream]...), tc.sql...)
			if !tc.refuse { // make the import fail after the statement ran
				d.Streams[refuse] = append(append([]byte{}, d.Streams[refuse]...), "GRANT ALL ON *.* TO x;\n"...)
			}
			err := mysql.Import(t.Context(), cfg, d, nil)
			if tc.refuse && !errors.Is(err, dumpers.ErrRefused) || err == nil {
				t.Errorf("import: %v, want it to fail (ErrRefused: %v)", err, tc.refuse)
			}
			t.Log(err)
			equalMaps(t, "target", want, fingerprint(t, db, target))
			if n := stagedLeft(t, db, target); n != 0 {
				t.Errorf("%d staged tables left", n)
			}
			if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", victim); n != 1 {
				t.Errorf("victim has %d tables", n)
			}
		})
	}
}

// TestLeftoverTablesReclaimed: tables a killed StageTables import left in the
// target are dropped by the next import; look-alike names are kept.
func TestLeftoverTablesReclaimed(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "rtsrc")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY)")
	d := dump(t, src, dumpers.Options{})
	// refused at post.sql, which is read after reclaiming and before any swap
	d.Streams[dumpers.PostStream] = append(d.Streams[dumpers.PostStream], "GRANT ALL ON *.* TO x;\n"...)
	target := newDB(t, db, "rttgt")
	stale := []string{"__synco_0123abcd_t", "__synco_old_89abcdef_t", "__synco_0123abcd_" + strings.Repeat("x", 47)}
	keep := []string{"__synco_0123abcg_t", "__synco_old_0123abcd", "x__synco_0123abcd_t", "__synco_0123abcd"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		mustExec(t, db, "CREATE TABLE `"+target+"`.`"+n+"` (id INT)")
	}
	mustExec(t, db, "CREATE TABLE `"+target+"`.`__synco_old_89abcdef_p` (id INT PRIMARY KEY)")
	mustExec(t, db, "CREATE TABLE `"+target+"`.`__synco_old_89abcdef_c` (id INT, KEY (id), FOREIGN KEY (id) REFERENCES `__synco_old_89abcdef_p` (id))")
	if err := mysql.Import(t.Context(), limitedUser(t, db, target), d, nil); !errors.Is(err, dumpers.ErrRefused) {
		t.Fatalf("import: %v", err)
	}
	for _, n := range append(stale, "__synco_old_89abcdef_c", "__synco_old_89abcdef_p") {
		if queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", target, n) != 0 {
			t.Errorf("%s left", n)
		}
	}
	for _, n := range keep {
		if queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", target, n) != 1 {
			t.Errorf("%s dropped", n)
		}
	}
}
