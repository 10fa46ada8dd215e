package e2e_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A source directory mirrors what a fetch writes: SRC/data/… is published with
// --files data=SRC/data and SRC/dump.sql with --stream dump.sql=SRC/dump.sql, so a
// complete fetch into TO makes TO equal SRC.

// sourceArgs are the publish flags for the source directory src.
func sourceArgs(src string) []string {
	return []string{"--files", "data=" + filepath.Join(src, "data"), "--stream", "dump.sql=" + filepath.Join(src, "dump.sql")}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var vocabulary = strings.Fields(`lorem ipsum dolor sit amet order customer invoice page
	content title draft published archived user session cache value price shipping
	address berlin paris tokyo blue green red small large json {"k":1} null true false`)

// text returns about n bytes of compressible text.
func text(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		if r.IntN(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

// sqlRows returns INSERT statements for rows first…first+n-1 of a CMS-like table.
func sqlRows(r *rand.Rand, first, n int) []byte {
	var b bytes.Buffer
	for id := first; id < first+n; id++ {
		fmt.Fprintf(&b, "INSERT INTO posts VALUES (%d,'%s','%s',%d,'%x');\n",
			id, text(r, 20+r.IntN(40)), text(r, 100+r.IntN(300)), 1700000000+r.IntN(1e7), randomBytes(r, 8))
	}
	return b.Bytes()
}

// writeFile writes data to path (creating parents) with mode.
func writeFile(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// stampTimes gives every entry under root (root included) a distinct mtime with
// nanoseconds, derived from seed, so mtime preservation is really checked.
func stampTimes(t *testing.T, root string, seed int64) {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		n := seed + int64(i)
		mt := time.Unix(1_600_000_000+n*3607, (n*7_919_113+123_456_789)%1_000_000_000)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}

// makeApp writes a small application tree: a large random file, text documents, an
// executable, an empty file, an empty directory, deep nesting, odd modes, and a
// ≈1.3 MB SQL dump. About 3.3 MB of plaintext in all.
func makeApp(t *testing.T, src string, seed uint64) {
	t.Helper()
	r := newRand(seed)
	data := filepath.Join(src, "data")
	mkdir(t, data, 0o750)
	writeFile(t, filepath.Join(data, "big.bin"), randomBytes(r, 1_500_000), 0o640)
	writeFile(t, filepath.Join(data, "zero.txt"), nil, 0o644)
	writeFile(t, filepath.Join(data, "bin", "tool.sh"), []byte("#!/bin/sh\necho synco\n"), 0o755)
	for i := range 30 {
		mode := fs.FileMode(0o644)
		if i == 7 {
			mode = 0o600
		}
		writeFile(t, filepath.Join(data, "docs", fmt.Sprintf("doc%02d.txt", i)), text(r, 4_000+r.IntN(36_000)), mode)
	}
	mkdir(t, filepath.Join(data, "empty"), 0o700)
	writeFile(t, filepath.Join(data, "nested", "a", "b", "c", "deep.txt"), text(r, 100), 0o444)
	writeFile(t, filepath.Join(src, "dump.sql"), sqlRows(r, 1, 5_000), 0o600)
	stampTimes(t, src, int64(seed))
}

// makeBlobs writes n random files of 120–200 KB (each below the file class's
// minimum chunk size, so each is one chunk) and a ≈250 KB dump: many mid-sized
// chunks, so an interrupted transfer loses little.
func makeBlobs(t *testing.T, src string, seed uint64, n int) {
	t.Helper()
	r := newRand(seed)
	mkdir(t, filepath.Join(src, "data"), 0o755)
	for i := range n {
		writeFile(t, filepath.Join(src, "data", fmt.Sprintf("blob%02d.bin", i)), randomBytes(r, 120_000+r.IntN(80_000)), 0o644)
	}
	writeFile(t, filepath.Join(src, "dump.sql"), sqlRows(r, 1, 1_000), 0o600)
	stampTimes(t, src, int64(seed))
}

// diffTree compares the tree got with want: entry types, contents, permission bits
// and mtimes of everything below the roots (the roots' own attributes are not
// compared), and entries present in only one of them.
func diffTree(want, got string) []string {
	var diffs []string
	seen := map[string]bool{}
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		seen[rel] = true
		if rel == "." {
			return nil
		}
		diffs = append(diffs, diffEntry(rel, p, filepath.Join(got, rel))...)
		return nil
	})
	if err != nil {
		return append(diffs, err.Error())
	}
	filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			diffs = append(diffs, err.Error())
			return nil
		}
		if rel, _ := filepath.Rel(got, p); !seen[rel] {
			diffs = append(diffs, rel+": not in the source")
		}
		return nil
	})
	return diffs
}

func diffEntry(rel, want, got string) []string {
	wi, err := os.Lstat(want)
	if err != nil {
		return []string{err.Error()}
	}
	gi, err := os.Lstat(got)
	if err != nil {
		return []string{rel + ": missing"}
	}
	var diffs []string
	switch {
	case wi.Mode().Type() != gi.Mode().Type():
		return []string{fmt.Sprintf("%s: type %v, want %v", rel, gi.Mode().Type(), wi.Mode().Type())}
	case wi.Mode().IsRegular():
		if !sameContent(want, got) {
			diffs = append(diffs, rel+": content differs")
		}
	}
	if wi.Mode().Perm() != gi.Mode().Perm() {
		diffs = append(diffs, fmt.Sprintf("%s: mode %v, want %v", rel, gi.Mode().Perm(), wi.Mode().Perm()))
	}
	if !wi.ModTime().Equal(gi.ModTime()) {
		diffs = append(diffs, fmt.Sprintf("%s: mtime %v, want %v", rel, gi.ModTime(), wi.ModTime()))
	}
	return diffs
}

func sameContent(a, b string) bool {
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func requireSameTree(t *testing.T, want, got string) {
	t.Helper()
	if diffs := diffTree(want, got); len(diffs) > 0 {
		t.Fatalf("fetched tree differs from the source:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// requireNoPartial checks what an interrupted fetch left in to: nothing but the
// hidden staging directory, files (and their directories) that are complete
// copies of the source, and new files a killed fetch was writing in place,
// which must not look complete: not the source's modification time (the next
// fetch rewrites them). It returns the names of the complete files.
func requireNoPartial(t *testing.T, src, to string) (complete []string) {
	t.Helper()
	err := filepath.WalkDir(to, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == to {
			return filepath.SkipAll // fetch never got to writing
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(to, p)
		switch {
		case rel == ".":
			return nil
		case strings.HasPrefix(rel, ".synco-tmp-"):
			return filepath.SkipDir
		case d.IsDir():
			if fi, err := os.Stat(filepath.Join(src, rel)); err != nil || !fi.IsDir() {
				t.Errorf("%s: directory in --to that is not in the source", rel)
			}
		case !sameContent(filepath.Join(src, rel), p):
			si, err1 := os.Stat(filepath.Join(src, rel))
			gi, err2 := d.Info()
			if err1 != nil || err2 != nil || gi.ModTime().Equal(si.ModTime()) {
				t.Errorf("%s: partial or wrong file in --to after an interrupted fetch, and it looks complete", rel)
			}
		default:
			complete = append(complete, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return complete
}

// listDir returns the names in dir, or nil if it does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// requireNoStaging checks that no staging directory is left in to.
func requireNoStaging(t *testing.T, to string) {
	t.Helper()
	for _, n := range listDir(t, to) {
		if strings.HasPrefix(n, ".synco-tmp-") {
			t.Errorf("staging directory %s left in --to after a successful fetch", n)
		}
	}
}

// dirSize sums the sizes of the regular files directly in dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, name := range listDir(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}
