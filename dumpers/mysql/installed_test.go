package mysql

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/internal/testenv"
)

// TestChecksumsWithin: on MariaDB a checksum that would take longer than its
// time is interrupted (ER 1969), which settledFingerprint takes as "the second
// is over": it then records the plain fingerprint.
func TestChecksumsWithin(t *testing.T) {
	srv := testServer(t)
	if !srv.mariadb {
		t.Skip("max_statement_time is MariaDB's")
	}
	name := fmt.Sprintf("h_cksum_%d", time.Now().UnixNano())
	if _, err := srv.db.ExecContext(t.Context(), "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = srv.db.Exec("DROP DATABASE `" + name + "`") })
	for _, q := range []string{
		"CREATE TABLE `" + name + "`.t (id INT PRIMARY KEY, s VARCHAR(100)) ENGINE=InnoDB",
		"INSERT INTO `" + name + "`.t SELECT seq, REPEAT('x', 100) FROM `" + name + "`.seq_1_to_300000",
	} {
		if _, err := srv.db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err := checksumsWithin(t.Context(), srv.db, name, []string{"t"}, 0.001)
	var me *driver.MySQLError
	if !errors.As(err, &me) || me.Number != erStatementTimeout {
		t.Fatalf("checksum of 300,000 rows in 1 ms: %v, want error %d", err, erStatementTimeout)
	}
	sum, err := checksumsWithin(t.Context(), srv.db, name, []string{"t"}, 60)
	if err != nil || sum == "" {
		t.Fatalf("checksum within a minute: %q, %v", sum, err)
	}
	fp, err := settledFingerprint(t.Context(), srv.db, name, 64<<20, true)
	if err != nil || fp == "" {
		t.Fatalf("settled fingerprint: %q, %v", fp, err)
	}
}

// testServer connects to the local server as root (the test is skipped, or
// fails in CI, when there is none); closed at the end of the test.
func testServer(t *testing.T) *server {
	t.Helper()
	cfg, err := ParseDSN("mysql://root@127.0.0.1:3306/")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := open(t.Context(), cfg)
	if err != nil {
		testenv.Require(t, "MariaDB/MySQL at root@127.0.0.1:3306", err)
	}
	t.Cleanup(func() { srv.db.Close() })
	return srv
}

// TestEmptyBranchDropped: a delta's branch on which no statement ran is not
// prepared (dropEmpty). Prepared, it would be listed in XA RECOVER once its
// connection is gone, and its XA COMMIT fail (XA_RBROLLBACK): an install
// killed before committing it could not be finished by the next one.
func TestEmptyBranchDropped(t *testing.T) {
	srv := testServer(t)
	ctx := t.Context()
	name := fmt.Sprintf("h_xaempty_%d", time.Now().UnixNano())
	if _, err := srv.db.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = srv.db.Exec("DROP DATABASE `" + name + "`") })
	if _, err := srv.db.ExecContext(ctx, "CREATE TABLE `"+name+"`.t (id INT PRIMARY KEY) ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	if err := createRecord(ctx, srv.db, name); err != nil {
		t.Fatal(err)
	}
	g, err := beginGroup(ctx, srv.db, name, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.rollback()
	if _, err := g.branch(0).ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := writeGroup(ctx, g.branch(0), name, g.gtrid); err != nil {
		t.Fatal(err)
	}
	g.dropEmpty(ctx, func(i int) bool { return i == 0 })
	// Killed before branch 1's commit: there must be no branch 1 to commit.
	testHookKill = func(step string, i int) bool { return step == "commit" && i == 1 }
	err = g.commit(ctx, func(context.Context) error { return nil })
	testHookKill = nil
	if err != nil {
		t.Fatalf("commit: %v; the empty branch was prepared", err)
	}
	if n, err := PreparedBranches(ctx, srv.db, name); err != nil || n != 0 {
		t.Fatalf("prepared branches left: %d, %v", n, err)
	}
	var n int
	if err := srv.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the commit: %d rows, %v; want 1", n, err)
	}
}
