package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"synco/internal/testenv"
)

// TestDeltaInstallEndToEnd runs the daily sync with the real binaries on both
// engines: a first fetch installs everything; after 1 % of the rows changed at the
// source, a republish from the same store and a fetch with the same cache install
// only the difference; the same publication again does no database work; a row
// edited in the local copy is brought back by the next delta; a publication
// of another store is a full import that says why. The local database equals
// the source each time.
func TestDeltaInstallEndToEnd(t *testing.T) {
	t.Parallel()
	type engine struct {
		name, base string
		exec       func(db, q string)
		sum        func(db string) string
	}
	root := mariadb(t)
	ctx := context.Background()
	pg, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	testenv.Require(t, "PostgreSQL on 127.0.0.1:5432", err)
	pg.Close(ctx)
	pgExec := func(db, q string) {
		c, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db)
		if err != nil {
			panic(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, q); err != nil {
			panic(fmt.Sprintf("%s: %v", q, err))
		}
	}
	for _, e := range []engine{
		{name: "mysql", base: "mysql://root@127.0.0.1:3306/",
			exec: func(db, q string) {
				c, err := root.Conn(ctx)
				if err != nil {
					panic(err)
				}
				defer c.Close()
				if _, err := c.ExecContext(ctx, "USE "+db); err != nil {
					panic(err)
				}
				if _, err := c.ExecContext(ctx, q); err != nil {
					panic(fmt.Sprintf("%s: %v", q, err))
				}
			},
			sum: func(db string) string {
				var table, s string
				if err := root.QueryRow("CHECKSUM TABLE "+db+".t").Scan(&table, &s); err != nil {
					panic(err)
				}
				return s
			}},
		{name: "postgres", base: "postgres://postgres@127.0.0.1:5432/",
			exec: func(db, q string) { pgExec(db, q) },
			sum: func(db string) string {
				c, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db)
				if err != nil {
					panic(err)
				}
				defer c.Close(ctx)
				var s string
				if err := c.QueryRow(ctx, "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM t").Scan(&s); err != nil {
					panic(err)
				}
				return s
			}},
	} {
		t.Run(e.name, func(t *testing.T) {
			src, dst := dbName("synco_e2e_delta_src"), dbName("synco_e2e_delta_dst")
			admin := map[string]string{"mysql": "mysql", "postgres": "postgres"}[e.name]
			e.exec(admin, "CREATE DATABASE "+src)
			t.Cleanup(func() {
				drop := map[string]string{"mysql": "", "postgres": " WITH (FORCE)"}[e.name]
				e.exec(admin, "DROP DATABASE IF EXISTS "+src+drop)
				e.exec(admin, "DROP DATABASE IF EXISTS "+dst+drop)
			})
			e.exec(src, "CREATE TABLE t(id INT PRIMARY KEY, body VARCHAR(200))")
			var rows []string
			for i := 1; i <= 2000; i++ {
				rows = append(rows, fmt.Sprintf("(%d, 'row %d %s')", i, i, strings.Repeat("x", i%97)))
			}
			e.exec(src, "INSERT INTO t(id, body) VALUES "+strings.Join(rows, ","))

			state, cache := t.TempDir(), t.TempDir()
			day := func(want string) {
				t.Helper()
				pub, _ := publishDB(t, e.base+src, state)
				defer pub.stop()
				for i, want := range []string{want, "unchanged since the last install"} {
					r := fetchDB(t, pub.token, e.base+dst, "", cache)
					if r.code != 0 {
						t.Fatalf("fetch %d: exit %d\n%s", i, r.code, r.stderr)
					}
					if want != "" && !strings.Contains(r.stderr, want) {
						t.Errorf("fetch %d does not say %q:\n%s", i, want, r.stderr)
					}
					if a, b := e.sum(src), e.sum(dst); a != b {
						t.Fatalf("fetch %d: source %s, local %s", i, a, b)
					}
				}
			}
			day("")
			e.exec(src, "UPDATE t SET body = 'edited' WHERE id % 100 = 7")
			e.exec(src, "DELETE FROM t WHERE id % 500 = 3")
			e.exec(src, "INSERT INTO t(id, body) VALUES (5000, 'new')")
			day("delta install into " + dst)
			// A developer's edit of the local copy: brought back in the next delta.
			time.Sleep(time.Second) // past the second of the last install (MariaDB's change times)
			e.exec(dst, "UPDATE t SET body = 'edited locally' WHERE id = 10")
			e.exec(src, "UPDATE t SET body = 'edited again' WHERE id = 20")
			day("1 table(s) changed locally since the last install were brought back to the published rows")
			// Another store of the source (new keys: --rotate, or pull after
			// publish): the installed snapshot does not open with its keys, and
			// the full import says so (it said "table definitions changed").
			state = t.TempDir()
			day("full import: the cache no longer holds the installed snapshot, or the source published it with other keys")
		})
	}
}
