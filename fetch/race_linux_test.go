package fetch_test

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"synco/fetch"
)

// exchange atomically swaps the directory entries a and b (RENAME_EXCHANGE):
// at every moment both names exist.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// TestFetchSymlinkRace keeps swapping directories in --to (and in its
// staging directory) for a symlink to an outside directory while fetches of
// many files run. Nothing may appear outside, the outside directory's mode may
// not change, and each fetch either succeeds or fails with ErrUnsafePath.
func TestFetchSymlinkRace(t *testing.T) {
	files := map[string][]byte{}
	for d := range 4 {
		for i := range 60 {
			files[fmt.Sprintf("d%d/f%02d.txt", d, i)] = fmt.Appendf(nil, "file %d %d\n", d, i)
		}
	}
	src := newSource(t, files, []byte("-- dump\n"))
	outside := t.TempDir()
	if err := os.Chmod(outside, 0o751); err != nil {
		t.Fatal(err)
	}
	var swaps, refused, succeeded atomic.Int64
	for run := range 12 {
		to := filepath.Join(t.TempDir(), "out")
		decoy := filepath.Join(t.TempDir(), "decoy")
		if err := os.Symlink(outside, decoy); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Candidates: the published directories in --to and in staging.
				var dirs []string
				ents, _ := os.ReadDir(to)
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), ".synco-tmp-") || e.Name() == "files" {
						dirs = append(dirs, filepath.Join(to, e.Name(), "files"), filepath.Join(to, e.Name()))
					}
				}
				for d := range 4 {
					dirs = append(dirs, filepath.Join(to, "files", fmt.Sprintf("d%d", d)))
				}
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), ".synco-tmp-") {
						for d := range 4 {
							dirs = append(dirs, filepath.Join(to, e.Name(), "files", fmt.Sprintf("d%d", d)))
						}
					}
				}
				victim := dirs[i%len(dirs)]
				if fi, err := os.Lstat(victim); err != nil || !fi.IsDir() {
					continue
				}
				if exchange(victim, decoy) == nil { // victim is the symlink now
					swaps.Add(1)
					for range 50 {
						if _, err := os.Lstat(victim); err != nil {
							break
						}
					}
					exchange(victim, decoy) // and back
				}
			}
		}()
		opt := options(t, src, to, nil)
		_, err := fetch.Run(t.Context(), opt)
		close(stop)
		wg.Wait()
		switch {
		case err == nil:
			succeeded.Add(1)
		case errors.Is(err, fetch.ErrUnsafePath):
			refused.Add(1)
		default:
			t.Errorf("run %d: %v; want success or ErrUnsafePath", run, err)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("run %d: %d entries written outside --to, e.g. %s", run, len(ents), ents[0].Name())
		}
		if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o751 {
			t.Fatalf("run %d: outside directory's mode changed to %v", run, fi.Mode().Perm())
		}
	}
	t.Logf("%d swaps; %d fetches refused, %d succeeded", swaps.Load(), refused.Load(), succeeded.Load())
	if swaps.Load() == 0 {
		t.Error("no swap happened: the test did not test anything")
	}
}

// TestFetchSymlinkSwapAtEachStep replaces a directory by a symlink to an
// outside directory right before each kind of operation on the target: the
// operation is refused with ErrUnsafePath and nothing outside changes.
func TestFetchSymlinkSwapAtEachStep(t *testing.T) {
	files := map[string][]byte{"d0/a.txt": []byte("a"), "d0/b.txt": []byte("b"), "d1/c.txt": []byte("c")}
	src := newSource(t, files, []byte("-- dump\n"))
	staged := func(to, rel string) string {
		ents, _ := os.ReadDir(to)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".synco-tmp-") {
				return filepath.Join(to, e.Name(), filepath.FromSlash(rel))
			}
		}
		t.Fatal("no staging directory")
		return ""
	}
	parent := func(rel string) string {
		if d := path.Dir(rel); d != "." {
			return d
		}
		return "" // the target itself: it is held open, a swap of its name changes nothing
	}
	// again: a first fetch, then a changed file (written in staging, then
	// renamed over the old one) and a file the source does not have; else a
	// cold fetch (new files are written in place).
	inTarget := func(to, rel string) string { // "" for the target itself, or a directory not made yet
		if rel == "" {
			return ""
		}
		if _, err := os.Lstat(filepath.Join(to, rel)); err != nil {
			return ""
		}
		return filepath.Join(to, rel)
	}
	for _, tc := range []struct {
		op     string
		again  bool
		victim func(to, rel string) string // the directory to swap for the symlink; "" for none yet
	}{
		{"stagedir", true, func(to, rel string) string {
			if parent(rel) == "" {
				return ""
			}
			return staged(to, parent(rel))
		}},
		{"open", true, func(to, rel string) string { return staged(to, parent(rel)) }},
		{"chtimes", true, func(to, rel string) string { return staged(to, parent(rel)) }},
		{"open", false, func(to, rel string) string { return inTarget(to, parent(rel)) }},
		{"chtimes", false, func(to, rel string) string { return inTarget(to, parent(rel)) }},
		{"mkdir", false, func(to, rel string) string { return inTarget(to, parent(rel)) }},
		{"mkdir", true, func(to, rel string) string { return filepath.Join(to, "files") }},
		{"rename", true, func(to, rel string) string {
			if parent(rel) == "" {
				return ""
			}
			return filepath.Join(to, parent(rel))
		}},
		{"dirmode", true, func(to, rel string) string { return filepath.Join(to, rel) }},
		{"delete", true, func(to, rel string) string { return filepath.Join(to, parent(rel)) }},
	} {
		name := tc.op
		if tc.again {
			name += "-again"
		}
		t.Run(name, func(t *testing.T) {
			outside := t.TempDir()
			os.Chmod(outside, 0o751)
			decoy := filepath.Join(t.TempDir(), "decoy")
			os.Symlink(outside, decoy)
			to := filepath.Join(t.TempDir(), "out")
			opt := options(t, src, to, nil)
			if tc.again {
				if _, err := fetch.Run(t.Context(), opt); err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(to, "files", "d1", "extra.txt"), nil, 0o644)
				os.WriteFile(filepath.Join(to, "files", "d0", "a.txt"), []byte("changed"), 0o644)
				opt.Delete = true
			}
			if tc.op == "mkdir" {
				os.RemoveAll(filepath.Join(to, "files", "d1"))
			}
			swapped := false
			defer fetch.SetTestHook(func(op, rel string) {
				if op != tc.op || swapped {
					return
				}
				if v := tc.victim(to, rel); v != "" {
					swapped = true
					if err := exchange(v, decoy); err != nil {
						t.Errorf("swap before %s %s: %v", op, rel, err)
					}
				}
			})()
			_, err := fetch.Run(t.Context(), opt)
			if !swapped {
				t.Fatalf("no %s operation happened", tc.op)
			}
			if !errors.Is(err, fetch.ErrUnsafePath) {
				t.Errorf("%s through a symlink: %v, want ErrUnsafePath", tc.op, err)
			} else if testing.Verbose() {
				t.Log(err)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Errorf("%d entries written outside --to, e.g. %s", len(ents), ents[0].Name())
			}
			if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o751 {
				t.Errorf("outside directory's mode changed to %v", fi.Mode().Perm())
			}
		})
	}
}
