package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"synco/internal/testenv"
)

// mariadb returns a pool on the test MariaDB (root, no database), or skips/fails.
func mariadb(t *testing.T) *sql.DB {
	t.Helper()
	root, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/")
	if err == nil {
		err = root.Ping()
	}
	testenv.Require(t, "MariaDB on 127.0.0.1:3306", err)
	t.Cleanup(func() { root.Close() })
	return root
}

func dbName(prefix string) string { return fmt.Sprintf("%s_%d", prefix, rand.Uint32()) }

// sourceAndTarget names a source and a target database (dropped at cleanup,
// with the target's loading account) and runs setup on root: the CREATE
// DATABASE statements and what fills them.
func sourceAndTarget(t *testing.T, root *sql.DB, srcPrefix, dstPrefix string, setup func(src, dst string) []string) (src, dst string) {
	t.Helper()
	src, dst = dbName(srcPrefix), dbName(dstPrefix)
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
		dropLoadingAccount(root, dst)
	})
	for _, q := range setup(src, dst) {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return src, dst
}

// publishDB starts synco-lite publish --db (DSN through SYNCO_DB) with --out into a
// static server, so the test can tamper with the published files.
func publishDB(t *testing.T, dsn, state string, extra ...string) (*publisher, string) {
	t.Helper()
	www := t.TempDir()
	srv := serveStatic(t, www)
	p := servedPublisher(t, "", []string{"SYNCO_DB=" + dsn}, append([]string{"--out", www, "--url", srv.url, "--state-dir", state}, extra...)...)
	if strings.Contains(p.stderr.String(), "secret") {
		t.Errorf("publish stderr shows the database password:\n%s", p.stderr.String())
	}
	return p, filepath.Join(www, p.prefix())
}

func fetchDB(t *testing.T, token, dsn, to, cache string) fetchResult {
	t.Helper()
	args := []string{"fetch", token, "--cache", cache, "--json"}
	if to != "" {
		args = append(args, "--to", to)
	}
	p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=" + dsn}, args...)
	code := p.wait(120 * time.Second)
	return fetchResult{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}

func TestDatabaseMySQL(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := dbName("synco_e2e_src"), dbName("synco_e2e_dst")
	user := dbName("synco_e2e_user")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
		root.Exec("DROP USER IF EXISTS '" + user + "'@'%'")
	})
	run := func(q string) {
		t.Helper()
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run("CREATE DATABASE " + src + " CHARACTER SET utf8mb4")
	run(`CREATE TABLE ` + src + `.page (id INT UNSIGNED PRIMARY KEY, title VARCHAR(200), body MEDIUMTEXT, pic BLOB, big BIGINT UNSIGNED, created DATETIME(6))`)
	run(`CREATE TABLE ` + src + `.cache_entries (k VARCHAR(64) PRIMARY KEY, v BLOB)`)
	run(`CREATE TRIGGER ` + src + `.page_created BEFORE INSERT ON ` + src + `.page FOR EACH ROW SET NEW.created = NOW(6)`)
	r := newRand(42)
	var rows []string
	for i := 1; i <= 3000; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'Seite %d 🙂','%s',0x%x,18446744073709551615,'2024-01-02 03:04:05.%06d')", i, i, text(r, 200+r.IntN(800)), randomBytes(r, 20), i))
	}
	run("INSERT INTO " + src + ".page VALUES " + strings.Join(rows, ","))
	run("INSERT INTO " + src + ".cache_entries VALUES ('a', 0x00ff), ('b', 0x01)")
	// A password with URL-special characters, passed through SYNCO_DB only.
	run("CREATE USER '" + user + "'@'%' IDENTIFIED BY 's3cr@t/secret'")
	run("GRANT ALL ON *.* TO '" + user + "'@'%'")
	srcDSN := "mysql://" + user + ":s3cr%40t%2Fsecret@127.0.0.1:3306/" + src
	dstDSN := "mysql://root@127.0.0.1:3306/" + dst
	// The local database exists and has a table the source does not: it must go.
	run("CREATE DATABASE " + dst)
	run("CREATE TABLE " + dst + ".local_only (x INT)")

	state, cache := t.TempDir(), t.TempDir()
	pub, _ := publishDB(t, srcDSN, state, "--structure-only", "cache_*")
	to := filepath.Join(t.TempDir(), "out")
	res := fetchDB(t, pub.token, dstDSN, to, cache)
	if res.code != 0 {
		t.Fatalf("fetch --db: exit %d\n%s", res.code, res.stderr)
	}
	checksum := func(db string) string {
		var table, sum string
		if err := root.QueryRow("CHECKSUM TABLE "+db+".page").Scan(&table, &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	count := func(q string) int {
		var n int
		if err := root.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if a, b := checksum(src), checksum(dst); a != b {
		t.Errorf("page checksum: source %s, local %s", a, b)
	}
	if n := count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='" + dst + "' AND table_name='local_only'"); n != 0 {
		t.Error("a table that exists only locally survived the install")
	}
	if n := count("SELECT COUNT(*) FROM " + dst + ".cache_entries"); n != 0 {
		t.Errorf("structure-only table has %d rows", n)
	}
	if n := count("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema='" + dst + "'"); n != 1 {
		t.Errorf("%d triggers, want 1", n)
	}
	// --to also holds the dump as one .sql file that the mysql client loads.
	if _, err := exec.LookPath("mysql"); err == nil {
		file := dbName("synco_e2e_file")
		t.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS " + file) })
		run("CREATE DATABASE " + file)
		cmd := exec.Command("mysql", "-uroot", "-h127.0.0.1", file)
		f, err := os.Open(filepath.Join(to, "db.sql"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mysql < db.sql: %v\n%s", err, out)
		}
		if checksum(file) != checksum(src) {
			t.Error("db.sql loaded by the mysql client differs from the source")
		}
	}

	// Day 2: one row changes; the re-fetch downloads a small part and installs it.
	run("UPDATE " + src + ".page SET title='changed' WHERE id=1500")
	pub.stop()
	pub2, _ := publishDB(t, srcDSN, state, "--structure-only", "cache_*")
	first := res.stats(t)
	res = fetchDB(t, pub2.token, dstDSN, "", cache)
	if res.code != 0 {
		t.Fatalf("second fetch --db: exit %d\n%s", res.code, res.stderr)
	}
	second := res.stats(t)
	if second.BytesDownloaded*5 > first.BytesDownloaded {
		t.Errorf("one changed row: downloaded %d bytes, the first fetch %d", second.BytesDownloaded, first.BytesDownloaded)
	}
	if checksum(src) != checksum(dst) {
		t.Error("the change did not arrive")
	}

	// Tampered publication: exit 5, and the local database keeps its content.
	run("UPDATE " + src + ".page SET title='changed again' WHERE id=1")
	before := checksum(dst)
	pub2.stop()
	// A fresh state dir and cache: every chunk is new, so the fetch must download.
	pub3, dir3 := publishDB(t, srcDSN, t.TempDir())
	for _, p := range listDir(t, filepath.Join(dir3, "p")) {
		path := filepath.Join(dir3, "p", p)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res = fetchDB(t, pub3.token, dstDSN, "", t.TempDir())
	res.wantFailure(t, 5, pub3.token, "")
	if checksum(dst) != before {
		t.Error("a failed install changed the local database")
	}
	if n := count("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE '" + dst + "\\_\\_synco%'"); n != 0 {
		t.Errorf("%d staging databases left behind", n)
	}
}

func TestDatabasePostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	testenv.Require(t, "PostgreSQL on 127.0.0.1:5432", err)
	src, dst := dbName("synco_e2e_src"), dbName("synco_e2e_dst")
	t.Cleanup(func() { // cleanups run after the function returns: conn is closed here, not deferred
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+src+" WITH (FORCE)")
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+dst+" WITH (FORCE)")
		conn.Close(ctx)
	})
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+src); err != nil {
		t.Fatal(err)
	}
	sc, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+src)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close(ctx)
	for _, q := range []string{
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE page (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text, tags text[], meta jsonb, m mood, at timestamptz, pic bytea)`,
		`INSERT INTO page (title, tags, meta, m, at, pic) SELECT 'Seite ' || g || ' 🙂', ARRAY['a', g::text], jsonb_build_object('n', g), 'ok', '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', '\x00ff'::bytea FROM generate_series(1, 3000) g`,
		`CREATE VIEW recent AS SELECT id, title FROM page WHERE id > 2900`,
		// row-level security is not dumped: publish and fetch say the copy lacks it
		`CREATE TABLE private (id int PRIMARY KEY, owner text)`,
		`ALTER TABLE private ENABLE ROW LEVEL SECURITY`,
		`CREATE POLICY own ON private USING (owner = current_user)`,
	} {
		if _, err := sc.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sum := func(db, q string) string {
		c, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var s string
		if err := c.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s on %s: %v", q, db, err)
		}
		return s
	}
	const pageSum = `SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM page p`
	const viewCount = `SELECT count(*)::text FROM recent`
	to := filepath.Join(t.TempDir(), "out")
	pub, _ := publishDB(t, "postgres://postgres@127.0.0.1:5432/"+src, t.TempDir())
	res := fetchDB(t, pub.token, "postgres://postgres@127.0.0.1:5432/"+dst, to, t.TempDir())
	if res.code != 0 {
		t.Fatalf("fetch --db: exit %d\n%s", res.code, res.stderr)
	}
	if a, b := sum(src, pageSum), sum(dst, pageSum); a != b {
		t.Errorf("page: source %s, local %s", a, b)
	}
	if got := sum(dst, viewCount); got != "100" {
		t.Errorf("view rows: %s, want 100", got)
	}
	if got := sum(dst, `SELECT nextval('page_id_seq')::text`); got != "3001" {
		t.Errorf("identity continues at %s, want 3001", got)
	}
	if fi, err := os.Stat(filepath.Join(to, "db.sql")); err != nil || fi.Size() == 0 {
		t.Errorf("--to has no db.sql: %v", err)
	}
	if want := "synco: database db written as " + filepath.Join(to, "db.sql") + " (load it with: psql -v ON_ERROR_STOP=1 -d DBNAME -f " + filepath.Join(to, "db.sql") + ")\n"; !strings.Contains(res.stderr, want) {
		t.Errorf("fetch does not say where the dump went:\n%s", res.stderr)
	}
	const lacks = "row-level security of public.private (1 policy): the copy has none, so every role sees every row"
	if !strings.Contains(res.stderr, "synco: database db: not copied: "+lacks) || !strings.Contains(res.stdout, `"lacks":["`+lacks+`"]`) {
		t.Errorf("fetch does not say that the copy lacks the row-level security:\n%s\n%s", res.stderr, res.stdout)
	}
}

// TestDatabasePartial installs the published rows of some tables only: the others
// keep their local rows (--tables, --exclude-tables).
func TestDatabasePartial(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := dbName("synco_e2e_psrc"), dbName("synco_e2e_pdst")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
	})
	for _, q := range []string{
		"CREATE DATABASE " + src, "CREATE DATABASE " + dst,
		"CREATE TABLE " + src + ".posts (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE " + src + ".users (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE " + src + ".fresh (id INT PRIMARY KEY)",
		"INSERT INTO " + src + ".posts VALUES (1,'prod post'),(2,'prod post 2')",
		"INSERT INTO " + src + ".users VALUES (1,'prod user')",
		"INSERT INTO " + src + ".fresh VALUES (1)",
		"CREATE TABLE " + dst + ".posts (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE " + dst + ".users (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO " + dst + ".posts VALUES (9,'local post')",
		"INSERT INTO " + dst + ".users VALUES (7,'local dev user')",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows := func(table string) string {
		var s sql.NullString
		root.QueryRow("SELECT GROUP_CONCAT(v ORDER BY id) FROM " + dst + "." + table).Scan(&s)
		return s.String
	}
	pub, _ := publishDB(t, "mysql://root@127.0.0.1:3306/"+src, t.TempDir())
	defer pub.stop()
	dstDSN := "mysql://root@127.0.0.1:3306/" + dst
	cache := t.TempDir()

	run := func(args ...string) {
		t.Helper()
		p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=" + dstDSN}, append([]string{"fetch", pub.token, "--cache", cache}, args...)...)
		if code := p.wait(120 * time.Second); code != 0 {
			t.Fatalf("fetch %v: exit %d\n%s", args, code, p.stderr.String())
		}
	}
	run("--tables", "posts")
	if got := rows("posts"); got != "prod post,prod post 2" {
		t.Errorf("--tables posts: posts = %q", got)
	}
	if got := rows("users"); got != "local dev user" {
		t.Errorf("--tables posts: users = %q, want the local rows kept", got)
	}
	var n int
	if err := root.QueryRow("SELECT COUNT(*) FROM " + dst + ".fresh").Scan(&n); err != nil || n != 0 {
		t.Errorf("a table new at the source and not selected: %d rows, %v (want its structure, no rows)", n, err)
	}

	root.Exec("UPDATE " + dst + ".users SET v='local again'")
	run("--exclude-tables", "users")
	if got := rows("users"); got != "local again" {
		t.Errorf("--exclude-tables users: users = %q", got)
	}
	if err := root.QueryRow("SELECT COUNT(*) FROM " + dst + ".fresh").Scan(&n); err != nil || n != 1 {
		t.Errorf("--exclude-tables users: fresh has %d rows, %v; want the published row", n, err)
	}
}

// TestPublishBadDatabase: wrong credentials are reported before any token is
// printed, with a hint, and without the password.
func TestPublishBadDatabase(t *testing.T) {
	t.Parallel()
	mariadb(t) // the check needs a server that answers
	p := start(t, bin.lite, "", []string{"SYNCO_DB=mysql://nobody:Wr0ngSecret@127.0.0.1:3306/x"}, "publish", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
	if code := p.wait(30 * time.Second); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, p.stderr.String())
	}
	if p.stdout.String() != "" {
		t.Errorf("a token was printed for a publication that cannot work: %q", p.stdout.String())
	}
	errOut := p.stderr.String()
	if !strings.Contains(errOut, "synco-lite: hint: check the user and password") || strings.Contains(errOut, "Wr0ngSecret") {
		t.Errorf("stderr:\n%s", errOut)
	}
}
