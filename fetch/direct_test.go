package fetch_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/fetch"
)

// listing is every entry under dir with its size, mode and mtime.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		mt := fi.ModTime().UnixNano()
		if fi.IsDir() {
			mt = 0 // an entry added and removed again changes it
		}
		out[rel] = fi.Mode().String() + " " + time.Unix(0, mt).String() + " " + strings.Repeat("x", int(min(fi.Size(), 64)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// New files go straight to their place, so a fetch that fails after some of
// them were complete must take them (and the directories it made) back: the
// target is as it was, also the file it was about to replace. The next run
// completes the tree.
func TestFailedFetchTakesBackNewFiles(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := t.TempDir()
	writeTree(t, to, map[string][]byte{"keep.txt": []byte("mine"), "files/a.txt": []byte("old a")})
	before := listing(t, to)
	opt := options(t, src, to, nil)
	opt.Parallel = 1
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := 0
	defer fetch.SetTestHook(func(op, rel string) {
		if op == "chtimes" && strings.HasPrefix(rel, "files/img/") {
			if done++; done == 3 { // two new files are complete, a third about to be
				cancel()
			}
		}
	})()
	_, err := fetch.Run(ctx, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fetch: %v", err)
	}
	if done < 3 {
		t.Fatalf("only %d files completed before the fetch ended: the test tests nothing", done)
	}
	after := listing(t, to)
	for k, v := range after {
		if before[k] != v {
			t.Errorf("after a failed fetch: %s = %q, was %q", k, v, before[k])
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("after a failed fetch: %s is gone", k)
		}
	}
	if _, err := fetch.Run(t.Context(), opt); err != nil {
		t.Fatal(err)
	}
	sameTree(t, to, files, dump)
}

// A file that appears at a published path after the plan is replaced only
// once the fetch is complete (staged), not written into.
func TestFileAppearedSincePlan(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := filepath.Join(t.TempDir(), "out")
	pub, err := fetch.Open(t.Context(), options(t, src, to, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	pl, err := pub.Plan(t.Context(), fetch.Selection{To: to})
	if err != nil {
		t.Fatal(err)
	}
	late := filepath.Join(to, "files", "img", "c.bin")
	writeTree(t, to, map[string][]byte{"files/img/c.bin": []byte("written by someone else")})
	seen := false
	defer fetch.SetTestHook(func(op, rel string) {
		if op == "rename" && rel == "files/img/c.bin" {
			seen = true
			if b, _ := os.ReadFile(late); string(b) != "written by someone else" {
				t.Errorf("the file that appeared was written into before the fetch was complete: %.20q", b)
			}
		}
	})()
	if _, err := pl.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Error("the file that appeared was not staged and renamed")
	}
	sameTree(t, to, files, dump)
}
