package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/manifest"
)

// ErrUnsafePath: a manifest path would write outside the target or through a symlink.
var ErrUnsafePath = errors.New("fetch: unsafe path")

const stagingPrefix = ".synco-tmp-"

type plan struct {
	to        string
	outputs   []output
	unchanged []string // files already in the target as published (not written again)
}

// skipUnchanged leaves out the files the target already has with the published size,
// modification time and mode — the quick check rsync makes — so a daily sync
// neither downloads nor rewrites them. It returns how many it left out.
func (p *plan) skipUnchanged() int {
	kept := p.outputs[:0]
	for _, o := range p.outputs {
		if (o.Kind == manifest.KindFile || o.Kind == manifest.KindRemote) && len(o.parts) == 1 { // not a dump's .sql (made of several)
			fi, err := os.Lstat(filepath.Join(p.to, filepath.FromSlash(o.Path)))
			if err == nil && fi.Mode().IsRegular() && fi.Size() == int64(o.Size) &&
				fi.ModTime().UnixNano() == o.MTime && uint32(fi.Mode().Perm()) == o.Mode&0o777 {
				p.unchanged = append(p.unchanged, o.Path)
				continue
			}
		}
		kept = append(kept, o)
	}
	p.outputs = kept
	return len(p.unchanged)
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
		case last && s.Kind != manifest.KindDir && fi.IsDir():
			return fmt.Errorf("%w: %s is a directory, the source has a file there", ErrUnsafePath, cur)
		case !last && fi.Mode()&fs.ModeSymlink != 0, last && s.Kind == manifest.KindDir && fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: %s is a symlink; refusing to write through it", ErrUnsafePath, cur)
		case !last && !fi.IsDir(), last && s.Kind == manifest.KindDir && !fi.IsDir():
			return fmt.Errorf("%w: %s is not a directory", ErrUnsafePath, cur)
		}
	}
	return nil
}

// write installs the staged files once every stream in them was delivered and
// verified against its signed hash. On failure the caller's stage.cleanup
// removes the staging directory and the target is as it was.
func (f *fetcher) write(ctx context.Context, st *stage) error {
	if err := st.complete(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.install(st.dir, st.p)
}

func (f *fetcher) addWritten(n int64) {
	f.mu.Lock()
	f.stats.FilesWritten++
	f.stats.BytesWritten += n
	f.mu.Unlock()
}

// install moves the verified files from staging into the target (each parent
// directory is created once, renames run in parallel) and then applies
// directory modes and times, deepest first (creating entries changes a dir's
// mtime).
func (f *fetcher) install(staging string, p *plan) error {
	var dirs []manifest.Stream
	made := map[string]bool{}
	mkdir := func(dir string) error {
		if made[dir] {
			return nil
		}
		if err := os.MkdirAll(filepath.Join(p.to, filepath.FromSlash(dir)), 0o755); err != nil {
			return err
		}
		for ; dir != "." && !made[dir]; dir = path.Dir(dir) {
			made[dir] = true
		}
		return nil
	}
	var files []manifest.Stream
	for _, o := range p.outputs {
		s := o.Stream
		switch s.Kind {
		case manifest.KindDir:
			if err := mkdir(s.Path); err != nil {
				return fmt.Errorf("install %s: %w", s.Path, err)
			}
			dirs = append(dirs, s)
		case manifest.KindFile, manifest.KindRemote:
			if err := mkdir(path.Dir(s.Path)); err != nil {
				return fmt.Errorf("install %s: %w", s.Path, err)
			}
			files = append(files, s)
		}
	}
	var g errgroup.Group
	g.SetLimit(max(f.opt.Parallel, 2))
	const batch = 64
	for i := 0; i < len(files); i += batch {
		part := files[i:min(i+batch, len(files))]
		g.Go(func() error {
			for _, s := range part {
				rel := filepath.FromSlash(s.Path)
				if err := os.Rename(filepath.Join(staging, rel), filepath.Join(p.to, rel)); err != nil {
					return fmt.Errorf("install %s: %w", s.Path, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
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
