package fetch

import (
	"bufio"
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

	"synco/manifest"
)

// ErrUnsafePath: a manifest path would write outside the target or through a symlink.
var ErrUnsafePath = errors.New("fetch: unsafe path")

const stagingPrefix = ".synco-tmp-"

type plan struct {
	to      string
	outputs []output
}

// output is one entry written into the target: a published file or directory, or a
// database dump as one .sql file made of its streams in load order.
type output struct {
	manifest.Stream                   // path, kind, mode, mtime, size of the result
	parts           []manifest.Stream // signed streams whose concatenation it is
}

// newPlan validates every path against the target directory before anything is
// written: paths must be valid relative paths (even though the manifest is signed),
// must not go through a symlink or a non-directory already in the target, and a file
// must not replace a directory. Each dump becomes <prefix>.sql.
func newPlan(streams []manifest.Stream, dumps []*Dump, to string, created int64) (*plan, error) {
	p := &plan{to: to}
	for _, s := range streams {
		p.outputs = append(p.outputs, output{Stream: s, parts: []manifest.Stream{s}})
	}
	for _, d := range dumps {
		o := output{Stream: manifest.Stream{Path: d.Prefix + ".sql", Kind: manifest.KindFile, Mode: 0o644, MTime: created}, parts: d.parts}
		for _, s := range d.parts {
			o.Size += s.Size
		}
		p.outputs = append(p.outputs, o)
	}
	kinds := make(map[string]manifest.Kind, len(p.outputs))
	for _, o := range p.outputs {
		if err := manifest.ValidPath(o.Path); err != nil || strings.HasPrefix(o.Path, stagingPrefix) {
			return nil, fmt.Errorf("%w: %q", ErrUnsafePath, o.Path)
		}
		if _, dup := kinds[o.Path]; dup {
			return nil, fmt.Errorf("%w: %q published twice", ErrUnsafePath, o.Path)
		}
		kinds[o.Path] = o.Kind
	}
	for _, o := range p.outputs {
		for dir := path.Dir(o.Path); dir != "."; dir = path.Dir(dir) {
			if k, ok := kinds[dir]; ok && k != manifest.KindDir {
				return nil, fmt.Errorf("%w: %q is a file and a directory", ErrUnsafePath, dir)
			}
		}
		if err := checkTarget(to, o.Stream); err != nil {
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
	for _, o := range p.outputs {
		total += int64(o.Size)
	}
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, o := range p.outputs {
		if o.Kind != manifest.KindFile {
			continue
		}
		g.Go(func() error {
			if err := f.assemble(gctx, filepath.Join(staging, filepath.FromSlash(o.Path)), o); err != nil {
				return err
			}
			f.report(Progress{Phase: "write", Done: done.Add(int64(o.Size)), Total: total})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return f.install(staging, p)
}

// assemble writes output o to dst from verified cached chunks, checking the signed
// hash of each of its streams.
func (f *fetcher) assemble(ctx context.Context, dst string, o output) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 256<<10)
	for _, s := range o.parts {
		if err := f.copyStream(ctx, w, s); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	if err := os.Chmod(dst, fs.FileMode(o.Mode&0o7777)); err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	mt := time.Unix(0, o.MTime)
	if err := os.Chtimes(dst, mt, mt); err != nil {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	f.addWritten(int64(o.Size))
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
	for _, o := range p.outputs {
		s := o.Stream
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
