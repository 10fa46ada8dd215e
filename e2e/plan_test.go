package e2e_test

import (
	"strings"
	"testing"
	"time"
)

// TestPlanSaysWhatWillHappen: the --dry-run plan says "create" for a database that
// does not exist, lists the files it will write, does not claim a cache it does not
// have, and an engine mismatch (a MariaDB dump into a PostgreSQL --db) is an error
// before anything is downloaded or changed — also without --dry-run.
func TestPlanSaysWhatWillHappen(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src := dbName("synco_e2e_plan_src")
	t.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS " + src) })
	for _, q := range []string{"CREATE DATABASE " + src, "CREATE TABLE " + src + ".t (id INT PRIMARY KEY)", "INSERT INTO " + src + ".t VALUES (1),(2)"} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	pub, _ := publishDB(t, "mysql://root@127.0.0.1:3306/"+src, t.TempDir())
	defer pub.stop()

	missing := dbName("synco_e2e_plan_missing")
	p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=mysql://root@127.0.0.1:3306/" + missing}, "fetch", pub.token, "--dry-run", "--cache", t.TempDir())
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, p.stderr.String())
	}
	plan := p.stderr.String()
	for _, want := range []string{"create the database the local --db", "download about"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "in the local cache") {
		t.Errorf("plan claims a local cache that is empty:\n%s", plan)
	}
	var n int
	root.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", missing).Scan(&n)
	if n != 0 {
		t.Errorf("a dry run created the database")
	}

	for _, dry := range []bool{true, false} {
		args := []string{"fetch", pub.token, "--cache", t.TempDir(), "--json"}
		if dry {
			args = append(args, "--dry-run")
		}
		p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=postgres://postgres@127.0.0.1:5432/" + dbName("synco_e2e_plan_pg")}, args...)
		code := p.wait(60 * time.Second)
		if code == 0 || !strings.Contains(p.stderr.String(), "holds a mysql dump, but the local --db is a postgres database") {
			t.Errorf("mismatch (dry run %v): exit %d\n%s", dry, code, p.stderr.String())
		}
		if strings.Contains(p.stdout.String(), `"chunks_downloaded":1`) {
			t.Errorf("mismatch (dry run %v): downloaded data first: %s", dry, p.stdout.String())
		}
	}
}
