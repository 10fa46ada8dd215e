package e2e_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWordPressURLRewrite: a WordPress site synced into a local checkout whose
// wp-config.php defines WP_HOME works locally: synco detect names the local URL,
// the plan says what will be rewritten, and the installed database holds the
// local URL wherever the production one was (plain, serialized with new lengths,
// JSON with escaped slashes, scheme-relative) while every other value is as
// published. An explicit --rewrite adds a pair.
func TestWordPressURLRewrite(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	srcDB, dstDB := dbName("synco_e2e_wprw_src"), dbName("synco_e2e_wprw_dst")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + srcDB)
		root.Exec("DROP DATABASE IF EXISTS " + dstDB)
	})
	run := func(q string, args ...any) {
		t.Helper()
		if _, err := root.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ser := func(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }
	run("CREATE DATABASE " + srcDB)
	run("CREATE TABLE " + srcDB + ".wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)")
	run("CREATE TABLE " + srcDB + ".wp_postmeta (meta_id INT PRIMARY KEY, meta_value LONGTEXT)")
	run("CREATE TABLE " + srcDB + ".wp_posts (ID INT PRIMARY KEY, post_content LONGTEXT)")
	cases := []struct{ table, id, before, after string }{
		{"wp_options", "1", "https://www.example.com", "http://example.test"},
		{"wp_options", "2", "https://www.example.com", "http://example.test"},
		{"wp_options", "3", "a:1:{s:3:\"url\";" + ser("https://www.example.com/shop") + "}", "a:1:{s:3:\"url\";" + ser("http://example.test/shop") + "}"},
		{"wp_postmeta", "1", `{"img":"https:\/\/www.example.com\/a.png","cdn":"https:\/\/cdn.example.com\/b.png"}`, `{"img":"http:\/\/example.test\/a.png","cdn":"http:\/\/cdn.example.test\/b.png"}`},
		{"wp_posts", "1", "<img src=\"//www.example.com/c.png\">\r\n<a href=\"http://www.example.com/x\">x</a>", "<img src=\"//example.test/c.png\">\r\n<a href=\"http://example.test/x\">x</a>"},
		{"wp_posts", "2", "https://www.example.com.au stays", "https://www.example.com.au stays"},
	}
	run("INSERT INTO "+srcDB+".wp_options VALUES (1,'siteurl',?),(2,'home',?),(3,'shop',?)", cases[0].before, cases[1].before, cases[2].before)
	run("INSERT INTO "+srcDB+".wp_postmeta VALUES (1,?)", cases[3].before)
	run("INSERT INTO "+srcDB+".wp_posts VALUES (1,?),(2,?)", cases[4].before, cases[5].before)

	config := func(db, extra string) string {
		return "<?php\ndefine( 'DB_NAME', '" + db + "' );\ndefine( 'DB_USER', 'root' );\ndefine( 'DB_PASSWORD', '' );\ndefine( 'DB_HOST', '127.0.0.1:3306' );\n" + extra + "$table_prefix = 'wp_';\nrequire_once ABSPATH . 'wp-settings.php';\n"
	}
	src, local := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "wp-config.php"), []byte(config(srcDB, "")), 0o644)
	writeFile(t, filepath.Join(local, "wp-config.php"), []byte(config(dstDB, "define( 'WP_HOME', 'http://example.test' );\ndefine( 'WP_SITEURL', 'http://example.test' );\n")), 0o644)

	d := startDir(t, local, bin.synco, "", nil, "detect")
	if code := d.wait(30 * time.Second); code != 0 || !strings.Contains(d.stdout.String(), "site URL:   http://example.test") {
		t.Errorf("detect (exit %d) does not name the local URL:\n%s%s", code, d.stdout.String(), d.stderr.String())
	}

	p := &publisher{proc: startDir(t, src, bin.lite, "", nil, "publish", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir(), "--no-scrub")}
	waitFor(t, 60*time.Second, "the publication", func() bool {
		if p.exited() {
			t.Fatalf("publish exited with %d\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stderr.String(), "serving until")
	})
	defer p.stop()
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	token := strings.TrimPrefix(line, "synco fetch ")
	cache := t.TempDir()
	explicit := "--rewrite=https://cdn.example.com=http://cdn.example.test"

	dry := startDir(t, local, bin.synco, "", nil, "fetch", token, "--dry-run", explicit, "--cache", cache)
	if code := dry.wait(60 * time.Second); code != 0 {
		t.Fatalf("fetch --dry-run: exit %d\n%s", code, dry.stderr.String())
	}
	for _, want := range []string{
		"  - rewrite https://cdn.example.com → http://cdn.example.test in the database",
		"  - rewrite the source's WordPress URL (home and siteurl of wp_options in the dump) → http://example.test (from wp-config.php (WP_HOME, WP_SITEURL)) in the database",
	} {
		if !strings.Contains(dry.stderr.String(), want) {
			t.Errorf("the plan lacks %q:\n%s", want, dry.stderr.String())
		}
	}

	f := startDir(t, local, bin.synco, "", nil, "fetch", token, "--yes", explicit, "--cache", cache, "--json")
	if code := f.wait(120 * time.Second); code != 0 {
		t.Fatalf("fetch --yes: exit %d\n%s", code, f.stderr.String())
	}
	if !strings.Contains(f.stderr.String(), "rewrote https://cdn.example.com → http://cdn.example.test, https://www.example.com → http://example.test in 5 values") {
		t.Errorf("fetch does not say what it rewrote:\n%s", f.stderr.String())
	}
	// and --json says it to scripts
	if want := `"rewrite":{"pairs":[{"from":"https://cdn.example.com","to":"http://cdn.example.test"},{"from":"https://www.example.com","to":"http://example.test"}],"values":5}`; !strings.Contains(f.stdout.String(), want) {
		t.Errorf("fetch --json lacks %s:\n%s", want, f.stdout.String())
	}
	pk := map[string]string{"wp_options": "option_id", "wp_postmeta": "meta_id", "wp_posts": "ID"}
	col := map[string]string{"wp_options": "option_value", "wp_postmeta": "meta_value", "wp_posts": "post_content"}
	for _, c := range cases {
		var got string
		if err := root.QueryRow("SELECT "+col[c.table]+" FROM "+dstDB+"."+c.table+" WHERE "+pk[c.table]+" = ?", c.id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.after {
			t.Errorf("%s %s: %q, want %q", c.table, c.id, got, c.after)
		}
		if strings.HasPrefix(got, "a:") {
			if php, err := exec.LookPath("php"); err == nil {
				cmd := exec.Command(php, "-r", `exit(is_array(unserialize(stream_get_contents(STDIN))) ? 0 : 1);`)
				cmd.Stdin = strings.NewReader(got)
				if err := cmd.Run(); err != nil {
					t.Errorf("%s %s does not unserialize: %q", c.table, c.id, got)
				}
			}
		}
	}
	// A checkout without WP_HOME: the first sync leaves the URLs as
	// published, the next one finds the source's URL in the local database:
	// nothing to rewrite, and fetch says that the local site links to the
	// source (it said it would rewrite the URL to itself).
	bare, bareDB := t.TempDir(), dbName("synco_e2e_wprw_bare")
	t.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS " + bareDB) })
	writeFile(t, filepath.Join(bare, "wp-config.php"), []byte(config(bareDB, "")), 0o644)
	for i, want := range []string{
		"leave the database's URLs as published: the local WordPress URL is unknown",
		"the local WordPress URL https://www.example.com (from the local database's wp_options) is the source's own: nothing to rewrite, and the local site links to the source",
	} {
		f := startDir(t, bare, bin.synco, "", nil, "fetch", token, "--yes", "--cache", cache)
		if code := f.wait(120 * time.Second); code != 0 {
			t.Fatalf("fetch %d into a checkout without WP_HOME: exit %d\n%s", i+1, code, f.stderr.String())
		}
		if !strings.Contains(f.stderr.String(), want) {
			t.Errorf("fetch %d into a checkout without WP_HOME lacks %q:\n%s", i+1, want, f.stderr.String())
		}
	}
	// the source is untouched
	var home string
	root.QueryRow("SELECT option_value FROM " + srcDB + ".wp_options WHERE option_id = 2").Scan(&home)
	if home != "https://www.example.com" {
		t.Errorf("source home changed: %q", home)
	}
}
