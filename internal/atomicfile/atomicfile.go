// Package atomicfile writes files so that readers see the old content or the new,
// never a part: a temporary file in the same directory, fsynced, then renamed.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write replaces path with data, created with perm (before umask).
func Write(path string, data []byte, perm os.FileMode) error {
	return From(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// From replaces path with what fill writes.
func From(path string, perm os.FileMode, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	err = fill(tmp)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
