package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The scan's dirStatter gives every entry of a walk the lstat os.Lstat gives
// it: directories of 0, 1 and many entries, nested ones, symlinks (to a file,
// to a directory, dangling), a fifo, empty files, modes with setuid, setgid
// and sticky bits, the top given with and without a trailing slash and as a
// relative path.
func TestDirStatterAsLstat(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	mk("one/f", 1)
	for _, n := range []int{31, 300} {
		for i := range n {
			mk(fmt.Sprintf("d%d/f%03d", n, i), i)
		}
		mk(fmt.Sprintf("d%d/sub/deeper/x", n), 3)
	}
	os.Symlink("one/f", filepath.Join(dir, "link-file"))
	os.Symlink("one", filepath.Join(dir, "link-dir"))
	os.Symlink("nowhere", filepath.Join(dir, "d300/dangling"))
	os.Chmod(filepath.Join(dir, "one/f"), fs.ModeSetuid|fs.ModeSetgid|0o755)
	os.Chmod(filepath.Join(dir, "empty"), fs.ModeSticky|0o777)
	if err := syscall.Mkfifo(filepath.Join(dir, "one/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	relTop, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, top := range []string{dir, dir + "/", relTop} {
		var w dirStatter
		n := 0
		err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			got, err := w.lstat(p, d)
			if err != nil {
				return err
			}
			if want := entryOf(fi); got != want {
				t.Errorf("%s: %+v, want %+v", p, got, want)
			}
			n++
			return nil
		})
		w.close()
		if err != nil || n < 340 {
			t.Errorf("walk of %s: %v after %d entries", top, err, n)
		}
	}
}

// An entry that vanished after its directory was read fails as os.Lstat does.
func TestDirStatterVanished(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "b"), nil, 0o644)
	var w dirStatter
	defer w.close()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "a" {
			os.Remove(filepath.Join(dir, "b"))
		}
		_, err = w.lstat(p, d)
		return err
	})
	if !errors.Is(err, fs.ErrNotExist) || !filepath.IsAbs(err.(*fs.PathError).Path) {
		t.Errorf("err %v, want a *PathError naming the file, ErrNotExist", err)
	}
}
