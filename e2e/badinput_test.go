package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"synco/manifest"
)

// TestTampered serves modified copies of one publication and checks that a fetch
// refuses each (tampered: exit 5; truncated: exit 4 after retries, or 5) without
// touching --to.
func TestTampered(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeApp(t, src, 5)
	www := t.TempDir()
	srv := serveStatic(t, www)
	pub := publish(t, append(sourceArgs(src), "--out", filepath.Join(www, "orig"), "--url", srv.url+"/orig", "--state-dir", t.TempDir())...)
	pub.waitReady()
	pristine := filepath.Join(www, "orig", pub.prefix())
	tok := pub.parsed()
	rootBytes, err := os.ReadFile(filepath.Join(pristine, "root"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := manifest.OpenRoot(rootBytes, tok.ReadKey, tok.SignPub)
	if err != nil {
		t.Fatalf("open the published root with the token's keys: %v", err)
	}
	if len(root.Manifest) == 0 {
		t.Fatal("root names no manifest chunks")
	}
	mloc := root.Manifest[0]
	// A data chunk: the middle of the largest pack, unless that is manifest.
	packs := listDir(t, filepath.Join(pristine, "p"))
	largest, largestSize := "", int64(0)
	for _, p := range packs {
		fi, _ := os.Stat(filepath.Join(pristine, "p", p))
		if fi.Size() > largestSize {
			largest, largestSize = p, fi.Size()
		}
	}
	dataOff := largestSize / 2
	for _, l := range root.Manifest {
		if l.Pack == largest && int64(l.Off) <= dataOff && dataOff < int64(l.Off)+int64(l.SealedLen) {
			t.Fatalf("middle of the largest pack is manifest; pick another offset")
		}
	}

	flip := func(name string, off int64) func(dir string) {
		return func(dir string) {
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[off] ^= 0x01
			writeFile(t, path, b, 0o644)
		}
	}
	truncate := func(name string, size func(int64) int64) func(dir string) {
		return func(dir string) {
			path := filepath.Join(dir, name)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, size(fi.Size())); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		tamper  func(dir string)
		codes   []int
		hintHas string
	}{
		{"data chunk byte", flip(filepath.Join("p", largest), dataOff), []int{5}, "data was altered"},
		{"first pack byte", flip(filepath.Join("p", largest), 0), []int{5}, ""},
		{"last pack byte", flip(filepath.Join("p", largest), largestSize-1), []int{5}, ""},
		{"manifest chunk byte", flip(filepath.Join("p", mloc.Pack), int64(mloc.Off)+int64(mloc.SealedLen)/2), []int{5}, "data was altered"},
		{"root byte", flip("root", int64(len(rootBytes)/2)), []int{5}, ""},
		{"root last byte", flip("root", int64(len(rootBytes)-1)), []int{5}, ""},
		{"root truncated", truncate("root", func(n int64) int64 { return n / 2 }), []int{5}, ""},
		{"pack truncated", truncate(filepath.Join("p", largest), func(n int64) int64 { return n / 2 }), []int{4, 5}, ""},
		{"pack removed", func(dir string) { os.Remove(filepath.Join(dir, "p", largest)) }, []int{4}, "the publication is gone"},
	}
	for i, tt := range tests {
		dir := filepath.Join(www, "case"+string(rune('a'+i)), pub.prefix())
		copyTree(t, pristine, dir)
		tt.tamper(dir)
		token := withURL(t, pub.token, srv.url+"/case"+string(rune('a'+i))+"/"+pub.prefix())
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A --to that already holds something must stay exactly as it was; one
			// that does not exist must not be created.
			to := filepath.Join(t.TempDir(), "sync")
			if i%2 == 0 {
				writeFile(t, filepath.Join(to, "keep.txt"), []byte("mine"), 0o600)
			}
			start := time.Now()
			r := fetch(t, token, to, t.TempDir())
			t.Logf("exit %d after %v:\n%s", r.code, time.Since(start).Round(time.Millisecond), r.stderr)
			if !slices.Contains(tt.codes, r.code) {
				t.Fatalf("fetch: exit %d, want one of %v\nstderr:\n%s", r.code, tt.codes, r.stderr)
			}
			r.wantFailure(t, r.code, token, tt.hintHas)
			want := []string(nil)
			if i%2 == 0 {
				want = []string{"keep.txt"}
			}
			if got := listDir(t, to); !slices.Equal(got, want) {
				t.Errorf("--to after the failed fetch holds %v, want %v", got, want)
			}
			if i%2 == 0 {
				if b, _ := os.ReadFile(filepath.Join(to, "keep.txt")); !bytes.Equal(b, []byte("mine")) {
					t.Errorf("keep.txt changed to %q", b)
				}
			}
		})
	}
	pub.stop() // removes orig/; the tampered copies stay
}

// copyTree copies the regular files under from into to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(to, rel), b, 0o644)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWrongToken checks mistyped tokens (exit 3), a token whose keys belong to
// another publication (exit 5) and tokens of stopped publications (exit 4); errors
// never show the token.
func TestWrongToken(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 6, 3)
	a := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	t.Cleanup(a.stop) // after the parallel subtests
	a.waitReady()

	t.Run("mistyped", func(t *testing.T) {
		t.Parallel()
		tok := a.token
		other := func(c byte) string {
			if c == 'a' {
				return "b"
			}
			return "a"
		}
		for name, bad := range map[string]string{
			"first payload character": tok[:6] + other(tok[6]) + tok[7:],
			"middle character":        tok[:len(tok)/2] + other(tok[len(tok)/2]) + tok[len(tok)/2+1:],
			"last character":          tok[:len(tok)-1] + other(tok[len(tok)-1]),
			"cut short":               tok[:len(tok)-3],
			"character added":         tok[:40] + "q" + tok[40:],
			"two swapped":             tok[:30] + string(tok[31]) + string(tok[30]) + tok[32:],
		} {
			if bad == tok {
				continue // e.g. two equal characters swapped
			}
			to := filepath.Join(t.TempDir(), "sync")
			r := fetch(t, bad, to, t.TempDir())
			if r.code != 3 {
				t.Errorf("%s: exit %d, want 3\n%s", name, r.code, r.stderr)
				continue
			}
			r.wantFailure(t, 3, tok, "copy the whole token again")
			noSecrets(t, r.stderr, bad)
			if listDir(t, to) != nil {
				t.Errorf("%s: --to was created", name)
			}
		}
	})

	t.Run("letter case", func(t *testing.T) {
		t.Parallel()
		// Tokens are case-insensitive (a phone may capitalise a pasted token).
		to := filepath.Join(t.TempDir(), "sync")
		mustFetch(t, strings.ToUpper(a.token), to, t.TempDir())
		requireSameTree(t, src, to)
	})

	t.Run("keys of another publication", func(t *testing.T) {
		t.Parallel()
		b := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
		defer b.stop()
		b.waitReady()
		// a's keys, b's URL: b answers, but its root does not open with a's keys.
		swapped := withURL(t, a.token, b.parsed().URL)
		r := fetch(t, swapped, filepath.Join(t.TempDir(), "sync"), t.TempDir())
		r.wantFailure(t, 5, swapped, "the token does not belong to this publication")
		noSecrets(t, r.stderr, a.token)
		noSecrets(t, r.stderr, b.token)
	})

	t.Run("stopped publication behind a web server", func(t *testing.T) {
		t.Parallel()
		www := t.TempDir()
		srv := serveStatic(t, www)
		c := publish(t, append(sourceArgs(src), "--out", www, "--url", srv.url, "--state-dir", t.TempDir())...)
		c.waitReady()
		c.stop()
		r := fetch(t, c.token, filepath.Join(t.TempDir(), "sync"), t.TempDir())
		r.wantFailure(t, 4, c.token, "the publication is gone")
	})

	t.Run("stopped embedded server", func(t *testing.T) {
		t.Parallel()
		d := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
		d.waitReady()
		d.stop()
		// Connection refused is retried with backoff (a restarting source or a
		// network blip), so this takes a while.
		start := time.Now()
		r := fetch(t, d.token, filepath.Join(t.TempDir(), "sync"), t.TempDir())
		t.Logf("gave up after %v", time.Since(start).Round(time.Millisecond))
		r.wantFailure(t, 4, d.token, "is synco-lite still running")
	})
}

// TestUnsafeTarget checks that fetch refuses to write through a symlink in --to or
// into a --to that is a file (exit 6), and changes nothing.
func TestUnsafeTarget(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 10, 2)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	defer pub.stop()
	pub.waitReady()

	t.Run("symlink in --to", func(t *testing.T) {
		to, outside := t.TempDir(), t.TempDir()
		if err := os.Symlink(outside, filepath.Join(to, "data")); err != nil {
			t.Fatal(err)
		}
		r := fetch(t, pub.token, to, t.TempDir())
		r.wantFailure(t, 6, pub.token, "move the conflicting file or symlink away")
		if got := listDir(t, outside); got != nil {
			t.Errorf("fetch wrote %v through the symlink", got)
		}
		if got := listDir(t, to); !slices.Equal(got, []string{"data"}) {
			t.Errorf("--to holds %v, want just the symlink", got)
		}
	})
	t.Run("--to is a file", func(t *testing.T) {
		to := filepath.Join(t.TempDir(), "file")
		writeFile(t, to, []byte("mine"), 0o644)
		r := fetch(t, pub.token, to, t.TempDir())
		r.wantFailure(t, 6, pub.token, "")
		if b, _ := os.ReadFile(to); string(b) != "mine" {
			t.Errorf("the file given as --to now holds %q", b)
		}
	})
}
