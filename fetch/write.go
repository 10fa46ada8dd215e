package fetch

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/manifest"
)

// ErrUnsafePath: a manifest path would write outside the target or through a symlink.
var ErrUnsafePath = errors.New("fetch: unsafe path")

const stagingPrefix = ".synco-tmp-"

type plan struct {
	to      string
	streams []manifest.Stream
	chunks  []chunkstore.ID // distinct, in order of first use
}

// newPlan validates every path of m against the target directory before anything is
// written: paths must be valid relative paths (even though the manifest is signed),
// must not go through a symlink or a non-directory already in the target, and a file
// must not replace a directory.
func newPlan(m *manifest.Manifest, to string) (*plan, error) {
	p := &plan{to: to, streams: m.Streams}
	kinds := make(map[string]manifest.Kind, len(m.Streams))
	seen := map[chunkstore.ID]bool{}
	for _, s := range m.Streams {
		if err := manifest.ValidPath(s.Path); err != nil || strings.HasPrefix(s.Path, stagingPrefix) {
			return nil, fmt.Errorf("%w: %q", ErrUnsafePath, s.Path)
		}
		kinds[s.Path] = s.Kind
		for _, r := range s.Chunks {
			if !seen[r.ID] {
				seen[r.ID] = true
				p.chunks = append(p.chunks, r.ID)
			}
		}
	}
	for _, s := range m.Streams {
		for dir := path.Dir(s.Path); dir != "."; dir = path.Dir(dir) {
			if k, ok := kinds[dir]; ok && k != manifest.KindDir {
				return nil, fmt.Errorf("%w: %q is a file and a directory", ErrUnsafePath, dir)
			}
		}
		if err := checkTarget(to, s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkTarget refuses existing symlinks or files where the target tree needs a
// directory, and a directory where it needs a file.
func checkTarget(to string, s manifest.Stream) error {
	elems := strings.Split(s.Path, "/")
	cur := to
	for i, e := range elems {
		cur = filepath.Join(cur, e)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", cur, err)
		}
		last := i == len(elems)-1
		switch {
		case last && s.Kind == manifest.KindFile && fi.IsDir():
			return fmt.Errorf("%w: %s is a directory, the source has a file there", ErrUnsafePath, cur)
		case !last && fi.Mode()&fs.ModeSymlink != 0, last && s.Kind == manifest.KindDir && fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: %s is a symlink; refusing to write through it", ErrUnsafePath, cur)
		case !last && !fi.IsDir(), last && s.Kind == manifest.KindDir && !fi.IsDir():
			return fmt.Errorf("%w: %s is not a directory", ErrUnsafePath, cur)
		}
	}
	return nil
}

// write assembles every stream in a staging directory inside the target, verifying
// each against its signed hash, and only then renames them into place. On failure
// the staging directory is removed and the target is as it was.
func (f *fetcher) write(ctx context.Context, root *manifest.Root, p *plan) (err error) {
	created := false
	if _, err := os.Stat(p.to); errors.Is(err, fs.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(p.to, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", p.to, err)
	}
	if old, _ := filepath.Glob(filepath.Join(p.to, stagingPrefix+"*")); len(old) > 0 {
		for _, o := range old { // left by an interrupted run
			os.RemoveAll(o)
		}
	}
	staging := filepath.Join(p.to, stagingPrefix+hex.EncodeToString(root.PubID[:8]))
	if err := os.Mkdir(staging, 0o700); err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer func() {
		os.RemoveAll(staging)
		if err != nil && created {
			os.Remove(p.to) // only succeeds if we left it empty
		}
	}()

	var total int64
	for _, s := range p.streams {
		total += int64(s.Size)
	}
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, s := range p.streams {
		if s.Kind != manifest.KindFile {
			continue
		}
		g.Go(func() error {
			if err := f.assemble(gctx, filepath.Join(staging, filepath.FromSlash(s.Path)), s); err != nil {
				return err
			}
			f.report(Progress{Phase: "write", Done: done.Add(int64(s.Size)), Total: total})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return f.install(staging, p)
}

// assemble writes stream s to dst from verified cached chunks and checks its hash.
func (f *fetcher) assemble(ctx context.Context, dst string, s manifest.Stream) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	defer out.Close()
	h := f.keys.StreamHash()
	var n uint64
	for _, r := range s.Chunks {
		plain, err := f.chunk(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("write %s: %w", s.Path, err)
		}
		h.Write(plain)
		n += uint64(len(plain))
		if _, err := out.Write(plain); err != nil {
			return fmt.Errorf("write %s: %w", s.Path, err)
		}
	}
	if n != s.Size || !bytes.Equal(h.Sum(nil), s.Hash[:]) {
		return fmt.Errorf("write %s: %w", s.Path, ErrTampered)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	if err := os.Chmod(dst, fs.FileMode(s.Mode&0o7777)); err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	mt := time.Unix(0, s.MTime)
	if err := os.Chtimes(dst, mt, mt); err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	f.addWritten(int64(n))
	return nil
}

func (f *fetcher) addWritten(n int64) {
	f.mu.Lock()
	f.stats.FilesWritten++
	f.stats.BytesWritten += n
	f.mu.Unlock()
}

// install moves the verified files from staging into the target and then applies
// directory modes and times, deepest first (creating entries changes a dir's mtime).
func (f *fetcher) install(staging string, p *plan) error {
	var dirs []manifest.Stream
	for _, s := range p.streams {
		dst := filepath.Join(p.to, filepath.FromSlash(s.Path))
		switch s.Kind {
		case manifest.KindDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("install %s: %w", s.Path, err)
			}
			dirs = append(dirs, s)
		case manifest.KindFile:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("install %s: %w", s.Path, err)
			}
			if err := os.Rename(filepath.Join(staging, filepath.FromSlash(s.Path)), dst); err != nil {
				return fmt.Errorf("install %s: %w", s.Path, err)
			}
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, d := range dirs {
		dst := filepath.Join(p.to, filepath.FromSlash(d.Path))
		mt := time.Unix(0, d.MTime)
		if err := errors.Join(os.Chmod(dst, fs.FileMode(d.Mode&0o7777)), os.Chtimes(dst, mt, mt)); err != nil {
			return fmt.Errorf("install %s: %w", d.Path, err)
		}
	}
	return nil
}
