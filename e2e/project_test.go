package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// projectTest is a source project and an empty local checkout of the same framework,
// each pointing at its own MariaDB database.
type projectTest struct {
	name        string
	write       func(t *testing.T, dir, db string) // writes the framework's config
	filesDir    string                             // upload directory, relative
	tables      []string                           // tables with rows
	structOnly  []string                           // tables whose rows must not travel
	fileSetName string
	freshLocal  bool // the checkout has no upload directory yet
}

func TestProjectInstall(t *testing.T) {
	t.Parallel()
	root := mariadb(t)

	for _, pt := range []projectTest{
		{
			name: "neos",
			write: func(t *testing.T, dir, db string) {
				writeFile(t, filepath.Join(dir, "flow"), []byte("#!/usr/bin/env php\n"), 0o755)
				writeFile(t, filepath.Join(dir, "composer.json"), []byte(`{"require": {"neos/neos": "^8.3"}}`), 0o644)
				writeFile(t, filepath.Join(dir, "Configuration", "Settings.yaml"), []byte(
					"Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        driver: pdo_mysql\n        host: 127.0.0.1\n        port: 3306\n        dbname: "+db+"\n        user: root\n        password: ''\n"), 0o644)
			},
			filesDir:    "Data/Persistent/Resources",
			tables:      []string{"neos_contentrepository_domain_model_nodedata"},
			structOnly:  []string{"neos_neos_eventlog_domain_model_event"},
			fileSetName: "persistent",
		},
		{
			name: "wordpress",
			write: func(t *testing.T, dir, db string) {
				writeFile(t, filepath.Join(dir, "wp-config.php"), []byte(`<?php
// ** Database settings ** //
define( 'DB_NAME', '`+db+`' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:3306' );
$table_prefix = 'wp_';
require_once ABSPATH . 'wp-settings.php';
`), 0o644)
			},
			filesDir:    "wp-content/uploads",
			tables:      []string{"wp_posts"},
			fileSetName: "uploads",
		},
		{
			// A fresh checkout has no public/uploads (Symfony does not require
			// one): the published uploads go where the convention puts them
			// (they were skipped: "has no place here").
			name: "symfony",
			write: func(t *testing.T, dir, db string) {
				writeFile(t, filepath.Join(dir, "bin", "console"), []byte("#!/usr/bin/env php\n"), 0o755)
				writeFile(t, filepath.Join(dir, ".env"), []byte("APP_ENV=dev\nDATABASE_URL=\"mysql://root:@127.0.0.1:3306/"+db+"?serverVersion=10.11.0-MariaDB&charset=utf8mb4\"\n"), 0o644)
			},
			filesDir:    "public/uploads",
			tables:      []string{"product"},
			structOnly:  []string{"sessions"},
			fileSetName: "uploads",
			freshLocal:  true,
		},
	} {
		t.Run(pt.name, func(t *testing.T) {
			srcDB, dstDB := dbName("synco_e2e_"+pt.name+"_src"), dbName("synco_e2e_"+pt.name+"_dst")
			t.Cleanup(func() {
				root.Exec("DROP DATABASE IF EXISTS " + srcDB)
				root.Exec("DROP DATABASE IF EXISTS " + dstDB)
			})
			run := func(q string) {
				t.Helper()
				if _, err := root.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			run("CREATE DATABASE " + srcDB)
			r := newRand(7)
			for _, table := range append(append([]string{}, pt.tables...), pt.structOnly...) {
				run(fmt.Sprintf("CREATE TABLE %s.%s (id INT PRIMARY KEY, body TEXT)", srcDB, table))
				var rows []string
				for i := 1; i <= 200; i++ {
					rows = append(rows, fmt.Sprintf("(%d,'%s')", i, text(r, 100)))
				}
				run(fmt.Sprintf("INSERT INTO %s.%s VALUES %s", srcDB, table, strings.Join(rows, ",")))
			}
			if pt.name == "wordpress" { // transients are WordPress's cache: they stay home
				run("CREATE TABLE " + srcDB + ".wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)")
				run("INSERT INTO " + srcDB + ".wp_options VALUES (1,'siteurl','https://example.com'),(2,'_transient_feed_x','cache'),(3,'_site_transient_update','cache'),(4,'my_transient_setting','keep')")
			}
			thumb := ""
			if pt.name == "neos" { // a thumbnail's resource: Neos re-renders it, so it stays home
				thumb = "0b1d2f3a4c5e6f708192a3b4c5d6e7f801234567"
				run("CREATE TABLE " + srcDB + ".neos_flow_resourcemanagement_persistentresource (persistence_object_identifier VARCHAR(40) PRIMARY KEY, sha1 VARCHAR(40))")
				run("CREATE TABLE " + srcDB + ".neos_media_domain_model_thumbnail (persistence_object_identifier VARCHAR(40) PRIMARY KEY, resource VARCHAR(40))")
				run("INSERT INTO " + srcDB + ".neos_flow_resourcemanagement_persistentresource VALUES ('r1','" + thumb + "'),('r2','ffffffffffffffffffffffffffffffffffffffff')")
				run("INSERT INTO " + srcDB + ".neos_media_domain_model_thumbnail VALUES ('t1','r1')")
			}
			src, local := t.TempDir(), t.TempDir()
			pt.write(t, src, srcDB)
			pt.write(t, local, dstDB)
			makeBlobs(t, filepath.Join(src, pt.filesDir), 3, 12)
			if thumb != "" {
				writeFile(t, filepath.Join(src, pt.filesDir, "0", "b", "1", "d", thumb), []byte("thumbnail png"), 0o644)
			}
			if !pt.freshLocal {
				os.MkdirAll(filepath.Join(local, pt.filesDir), 0o755)
			}

			// The source: no flags, run in the project directory.
			p := &publisher{proc: startDir(t, src, bin.lite, "", nil, "publish", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())}
			waitFor(t, 60*time.Second, "the publication", func() bool {
				if p.exited() {
					t.Fatalf("publish exited with %d\nstderr:\n%s", p.code, p.stderr.String())
				}
				return strings.Contains(p.stderr.String(), "serving until")
			})
			if !strings.Contains(p.stderr.String(), "detected "+pt.name) {
				t.Errorf("publish did not say what it detected:\n%s", p.stderr.String())
			}
			line, _, _ := strings.Cut(p.stdout.String(), "\n")
			token := strings.TrimPrefix(line, "synco fetch ")

			// The destination: inside the checkout, only the token and --yes.
			f := startDir(t, local, bin.synco, "", nil, "fetch", token, "--yes", "--cache", t.TempDir())
			if code := f.wait(120 * time.Second); code != 0 {
				t.Fatalf("fetch --yes in the checkout: exit %d\n%s", code, f.stderr.String())
			}
			for _, table := range pt.tables {
				var a, b, tb string
				root.QueryRow("CHECKSUM TABLE "+srcDB+"."+table).Scan(&tb, &a)
				root.QueryRow("CHECKSUM TABLE "+dstDB+"."+table).Scan(&tb, &b)
				if a == "" || a != b {
					t.Errorf("%s: checksum source %q, local %q", table, a, b)
				}
			}
			for _, table := range pt.structOnly {
				var n int
				if err := root.QueryRow("SELECT COUNT(*) FROM " + dstDB + "." + table).Scan(&n); err != nil {
					t.Errorf("structure-only %s is missing locally: %v", table, err)
				} else if n != 0 {
					t.Errorf("structure-only %s has %d rows locally", table, n)
				}
			}
			if pt.name == "wordpress" {
				var names string
				root.QueryRow("SELECT GROUP_CONCAT(option_name ORDER BY option_id) FROM " + dstDB + ".wp_options").Scan(&names)
				if names != "siteurl,my_transient_setting" {
					t.Errorf("local wp_options rows: %q, want the ones that are not transients", names)
				}
			}
			if thumb != "" {
				tp := filepath.Join(pt.filesDir, "0", "b", "1", "d", thumb)
				if _, err := os.Stat(filepath.Join(local, tp)); !os.IsNotExist(err) {
					t.Errorf("the thumbnail's resource travelled: %v", err)
				}
				// Everything else must be there (the directory too, with its times).
				dir := filepath.Join(src, filepath.Dir(tp))
				fi, _ := os.Stat(dir)
				os.Remove(filepath.Join(src, tp))
				os.Chtimes(dir, fi.ModTime(), fi.ModTime())
			}
			requireSameTree(t, filepath.Join(src, pt.filesDir), filepath.Join(local, pt.filesDir))
			p.stop()
		})
	}
}
