package fetch

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// maxOpenDirs bounds the directories a fetch holds open at once (dirs).
const maxOpenDirs = 128

// dirs holds directories of the target open as roots of their own, so that
// an operation on a file in one is a single system call on its name (an
// os.Root resolves a path one component at a time: a file two directories
// deep cost three opens and three closes more per operation). A directory is
// opened through the target's root, which refuses symlinks that lead out of
// it; a handle then stays on that directory even if its name is swapped for
// a symlink afterwards: what is written through it lands in that directory
// (wherever it was moved), never through the symlink. Unused handles are
// closed, least recently used first, beyond maxOpenDirs.
type dirs struct {
	root *os.Root
	mu   sync.Mutex
	top  *dirHandle            // the target itself (opened on first use, never evicted)
	m    map[string]*dirHandle // by target-relative slash path
	tick uint64
}

// dirHandle is an open directory: as a root for what has no system call of
// its own here, and as a file whose descriptor creating and timing a file in
// it use (dirs_unix.go: one system call each, no more).
type dirHandle struct {
	r    *os.Root
	f    *os.File // the directory; nil where not used (dirs_other.go)
	refs int
	used uint64
}

func newDirs(root *os.Root) *dirs { return &dirs{root: root, m: map[string]*dirHandle{}} }

// openDir opens r's directory as a handle.
func openDir(r *os.Root, owned bool) (*dirHandle, error) {
	f, err := dirFile(r)
	if err != nil {
		if owned {
			r.Close()
		}
		return nil, err
	}
	return &dirHandle{r: r, f: f}, nil
}

// get returns the directory dir (slash path relative to the target, "." for
// the target), held open until the matching put.
func (d *dirs) get(dir string) (*dirHandle, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dir == "." {
		if d.top == nil {
			h, err := openDir(d.root, false)
			if err != nil {
				return nil, err
			}
			d.top = h
		}
		return d.top, nil
	}
	d.tick++
	if h, ok := d.m[dir]; ok {
		h.refs++
		h.used = d.tick
		return h, nil
	}
	r, err := d.root.OpenRoot(filepath.FromSlash(dir))
	if err != nil {
		return nil, err
	}
	h, err := openDir(r, true)
	if err != nil {
		return nil, err
	}
	if len(d.m) >= maxOpenDirs {
		d.evict()
	}
	h.refs, h.used = 1, d.tick
	d.m[dir] = h
	return h, nil
}

// close closes the handle (not the target's root).
func (h *dirHandle) close(owned bool) {
	if h.f != nil {
		h.f.Close()
	}
	if owned {
		h.r.Close()
	}
}

// put releases a directory get returned.
func (d *dirs) put(dir string) {
	d.mu.Lock()
	if h, ok := d.m[dir]; ok {
		h.refs--
	}
	d.mu.Unlock()
}

// evict closes the older half of the unused handles. It runs with mu held.
func (d *dirs) evict() {
	type idle struct {
		dir  string
		used uint64
	}
	var unused []idle
	for dir, h := range d.m {
		if h.refs == 0 {
			unused = append(unused, idle{dir, h.used})
		}
	}
	slices.SortFunc(unused, func(a, b idle) int { return cmp.Compare(a.used, b.used) })
	for _, u := range unused[:(len(unused)+1)/2] {
		d.m[u.dir].close(true)
		delete(d.m, u.dir)
	}
}

// forget closes the handle of dir (unused) and those beneath it, if open: the
// directory is about to be removed or renamed.
func (d *dirs) forget(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, h := range d.m {
		if (k == dir || len(k) > len(dir) && k[:len(dir)] == dir && k[len(dir)] == '/') && h.refs == 0 {
			h.close(true)
			delete(d.m, k)
		}
	}
}

// close closes every handle.
func (d *dirs) close() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, h := range d.m {
		h.close(true)
		delete(d.m, k)
	}
	if d.top != nil {
		d.top.close(false)
		d.top = nil
	}
}
