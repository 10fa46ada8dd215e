package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNeosPublicURL publishes a Neos project with --public-url: the resource Neos
// already publishes on the site is fetched from the site (and verified), the private
// one through synco-lite.
func TestNeosPublicURL(t *testing.T) {
	t.Parallel()
	src, local := t.TempDir(), t.TempDir()
	for _, dir := range []string{src, local} {
		writeFile(t, filepath.Join(dir, "flow"), []byte("#!/usr/bin/env php\n"), 0o755)
		writeFile(t, filepath.Join(dir, "composer.json"), []byte(`{"require": {"neos/neos": "^8.3"}}`), 0o644)
		writeFile(t, filepath.Join(dir, "Configuration", "Settings.yaml"), []byte("Neos:\n  Flow:\n    http:\n      baseUri: ~\n"), 0o644)
		mkdir(t, filepath.Join(dir, "Data", "Persistent", "Resources"), 0o755)
	}
	const pubSHA, privSHA = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	r := newRand(3)
	logo, secret := randomBytes(r, 300_000), randomBytes(r, 1000)
	res := filepath.Join(src, "Data", "Persistent", "Resources")
	writeFile(t, filepath.Join(res, "1", "1", "1", "1", pubSHA), logo, 0o644)
	writeFile(t, filepath.Join(res, "2", "2", "2", "2", privSHA), secret, 0o644)
	// Neos publishes the public one as Web/_Resources/Persistent/<sha1>/<filename>.
	mkdir(t, filepath.Join(src, "Web", "_Resources", "Persistent", pubSHA), 0o755)
	if err := os.Symlink(filepath.Join(res, "1", "1", "1", "1", pubSHA), filepath.Join(src, "Web", "_Resources", "Persistent", pubSHA, "logo für.png")); err != nil {
		t.Fatal(err)
	}
	site := serveStatic(t, filepath.Join(src, "Web"))

	p := &publisher{proc: startDir(t, src, bin.lite, "", nil, "publish", "--public-url", site.url, "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())}
	waitFor(t, 60*time.Second, "the publication", func() bool {
		if p.exited() {
			t.Fatalf("publish exited with %d\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stderr.String(), "serving until")
	})
	defer p.stop()
	if !strings.Contains(p.stderr.String(), "1 file is published by its public URL") {
		t.Errorf("publish did not say it publishes one file by URL:\n%s", p.stderr.String())
	}
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	token := strings.TrimPrefix(line, "synco fetch ")

	before := site.served()
	f := startDir(t, local, bin.synco, "", nil, "fetch", token, "--yes", "--cache", t.TempDir())
	if code := f.wait(60 * time.Second); code != 0 {
		t.Fatalf("fetch: exit %d\n%s", code, f.stderr.String())
	}
	lres := filepath.Join(local, "Data", "Persistent", "Resources")
	if got, _ := os.ReadFile(filepath.Join(lres, "1", "1", "1", "1", pubSHA)); !bytes.Equal(got, logo) {
		t.Errorf("public resource: %d bytes, want %d", len(got), len(logo))
	}
	if got, _ := os.ReadFile(filepath.Join(lres, "2", "2", "2", "2", privSHA)); !bytes.Equal(got, secret) {
		t.Errorf("private resource: %d bytes, want %d", len(got), len(secret))
	}
	if n := site.served() - before; n < int64(len(logo)) {
		t.Errorf("the site served %d bytes, want the %d of the public resource", n, len(logo))
	}
}
