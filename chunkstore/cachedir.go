package chunkstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// tmpPrefix starts the names of files being written; Cache.GC removes stale
// ones.
const tmpPrefix = ".tmp-"

// Dir is a Store with one file per sealed chunk at <root>/<hex[0:2]>/<hex>,
// where hex is ID.String(). Directories are created 0700, files 0600.
//
// A chunk is written to a temporary file in its final directory and renamed
// into place, so several processes may share a Dir and readers never see a
// partial file. Chunk files are not fsynced: after a power loss a chunk file
// may be empty or truncated. That is detected by Keys.Open, which every reader
// calls anyway; the caller then removes the chunk and fetches it again.
type Dir struct {
	root string
}

// OpenDir opens the chunk directory root, creating it if needed.
func OpenDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("open chunk dir: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open chunk dir: %w", err)
	}
	return &Dir{root: abs}, nil
}

// Root returns the absolute path of the directory.
func (d *Dir) Root() string { return d.root }

// Path returns the file name of chunk id (which may not exist).
func (d *Dir) Path(id ID) string {
	s := id.String()
	return filepath.Join(d.root, s[:2], s)
}

// Has reports whether the directory holds id.
func (d *Dir) Has(ctx context.Context, id ID) (bool, error) {
	_, err := d.stat(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (d *Dir) stat(ctx context.Context, id ID) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stat chunk %s: %w", id, err)
	}
	fi, err := os.Stat(d.Path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stat chunk %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("stat chunk %s: %w", id, err)
	}
	return fi, nil
}

// Get returns the sealed chunk id, or an error wrapping ErrNotFound.
func (d *Dir) Get(ctx context.Context, id ID) ([]byte, error) {
	b, _, err := d.get(ctx, id)
	return b, err
}

func (d *Dir) get(ctx context.Context, id ID) ([]byte, fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
	f, err := os.Open(d.Path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
	if fi.Size() > MaxSealedSize {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, &CorruptError{ID: id, Err: errLong})
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
	return b, fi, nil
}

// Put stores sealed as id unless the directory already holds id.
func (d *Dir) Put(ctx context.Context, id ID, sealed []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put chunk %s: %w", id, err)
	}
	path := d.Path(id)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			f, err = os.CreateTemp(dir, tmpPrefix+"*")
		}
	}
	if err != nil {
		return fmt.Errorf("put chunk %s: %w", id, err)
	}
	_, err = f.Write(sealed)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name()) // best effort; GC removes stale temp files
		return fmt.Errorf("put chunk %s: %w", id, err)
	}
	return nil
}

// Remove deletes chunk id, for example after Keys.Open found it corrupt.
// Removing an absent chunk is not an error.
func (d *Dir) Remove(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove chunk %s: %w", id, err)
	}
	if err := os.Remove(d.Path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove chunk %s: %w", id, err)
	}
	return nil
}
