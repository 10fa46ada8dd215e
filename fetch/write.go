package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/manifest"
)

// ErrUnsafePath: a manifest path would write outside the target or through a
// symlink, or a directory beneath the target was replaced by a symlink while
// the fetch ran.
var ErrUnsafePath = errors.New("fetch: unsafe path")

const stagingPrefix = ".synco-tmp-"

// A plan writes beneath its target through an os.Root: every open, mkdir,
// chmod, chtimes, rename and delete is resolved by the kernel relative to the
// target directory, one component at a time, and a symlink that leads out of
// it is refused (ErrUnsafePath), also one that replaced a directory after it
// was checked.
type plan struct {
	to        string
	root      *os.Root // of to; nil until to exists
	dirs      *dirs    // directories of root held open; nil while root is
	umask     fs.FileMode
	outputs   []output
	unchanged []string // files already in the target as published (not written again)
}

// close closes the plan's root.
func (p *plan) close() {
	if p != nil && p.root != nil {
		p.dirs.close()
		p.root.Close()
	}
}

// setRoot makes root the plan's target.
func (p *plan) setRoot(root *os.Root) {
	p.root, p.dirs = root, newDirs(root)
}

// lstat is os.Lstat of the target-relative slash path rel; fs.ErrNotExist
// while the target does not exist.
func (p *plan) lstat(rel string) (fs.FileInfo, error) {
	if p.root == nil {
		return nil, fs.ErrNotExist
	}
	return p.root.Lstat(filepath.FromSlash(rel))
}

// fileMode is the mode a published file or directory gets: its permission
// bits less the umask (no setuid, setgid or sticky bit from the source).
func (p *plan) fileMode(published uint32) fs.FileMode {
	return fs.FileMode(published&0o777) &^ p.umask
}

// escaped is the error of an os.Root operation that would leave the root.
var escaped = sync.OnceValue(func() error {
	r, err := os.OpenRoot(os.TempDir())
	if err != nil {
		return nil
	}
	defer r.Close()
	_, err = r.Lstat("../x")
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return nil
})

// confined names the failure of operation op on the target-relative path rel:
// one that a symlink made (it would have left the target, or a symlink stood
// where a directory was) is ErrUnsafePath. os.Root's Chmod does not follow a
// last symlink: on Linux it fails with EOPNOTSUPP on one (a directory swapped
// for a symlink while the fetch installs; TestFetchSymlinkRace caught it).
func confined(op, rel string, err error) error {
	if err == nil {
		return nil
	}
	if esc := escaped(); esc != nil && errors.Is(err, esc) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.EOPNOTSUPP) {
		return fmt.Errorf("%s %s: %w: a symlink leads out of the target (%w)", op, rel, ErrUnsafePath, err)
	}
	return fmt.Errorf("%s %s: %w", op, rel, err)
}

// testHook, if set (tests), is called before each operation on the target.
var testHook func(op, rel string)

func hook(op, rel string) {
	if testHook != nil {
		testHook(op, rel)
	}
}

// skipUnchanged leaves out the files the target already has with the published size,
// modification time and mode — the quick check rsync makes — so a daily sync
// neither downloads nor rewrites them. It returns how many it left out.
//
// A dump's <prefix>.sql (made of several streams, with the publication's time as
// its mtime) is left out when the file in the target has exactly the content of
// its streams: same size, and each part's keyed hash (newHash) over the file's
// bytes matches the signed one — a daily fetch of an unchanged database does not
// rewrite it.
func (p *plan) skipUnchanged(newHash func() hash.Hash) int {
	kept := p.outputs[:0]
	for _, o := range p.outputs {
		if (o.Kind == manifest.KindFile || o.Kind == manifest.KindRemote) && len(o.parts) == 1 { // not a dump's .sql (made of several)
			if c := o.cur; c.regular && c.size == int64(o.Size) && c.mtime == o.MTime && c.perm == p.fileMode(o.Mode) {
				p.unchanged = append(p.unchanged, o.Path)
				continue
			}
		}
		if len(o.parts) > 1 && o.cur.exists && newHash != nil && p.sameDump(o, newHash) {
			p.unchanged = append(p.unchanged, o.Path)
			continue
		}
		kept = append(kept, o)
	}
	p.outputs = kept
	return len(p.unchanged)
}

// sameDump reports whether the target's file o.Path holds exactly the
// concatenation of o's parts (checked against their signed keyed hashes).
func (p *plan) sameDump(o output, newHash func() hash.Hash) bool {
	if p.root == nil {
		return false
	}
	fi, err := p.lstat(o.Path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(o.Size) {
		return false
	}
	f, err := p.root.Open(filepath.FromSlash(o.Path))
	if err != nil {
		return false
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	for _, s := range o.parts {
		h := newHash()
		if n, err := io.CopyN(h, r, int64(s.Size)); err != nil || n != int64(s.Size) || !bytes.Equal(h.Sum(nil), s.Hash[:]) {
			return false
		}
	}
	return true
}

// output is one entry written into the target: a published file or directory, or a
// database dump as one .sql file made of its streams in load order.
type output struct {
	*manifest.Stream                   // path, kind, mode, mtime, size of the result
	parts            []manifest.Stream // signed streams whose concatenation it is
	cur              current           // what the target had at its path when planned
}

// current is what was at a path of the target when the plan was made.
type current struct {
	exists, regular bool
	perm            fs.FileMode
	size, mtime     int64
}

// newPlan validates every path against the target directory before anything is
// written: paths must be valid relative paths (even though the manifest is signed),
// must not go through a symlink or a non-directory already in the target, and a file
// must not replace a directory. Each dump becomes <prefix>.sql (mode 0600: it holds
// the whole database). The caller closes the plan.
func newPlan(streams []manifest.Stream, dumps []*Dump, to string, created int64) (p *plan, err error) {
	p = &plan{to: to, umask: umask()}
	if root, err := os.OpenRoot(to); err == nil {
		p.setRoot(root)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open target: %w", err)
	}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	p.outputs = make([]output, 0, len(streams)+len(dumps))
	for i := range streams { // pointing into streams: a file's stream is not copied
		p.outputs = append(p.outputs, output{Stream: &streams[i], parts: streams[i : i+1 : i+1]})
	}
	for _, d := range dumps {
		o := output{Stream: &manifest.Stream{Path: d.Prefix + ".sql", Kind: manifest.KindFile, Mode: 0o600, MTime: created}, parts: d.parts}
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
	isDir := map[string]bool{} // directories of the target checked: true if one is there
	for i := range p.outputs {
		o := &p.outputs[i]
		for dir := path.Dir(o.Path); dir != "."; dir = path.Dir(dir) {
			if k, ok := kinds[dir]; ok && k != manifest.KindDir {
				return nil, fmt.Errorf("%w: %q is a file and a directory", ErrUnsafePath, dir)
			}
		}
		if err := p.checkTarget(o, isDir); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkTarget refuses existing symlinks or files where the target tree needs a
// directory, and a directory where it needs a file, and records in o.cur what
// is at o's path. isDir caches the directories checked (false: there is none).
func (p *plan) checkTarget(o *output, isDir map[string]bool) error {
	if p.root == nil {
		return nil
	}
	s := o.Stream
	dir := "."
	for i := 0; i <= len(s.Path); i++ {
		if i < len(s.Path) && s.Path[i] != '/' {
			continue
		}
		rel, last := s.Path[:i], i == len(s.Path)
		if !last {
			if there, ok := isDir[rel]; ok {
				if !there {
					return nil // nothing beneath a missing directory
				}
				dir = rel
				continue
			}
		}
		cur := filepath.Join(p.to, filepath.FromSlash(rel))
		var fi fs.FileInfo
		var err error
		if last { // in its directory, held open: one lstat
			var h *dirHandle
			if h, err = p.dirs.get(dir); err == nil {
				fi, err = h.r.Lstat(path.Base(rel))
				p.dirs.put(dir)
			}
		} else {
			fi, err = p.lstat(rel)
		}
		if errors.Is(err, fs.ErrNotExist) {
			if !last {
				isDir[rel] = false
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", cur, err)
		}
		switch {
		case last && s.Kind != manifest.KindDir && fi.IsDir():
			return fmt.Errorf("%w: %s is a directory, the source has a file there", ErrUnsafePath, cur)
		case !last && fi.Mode()&fs.ModeSymlink != 0, last && s.Kind == manifest.KindDir && fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: %s is a symlink; refusing to write through it", ErrUnsafePath, cur)
		case !last && !fi.IsDir(), last && s.Kind == manifest.KindDir && !fi.IsDir():
			return fmt.Errorf("%w: %s is not a directory", ErrUnsafePath, cur)
		}
		if last {
			o.cur = current{exists: true, regular: fi.Mode().IsRegular(), perm: fi.Mode().Perm(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		} else {
			isDir[rel] = true
			dir = rel
		}
	}
	return nil
}

// write installs the staged files once every stream in them was delivered and
// verified against its signed hash. On failure the caller's stage.cleanup
// removes the staging directory and what the fetch added to the target: the
// target is as it was.
func (f *fetcher) write(ctx context.Context, st *stage) error {
	f.report(Progress{Phase: "write"})
	if err := st.complete(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.install(st); err != nil {
		return err
	}
	st.installed = true
	return nil
}

func (f *fetcher) addWritten(n int64) {
	f.mu.Lock()
	f.stats.FilesWritten++
	f.stats.BytesWritten += n
	f.mu.Unlock()
}

// install moves the verified files that replace one in the target from
// staging into place (renames run in parallel; the new files are in place
// already, and every directory exists) and then applies directory modes and
// times, deepest first (creating entries changes a dir's mtime).
func (f *fetcher) install(st *stage) error {
	p := st.p
	var files []*outFile
	for _, of := range st.files {
		if !of.direct {
			files = append(files, of)
		}
	}
	var g errgroup.Group
	g.SetLimit(max(f.opt.Parallel, 2))
	const batch = 64
	for i := 0; i < len(files); i += batch {
		part := files[i:min(i+batch, len(files))]
		g.Go(func() error {
			for _, of := range part {
				hook("rename", of.o.Path)
				rel := filepath.FromSlash(of.o.Path)
				if err := p.root.Rename(filepath.Join(st.dir, rel), rel); err != nil {
					return confined("install", of.o.Path, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var dirs []manifest.Stream
	for _, o := range p.outputs {
		if o.Kind == manifest.KindDir {
			dirs = append(dirs, *o.Stream)
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, d := range dirs {
		hook("dirmode", d.Path)
		dst := filepath.FromSlash(d.Path)
		mt := time.Unix(0, d.MTime)
		if err := p.root.Chmod(dst, p.fileMode(d.Mode)); err != nil {
			return confined("install", d.Path, err)
		}
		if err := p.root.Chtimes(dst, mt, mt); err != nil {
			return confined("install", d.Path, err)
		}
	}
	return nil
}
