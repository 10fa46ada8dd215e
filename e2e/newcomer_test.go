package e2e_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A pull from a directory that does not exist says so, and a pull from one
// without an application gives advice that holds for pull (it said "pass --db
// and --files to say what to sync": publish's flags; pull's --db is the local
// database).
func TestPullNoApplicationAdvice(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nonexistent-app")
	r := pull(t, t.TempDir(), nil, "--via", "sh -c", missing, "--to", t.TempDir(), "--remote-dir", t.TempDir(), "--cache", t.TempDir())
	r.wantCode(t, 7, "the application's directory "+missing+" does not exist on the source", "the application's directory")
	if strings.Contains(r.stderr, "--files") {
		t.Errorf("pull advises publish's flags:\n%s", r.stderr)
	}

	empty := t.TempDir()
	r = pull(t, t.TempDir(), nil, "--via", "sh -c", empty, "--to", t.TempDir(), "--remote-dir", t.TempDir(), "--cache", t.TempDir())
	r.wantCode(t, 7, "no Neos, Flow, Symfony, Laravel, WordPress, Drupal or TYPO3 configuration found", "the application's directory")
	if strings.Contains(r.stderr, "pass --db and --files") || !strings.Contains(r.stderr, "synco pull takes the application's directory") {
		t.Errorf("pull's advice for a directory without an application:\n%s", r.stderr)
	}
}

// --tables that matches no published table (a typo, a wrong case) is warned
// about before the plan's question, naming the glob and the published tables
// (it installed nothing and said only "done"); it is not an error, since a
// table empty at the source is not published and selecting it empties the
// local one. An --exclude-tables that matches nothing is a warning too.
func TestFetchTablesMatchingNothing(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := sourceAndTarget(t, root, "synco_e2e_tsrc", "synco_e2e_tdst", func(src, dst string) []string {
		return []string{
			"CREATE DATABASE " + src, "CREATE DATABASE " + dst,
			"CREATE TABLE " + src + ".posts (id INT PRIMARY KEY, v VARCHAR(20))",
			"CREATE TABLE " + src + ".users (id INT PRIMARY KEY, v VARCHAR(20))",
			"INSERT INTO " + src + ".posts VALUES (1,'prod post')",
			"INSERT INTO " + src + ".users VALUES (1,'prod user')",
			"CREATE TABLE " + dst + ".posts (id INT PRIMARY KEY, v VARCHAR(20))",
			"INSERT INTO " + dst + ".posts VALUES (9,'local post')",
		}
	})
	posts := func() string {
		var s sql.NullString
		root.QueryRow("SELECT GROUP_CONCAT(v ORDER BY id) FROM " + dst + ".posts").Scan(&s)
		return s.String
	}
	pub, _ := publishDB(t, "mysql://root@127.0.0.1:3306/"+src, t.TempDir())
	defer pub.stop()
	dstDSN := "mysql://root@127.0.0.1:3306/" + dst
	cache := t.TempDir()
	run := func(args ...string) (int, string) {
		t.Helper()
		p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=" + dstDSN}, append([]string{"fetch", pub.token, "--cache", cache}, args...)...)
		return p.wait(120 * time.Second), p.stderr.String()
	}

	for _, c := range []struct {
		args          []string
		warning, hint string
		posts         string
	}{
		{[]string{"--tables", "nosuch*"}, "--tables nosuch* matches none of the 2 tables the source publishes rows of: posts, users", "case-sensitive", "local post"},
		{[]string{"--tables", "Posts"}, "--tables Posts matches none of the 2 tables", "did you mean --tables posts?", "local post"},
		{[]string{"--tables", "posts", "--tables", "nosuch", "--tables", "x*"}, "--tables nosuch, x* match none of the 2 tables", "", "prod post"},
	} {
		code, stderr := run(append(c.args, "--yes")...)
		if code != 0 || !strings.Contains(stderr, "synco: warning: "+c.warning) || !strings.Contains(stderr, c.hint) {
			t.Errorf("fetch %v: exit %d, want 0 and a warning with %q and %q:\n%s", c.args, code, c.warning, c.hint, stderr)
		}
		if got := posts(); got != c.posts {
			t.Fatalf("fetch %v: local posts %q, want %q", c.args, got, c.posts)
		}
		if _, err := root.Exec("UPDATE " + dst + ".posts SET id = 9, v = 'local post'"); err != nil {
			t.Fatal(err)
		}
	}

	code, stderr := run("--exclude-tables", "nosuch", "--exclude-tables", "users")
	if code != 0 || !strings.Contains(stderr, "synco: warning: --exclude-tables nosuch matches none of the published tables: it keeps no local rows") || strings.Contains(stderr, "--exclude-tables users matches") {
		t.Errorf("fetch --exclude-tables nosuch: exit %d, want 0 and a warning about nosuch only:\n%s", code, stderr)
	}
	if got := posts(); got != "prod post" {
		t.Errorf("fetch --exclude-tables nosuch,users: posts = %q, want the published rows", got)
	}
}

// A fetch interrupted after its database was installed, while its files were
// still downloading, says so: the two are installed one after the other, and
// "interrupted" alone left the user to guess that the database was new.
func TestFetchInterruptedAfterDatabase(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := sourceAndTarget(t, root, "synco_e2e_isrc", "synco_e2e_idst", func(src, _ string) []string {
		return []string{"CREATE DATABASE " + src, "CREATE TABLE " + src + ".t (id INT PRIMARY KEY)", "INSERT INTO " + src + ".t VALUES (1), (2)"}
	})
	files := t.TempDir()
	r := newRand(7)
	for i := range 4 {
		writeFile(t, filepath.Join(files, fmt.Sprintf("big%d.bin", i)), randomBytes(r, 10_000_000), 0o644)
	}
	www := t.TempDir()
	srv := serveStatic(t, www, "-rate", "2000000") // the files take seconds, the database comes first
	pub := servedPublisher(t, "", []string{"SYNCO_DB=mysql://root@127.0.0.1:3306/" + src},
		"--files", "up="+files, "--out", www, "--url", srv.url, "--state-dir", t.TempDir())
	defer pub.stop()
	p := start(t, bin.synco, "", []string{"SYNCO_LOCAL_DB=mysql://root@127.0.0.1:3306/" + dst},
		"fetch", pub.token, "--to", t.TempDir(), "--cache", t.TempDir(), "--yes")
	waitFor(t, 60*time.Second, "the database to be installed", func() bool {
		if p.exited() {
			t.Fatalf("fetch ended (exit %d) before it could be interrupted\n%s", p.code, p.stderr.String())
		}
		var n int
		return root.QueryRow("SELECT COUNT(*) FROM "+dst+".t").Scan(&n) == nil && n == 2
	})
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 130 {
		t.Fatalf("fetch after SIGINT: exit %d, want 130\n%s", code, p.stderr.String())
	}
	if want := "synco: interrupted after the database was installed (into " + dst + "), before the files were all written\n"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
	}
}

// What the source leaves out of the files (a symlink, not a regular file) is
// said by synco pull too, as publish says it; it was lost without a word.
func TestPullSaysWhatItSkipped(t *testing.T) {
	t.Parallel()
	p := sourceProject(t, "wordpress", "127.0.0.1:3306")
	dir := filepath.Join(p.src, p.files)
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	if err := os.Symlink(ents[0].Name(), filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	r := pull(t, p.local, nil, "--via", "sh -c", p.src, "--yes", "--only", "files", "--remote-dir", t.TempDir(), "--cache", t.TempDir()).must(t)
	if !strings.Contains(r.stderr, "source: warning: skipped ") || !strings.Contains(r.stderr, "link.bin (not a regular file or directory") {
		t.Errorf("pull does not say what the source skipped:\n%s", r.stderr)
	}
}
