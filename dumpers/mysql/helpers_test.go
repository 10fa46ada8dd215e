package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
	"synco/internal/testenv"
)

// testDSN is the MariaDB of the dev machine (root, empty password).
const testDSN = "mysql://root@127.0.0.1:3306/"

// server returns a pool without default database, skipping (or failing with CI=true)
// when the server is unreachable.
func server(t *testing.T) *sql.DB {
	t.Helper()
	dc := driver.NewConfig()
	dc.User, dc.Net, dc.Addr = "root", "tcp", "127.0.0.1:3306"
	dc.Timeout = 3 * time.Second
	dc.MultiStatements = true
	conn, err := driver.NewConnector(dc)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	if err := db.PingContext(t.Context()); err != nil {
		db.Close()
		testenv.Require(t, "MariaDB/MySQL at root@127.0.0.1:3306", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newDB creates a uniquely named empty database, dropped at cleanup.
func newDB(t *testing.T, db *sql.DB, prefix string) string {
	t.Helper()
	name := uniqueName(prefix)
	mustExec(t, db, "CREATE DATABASE `"+name+"`")
	dropAtCleanup(t, db, name)
	return name
}

func uniqueName(prefix string) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return "synco_t_" + prefix + "_" + hex.EncodeToString(r[:])
}

func dropAtCleanup(t *testing.T, db *sql.DB, name string) {
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		// the loading account an import made for this target (package doc, Security)
		if accts, err := db.QueryContext(context.Background(), "SELECT DISTINCT User, Host FROM mysql.db WHERE Db = ? AND User LIKE 'synco\\_%'",
			strings.NewReplacer("_", "\\_", "%", "\\%").Replace(name)); err == nil {
			var drop []string
			for accts.Next() {
				var u, h string
				if accts.Scan(&u, &h) == nil {
					drop = append(drop, "DROP USER IF EXISTS '"+u+"'@'"+h+"'")
				}
			}
			accts.Close()
			for _, q := range drop {
				_, _ = db.ExecContext(context.Background(), q)
			}
		}
		// staging/backup leftovers of a failed import
		rows, err := db.QueryContext(context.Background(), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", name+"\\_\\_synco\\_%")
		if err != nil {
			return
		}
		var left []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			left = append(left, n)
		}
		rows.Close()
		for _, n := range left {
			_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+n+"`")
		}
	})
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func cfgFor(t *testing.T, name string) *mysql.Config {
	t.Helper()
	c, err := mysql.ParseDSN(testDSN + name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dump(t *testing.T, name string, opt dumpers.Options) *dumperstest.Mem {
	t.Helper()
	s := dumperstest.NewMem()
	if err := mysql.NewDumper(cfgFor(t, name)).Dump(t.Context(), s, opt); err != nil {
		t.Fatalf("dump %s: %v", name, err)
	}
	return s
}

// checksums gives CHECKSUM TABLE and the row count of every base table of db.
func checksums(t *testing.T, db *sql.DB, name string) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", name)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tb := range tables {
		tb := tb
		qt := strings.ReplaceAll(tb, "`", "``")
		var n string
		var sum sql.NullString
		q := fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", name, qt)
		if err := db.QueryRowContext(t.Context(), q).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		var cnt int64
		if err := db.QueryRowContext(t.Context(), fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", name, qt)).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
		out[tb] = fmt.Sprintf("rows=%d checksum=%s", cnt, sum.String)
	}
	return out
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRowContext(t.Context(), q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func equalMaps(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s: got %q, want %q", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s: unexpected (%q)", what, k, got[k])
		}
	}
}
