package e2e_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"synco/manifest"
	"synco/publish/exposetest"
)

// TestRepublishExposesOnlyPublishedRows is issue 10 §2 through the real binary:
// publish a database, then publish again from the same --state-dir with
// --exclude-table users. The source's packs still hold every row of users; with
// day 2's token, nothing of them may be readable from the day-2 publication,
// neither from the --out directory nor from the embedded server.
func TestRepublishExposesOnlyPublishedRows(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := dbName("synco_e2e_xsrc"), dbName("synco_e2e_xdst")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
	})
	const mailSecret, hashSecret = "@users-secret.example", "$2y$10$SECRETHASH"
	for _, q := range []string{
		"CREATE DATABASE " + src, "CREATE DATABASE " + dst,
		"CREATE TABLE " + src + ".posts (id INT PRIMARY KEY, body TEXT)",
		"CREATE TABLE " + src + ".users (id INT PRIMARY KEY, email VARCHAR(100), password VARCHAR(100))",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	r := newRand(10)
	insert := func(table string, n int, row func(i int) string) {
		t.Helper()
		for start := 0; start < n; start += 500 {
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO %s.%s VALUES ", src, table)
			for i := start; i < min(n, start+500); i++ {
				if i > start {
					b.WriteByte(',')
				}
				b.WriteString(row(i))
			}
			if _, err := root.Exec(b.String()); err != nil {
				t.Fatalf("insert into %s: %v", table, err)
			}
		}
	}
	insert("posts", 6000, func(i int) string {
		return fmt.Sprintf("(%d,'%s')", i, text(r, 60+r.IntN(80)))
	})
	insert("users", 2000, func(i int) string {
		return fmt.Sprintf("(%d,'user%d%s','%s%08x')", i, i, mailSecret, hashSecret, rand.Uint32())
	})

	state, dsn := t.TempDir(), "mysql://root@127.0.0.1:3306/"+src
	day1, _ := publishDB(t, dsn, state)
	day1.stop()
	// Less than 1 MiB of database: no dictionary is trained on day 1. A dictionary
	// holds pieces of the data it was trained on, users' rows included, and ships
	// with every later publication (reported with issue 10; not what this tests).
	if dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*")); len(dicts) > 0 {
		t.Fatalf("day 1 trained a dictionary (%s): make the database smaller", dicts[0])
	}

	secrets := [][]byte{[]byte(mailSecret), []byte(hashSecret)}
	day2, dir := publishDB(t, dsn, state, "--exclude-table", "users")
	rep := exposetest.Check(t, day2.parsed(), exposetest.Dir(dir), secrets...)
	t.Logf("--out: %d packs, %d bytes (%d referenced), %d slots (%d open)", rep.Packs, rep.Bytes, rep.Referenced, rep.Slots, rep.Opened)
	if rep.Slots == rep.Opened {
		t.Error("day 2 references every slot of its packs: the test covers nothing left out")
	}
	res := fetchDB(t, day2.token, "mysql://root@127.0.0.1:3306/"+dst, "", t.TempDir())
	if res.code != 0 {
		t.Fatalf("fetch day 2: exit %d\n%s", res.code, res.stderr)
	}
	var posts, users int
	root.QueryRow("SELECT COUNT(*) FROM " + dst + ".posts").Scan(&posts)
	root.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'users'", dst).Scan(&users)
	if posts != 6000 || users != 0 {
		t.Errorf("day 2 fetched: %d posts, users table %d; want 6000 and none", posts, users)
	}
	day2.stop()

	// The same publication from the embedded server.
	emb := &publisher{proc: start(t, bin.lite, "", []string{"SYNCO_DB=" + dsn}, "publish", "--listen", "127.0.0.1:0", "--state-dir", state, "--exclude-table", "users")}
	waitFor(t, 60*time.Second, "the publication", func() bool {
		if emb.exited() {
			t.Fatalf("publish exited with %d\nstderr:\n%s", emb.code, emb.stderr.String())
		}
		return strings.Contains(emb.stderr.String(), "serving until")
	})
	line, _, _ := strings.Cut(emb.stdout.String(), "\n")
	emb.token = strings.TrimPrefix(line, "synco fetch ")
	rep = exposetest.Check(t, emb.parsed(), exposetest.HTTP{Base: emb.parsed().URL}, secrets...)
	t.Logf("server: %d packs, %d bytes (%d referenced), %d slots (%d open)", rep.Packs, rep.Bytes, rep.Referenced, rep.Slots, rep.Opened)
	emb.stop()
}

// TestRepublishExposesNoDeletedFile: a file deleted since the last publish stays in
// the store's packs; the --out publication exposes none of it.
func TestRepublishExposesNoDeletedFile(t *testing.T) {
	t.Parallel()
	src, state := t.TempDir(), t.TempDir()
	makeApp(t, src, 21)
	secret := []byte("SECRET-OF-A-DELETED-FILE")
	gone := filepath.Join(src, "data", "gone.txt")
	writeFile(t, gone, append(text(newRand(3), 20000), secret...), 0o644)
	www := t.TempDir()
	day1 := publish(t, append(sourceArgs(src), "--out", www, "--url", "http://example.invalid/s", "--state-dir", state)...)
	day1.waitReady()
	day1.stop()
	os.Remove(gone)
	day2 := publish(t, append(sourceArgs(src), "--out", www, "--url", "http://example.invalid/s", "--state-dir", state)...)
	day2.waitReady()
	defer day2.stop()
	rep := exposetest.Check(t, day2.parsed(), exposetest.Dir(filepath.Join(www, day2.prefix())), secret)
	t.Logf("%d packs, %d bytes (%d referenced), %d slots (%d open)", rep.Packs, rep.Bytes, rep.Referenced, rep.Slots, rep.Opened)
	if rep.Slots == rep.Opened {
		t.Error("day 2 references every slot of its packs: the test covers nothing left out")
	}
}

// TestStopBeforeReady: a publisher stopped (SIGTERM, --ttl) during its first
// publish into --out leaves a root that says Failed, so a fetch of it ends with
// the source's failure (exit 7) instead of waiting for ever (issue 10 §4).
func TestStopBeforeReady(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "huge"))
	if err == nil {
		err = f.Truncate(1 << 40) // sparse: chunking it takes far longer than the test
		f.Close()
	}
	if err != nil {
		t.Skipf("no sparse file: %v", err)
	}
	for _, how := range []string{"SIGTERM", "--ttl"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			www := t.TempDir()
			srv := serveStatic(t, www)
			args := []string{"--files", "big=" + src, "--out", www, "--url", srv.url, "--state-dir", t.TempDir(), "--keep", "--parallel", "1"}
			if how == "--ttl" {
				args = append(args, "--ttl", "2s")
			}
			p := publish(t, args...)
			tok := p.parsed()
			rootOf := func() *manifest.Root {
				b, err := os.ReadFile(filepath.Join(www, p.prefix(), "root"))
				if err != nil {
					return nil
				}
				r, err := manifest.OpenRoot(b, tok.ReadKey, tok.SignPub)
				if err != nil {
					t.Fatalf("open root: %v", err)
				}
				return r
			}
			if how == "SIGTERM" {
				waitFor(t, 30*time.Second, "the publication to be initializing", func() bool {
					r := rootOf()
					return r != nil && r.State == manifest.StateInitializing
				})
				p.signal(syscall.SIGTERM)
			}
			p.wait(30 * time.Second)
			r := rootOf()
			if r == nil || r.State != manifest.StateFailed || r.Reason != "publisher stopped" {
				t.Fatalf("root after the publisher stopped: %+v, want Failed, \"publisher stopped\"\nstderr:\n%s", r, p.stderr.String())
			}
			res := fetch(t, p.token, filepath.Join(t.TempDir(), "to"), t.TempDir())
			res.wantFailure(t, 7, p.token, "")
			if !bytes.Contains([]byte(res.stderr), []byte("publisher stopped")) {
				t.Errorf("fetch does not show the source's reason:\n%s", res.stderr)
			}
		})
	}
}
