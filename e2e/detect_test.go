package e2e_test

import (
	"encoding/json"
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
