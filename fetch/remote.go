package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"synco/httpsrv"
	"synco/manifest"
)

// Remote is where a fetch reads a publication from: its sealed root and byte
// ranges of its packs (manifest SPEC.md, "Publication layout"). Everything read
// is verified by the fetch, so a Remote needs no trust.
//
// Errors: httpsrv.ErrGone when the remote has no such object (a root: no such
// publication, or not yet); an error httpsrv.IsTransient accepts when a retry
// may succeed (a reader returns one, e.g. io.ErrUnexpectedEOF, when fewer than
// n bytes arrive); the context's error once ctx is done. Implementations are
// safe for concurrent use. Retries, counting and fault injection are wrappers
// around a Remote (see newRetryRemote, newCountingRemote; fetch/remotetest).
//
// Implementations: *httpsrv.Client (the token's URL, or any base URL), DirRemote
// (a publish --out directory), and the wrappers.
type Remote interface {
	// Root returns the sealed root object.
	Root(ctx context.Context) ([]byte, error)
	// Range returns a reader over exactly n bytes (n > 0) of pack from offset
	// off; pack is a pack name of the manifest. The caller closes it.
	Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error)
}

var (
	_ Remote = (*httpsrv.Client)(nil)
	_ Remote = DirRemote("")
)

// DirRemote reads a publication written into a directory (the directory
// synco-lite publish --out DIR writes as DIR/<prefix>): its root file and the
// packs under p/. Nothing outside the directory is opened, whatever the names
// asked for.
type DirRemote string

// Root reads the root file (httpsrv.ErrGone if there is none).
func (d DirRemote) Root(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := d.open(manifest.RootObject)
	if err != nil {
		return nil, fmt.Errorf("get root: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, httpsrv.MaxRootSize+1))
	if err != nil {
		return nil, fmt.Errorf("get root: %w", err)
	}
	if len(b) > httpsrv.MaxRootSize {
		return nil, errors.New("get root: root object too large")
	}
	return b, nil
}

// Range opens the pack file and returns a reader over n bytes from off; a read
// past its end fails with io.ErrUnexpectedEOF.
func (d DirRemote) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	if !manifest.ValidPackName(pack) || off < 0 || n <= 0 {
		return nil, fmt.Errorf("get pack %q: invalid range", pack)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := d.open(manifest.PackObject(pack))
	if err != nil {
		return nil, fmt.Errorf("get pack %s: %w", pack, err)
	}
	return &dirRange{f: f, r: io.NewSectionReader(f, off, n), n: n}, nil
}

// open opens name (a slash path) in d, confined to d; a missing file is
// httpsrv.ErrGone.
func (d DirRemote) open(name string) (*os.File, error) {
	root, err := os.OpenRoot(string(d))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, httpsrv.ErrGone
		}
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, httpsrv.ErrGone
	}
	return f, err
}

// dirRange is n bytes of a pack file.
type dirRange struct {
	f *os.File
	r *io.SectionReader
	n int64 // left to read
}

func (r *dirRange) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	n, err := r.r.Read(p)
	r.n -= int64(n)
	if err == io.EOF && r.n > 0 {
		err = io.ErrUnexpectedEOF // the file is shorter than the range
	}
	return n, err
}

func (r *dirRange) Close() error { return r.f.Close() }
