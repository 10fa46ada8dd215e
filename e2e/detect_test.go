package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDetect runs synco detect on a Laravel-like tree: text and --json, the password
// never shown, and the failures (no framework: exit 1 with what was looked at; not a
// directory: usage error).
func TestDetect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "artisan"), []byte("#!/usr/bin/env php\n"), 0o755)
	writeFile(t, filepath.Join(dir, ".env"), []byte("DB_CONNECTION=mysql\nDB_HOST=db.internal\nDB_PORT=3307\nDB_DATABASE=shop\nDB_USERNAME=app\nDB_PASSWORD=\"s3cr#t pw\"\n"), 0o600)
	writeFile(t, filepath.Join(dir, "storage", "app", "public", "a.jpg"), []byte("jpeg"), 0o644)

	p := start(t, bin.synco, "", nil, "detect", dir)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("detect: exit %d\n%s", code, p.stderr.String())
	}
	out := p.stdout.String()
	for _, want := range []string{"laravel", "mysql://app:xxxxx@db.internal:3307/shop", "sessions", "storage"} {
		if !strings.Contains(out, want) {
			t.Errorf("detect output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+p.stderr.String(), "s3cr") {
		t.Errorf("detect shows the password:\n%s", out)
	}

	p = start(t, bin.synco, "", nil, "detect", "--json", dir)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("detect --json: exit %d\n%s", code, p.stderr.String())
	}
	var res struct {
		Framework string `json:"framework"`
		DB        struct {
			Engine string `json:"engine"`
		} `json:"db"`
		FileSets []struct {
			Name string `json:"name"`
		} `json:"file_sets"`
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &res); err != nil {
		t.Fatalf("detect --json is not JSON (%v):\n%s", err, p.stdout.String())
	}
	if res.Framework != "laravel" || res.DB.Engine != "mysql" || len(res.FileSets) != 1 || res.FileSets[0].Name != "storage" {
		t.Errorf("detect --json: %+v", res)
	}
	if strings.Contains(p.stdout.String(), "s3cr") {
		t.Error("detect --json shows the password")
	}

	// A fresh Symfony checkout without public/uploads: detect names where a
	// fetch puts the uploads (it said "none found (publish with --files …)").
	sf := t.TempDir()
	writeFile(t, filepath.Join(sf, "bin", "console"), []byte("#!/usr/bin/env php\n"), 0o755)
	writeFile(t, filepath.Join(sf, ".env"), []byte("APP_ENV=dev\nDATABASE_URL=\"mysql://app:pw@127.0.0.1:1/app\"\n"), 0o600)
	p = start(t, bin.synco, "", nil, "detect", sf)
	if code := p.wait(30 * time.Second); code != 0 || strings.Contains(p.stdout.String(), "none found (publish with --files") ||
		!strings.Contains(p.stdout.String(), filepath.Join(sf, "public", "uploads")+" (not here yet: a fetch that receives it creates it)") {
		t.Errorf("detect in a Symfony checkout without uploads: exit %d\n%s%s", code, p.stdout.String(), p.stderr.String())
	}

	empty := t.TempDir()
	p = start(t, bin.synco, "", nil, "detect", empty)
	if code := p.wait(30 * time.Second); code != 1 || !strings.Contains(p.stderr.String(), "wp-config.php") || !strings.Contains(p.stderr.String(), "--db") {
		t.Errorf("detect on an empty dir: exit %d\n%s", code, p.stderr.String())
	}
	p = start(t, bin.synco, "", nil, "detect", filepath.Join(dir, ".env"))
	if code := p.wait(30 * time.Second); code != 2 {
		t.Errorf("detect on a file: exit %d, want 2\n%s", code, p.stderr.String())
	}
}

// TestPublishUndeterminedDatabase: a wp-config.php that picks the database by
// $_SERVER['HTTP_HOST'] cannot be evaluated on the command line. Publishing only
// the uploads would look like success, guessing could publish production's
// database on a dev box: publish refuses before printing a token and asks for --db.
func TestPublishUndeterminedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "wp-content", "uploads"), 0o755)
	os.WriteFile(filepath.Join(dir, "wp-config.php"), []byte(`<?php
if ( $_SERVER['HTTP_HOST'] === 'www.example.com' ) {
	define( 'DB_NAME', 'prod' ); define( 'DB_USER', 'prod' ); define( 'DB_PASSWORD', 'prodpw' );
} else {
	define( 'DB_NAME', 'dev' ); define( 'DB_USER', 'dev' ); define( 'DB_PASSWORD', 'devpw' );
}
define( 'DB_HOST', 'localhost' );
$table_prefix = 'wp_';
`), 0o644)
	p := startDir(t, dir, bin.lite, "", nil, "publish", "--state-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	code := p.wait(20 * time.Second)
	if code != 2 || p.stdout.String() != "" {
		t.Fatalf("exit %d, stdout %q; want exit 2 and no token\n%s", code, p.stdout.String(), p.stderr.String())
	}
	if s := p.stderr.String(); !strings.Contains(s, "could not be determined") || !strings.Contains(s, "--db") || strings.Contains(s, "prodpw") {
		t.Errorf("stderr does not say why and what to do (or shows a password):\n%s", s)
	}
}
