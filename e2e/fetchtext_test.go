package e2e_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/dumpers/mysql"
)

// laravelProject makes a Laravel project in dir whose database is db (on the
// local MariaDB).
func laravelProject(t *testing.T, dir, db string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "artisan"), []byte("#!/usr/bin/env php\n"), 0o755)
	writeFile(t, filepath.Join(dir, ".env"), []byte("DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_PORT=3306\nDB_DATABASE="+db+"\nDB_USERNAME=root\nDB_PASSWORD=\n"), 0o644)
	if err := os.MkdirAll(filepath.Join(dir, "storage", "app", "public"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// dropLoadingAccount drops the MariaDB account that the installs into db made
// to load it and kept (TestMain's dropLoadingAccounts knows only the
// synco_e2e_ databases).
func dropLoadingAccount(root *sql.DB, db string) {
	dropUsers(root, "SELECT User, Host FROM mysql.user WHERE User = ?", mysql.LoadAccount(db))
}

// laravelPublication publishes a Laravel project on MariaDB with the tables
// posts, users (scrubbed), migrations and cache (structure only) and one
// uploaded file, and returns the publisher and a local checkout of it (with
// an existing, empty database).
func laravelPublication(t *testing.T) (pub *publisher, local, localDB string) {
	t.Helper()
	root := mariadb(t)
	src, dst := sourceAndTarget(t, root, "nc2_e2e_lvsrc", "nc2_e2e_lvdst", func(src, dst string) []string {
		return []string{
			"CREATE DATABASE " + src, "CREATE DATABASE " + dst,
			"CREATE TABLE " + src + ".posts (id INT PRIMARY KEY, title VARCHAR(50))",
			"INSERT INTO " + src + ".posts VALUES (1,'prod post'),(2,'prod post 2')",
			"CREATE TABLE " + src + ".users (id INT PRIMARY KEY, name VARCHAR(50), email VARCHAR(100))",
			"INSERT INTO " + src + ".users VALUES (1,'Ann Example','ann@example.com')",
			"CREATE TABLE " + src + ".migrations (id INT PRIMARY KEY, migration VARCHAR(100))",
			"INSERT INTO " + src + ".migrations VALUES (1,'create_users_table')",
			"CREATE TABLE " + src + ".cache (`key` VARCHAR(100) PRIMARY KEY, value TEXT)",
			"INSERT INTO " + src + ".cache VALUES ('k','v')",
		}
	})
	srcDir, local := t.TempDir(), t.TempDir()
	laravelProject(t, srcDir, src)
	laravelProject(t, local, dst)
	writeFile(t, filepath.Join(srcDir, "storage", "app", "public", "a.txt"), []byte("uploaded\n"), 0o644)
	pub = servedPublisher(t, srcDir, nil, "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
	t.Cleanup(pub.stop)
	return pub, local, dst
}

// What fetch prints is true of what it did: a database found unchanged is
// not "installed" (it said "nothing to do", then "installed the database"),
// --only files says nothing of the database's scrubbing (it did), a partial
// sync's plan and summary name the tables that take the published rows (it
// said "replace the database with the published dump", "rows of 3 tables"),
// lists are text (it printed "--tables [posts], except []"), and --json
// --dry-run prints its object (it printed nothing).
func TestFetchSaysWhatItDid(t *testing.T) {
	t.Parallel()
	pub, local, _ := laravelPublication(t)
	cache := t.TempDir()
	run := func(args ...string) (string, string) {
		t.Helper()
		p := startDir(t, local, bin.synco, "", nil, append([]string{"fetch", pub.token, "--cache", cache}, args...)...)
		if code := p.wait(120 * time.Second); code != 0 {
			t.Fatalf("fetch %v: exit %d\n%s", args, code, p.stderr.String())
		}
		return p.stdout.String(), p.stderr.String()
	}
	check := func(what, out string, want, not []string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", what, w, out)
			}
		}
		for _, n := range not {
			if strings.Contains(out, n) {
				t.Errorf("%s: output has %q:\n%s", what, n, out)
			}
		}
	}

	_, stderr := run("--yes")
	check("first fetch", stderr, []string{"holds the published data (mysql, rows of 3 tables)", "database db: scrubbed at the source"}, nil)
	_, stderr = run("--yes")
	check("fetch of an unchanged database", stderr, []string{"the database is unchanged since the last install: nothing to do", "holds the published data"}, []string{"installed the database"})

	_, stderr = run("--yes", "--only", "files")
	check("fetch --only files", stderr, []string{"1 was already up to date"}, []string{"scrubbed at the source", "database db", "holds the published"})

	_, stderr = run("--yes", "--tables", "posts")
	check("fetch --tables posts", stderr, []string{
		"synco: partial database sync: only the tables matching --tables posts take the published rows; the others keep their local rows\n",
		"replace the rows of 1 of the 3 published tables (posts) in the database",
		"holds the published rows of 1 of 3 tables (posts); the other tables kept their local rows",
	}, []string{"[posts]", "except", "replace the database", "rows of 3 tables"})

	stdout, stderr := run("--json", "--dry-run")
	var got struct {
		ChunksTotal      *int `json:"chunks_total"`
		ChunksDownloaded *int `json:"chunks_downloaded"`
		Plan             *struct {
			FilesUnchanged int   `json:"files_unchanged"`
			Dumps          int   `json:"dumps"`
			DownloadBytes  int64 `json:"download_bytes"`
		} `json:"plan"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&got); err != nil || dec.More() {
		t.Fatalf("fetch --json --dry-run: stdout is not one JSON object (%v):\n%q\nstderr:\n%s", err, stdout, stderr)
	}
	if got.ChunksTotal == nil || got.ChunksDownloaded == nil || *got.ChunksDownloaded != 0 || got.Plan == nil ||
		got.Plan.FilesUnchanged != 1 || got.Plan.Dumps != 1 || got.Plan.DownloadBytes != 0 {
		t.Errorf("fetch --json --dry-run: %s", stdout)
	}
}

// cache gc refuses a --cache directory that does not exist (it created it
// and reported success, leaving the real cache as it was), and says when it
// ends well below --max-size because it removes whole packs (it said "cache
// is now 0 B" after --max-size 1M).
func TestCacheGCSaysWhatItDid(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-cache")
	r := runIn(t, "", nil, bin.synco, "cache", "gc", "--max-size", "1M", "--cache", missing)
	if r.code != 2 || !strings.Contains(r.stderr, "synco: error: --cache "+missing+": the cache directory does not exist") {
		t.Errorf("cache gc --cache MISSING: exit %d, want 2 and an error\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("cache gc created the missing --cache directory")
	}

	src := t.TempDir()
	r2 := newRand(3)
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(r2, 3_000_000), 0o644)
	pub := publish(t, "--files", "up="+src, "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
	defer pub.stop()
	pub.waitReady()
	cache := t.TempDir()
	mustFetch(t, pub.token, t.TempDir(), cache)
	r = runIn(t, "", nil, bin.synco, "cache", "gc", "--max-size", "1M", "--cache", cache)
	if r.code != 0 || !strings.Contains(r.stderr, "cache is now 0 B, below --max-size 1.0 MB: chunks are removed in whole packs") {
		t.Errorf("cache gc --max-size 1M of a 3 MB cache: exit %d, want 0 and why it is now 0 B\n%s", r.code, r.stderr)
	}
}
