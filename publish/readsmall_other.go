//go:build !linux

package publish

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// readSmall reads the file src, size bytes when it was scanned, into buf
// (len(buf) = size+1) with one read, and stats it then. ok is false if the
// file holds another number of bytes now.
func readSmall(src string, size int64, buf []byte) (data []byte, after statEntry, ok bool, err error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, after, false, err
	}
	defer f.Close()
	n, err := f.Read(buf) // one read: a regular file reads short only at its end
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, after, false, err
	}
	if int64(n) != size {
		return nil, after, false, nil
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, after, false, err
	}
	return buf[:n], statOf(fi, 0), true, nil
}

// lstatIn is the lstat of the entry name of the directory d (its path is
// p), into st.
func lstatIn(d *os.File, p, name string, st *entryStat) error {
	fi, err := os.Lstat(filepath.Join(p, name))
	if err == nil {
		*st = entryOf(fi)
	}
	return err
}
