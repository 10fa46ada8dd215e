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
	m    map[string]*dirHandle // by target-relative slash path
	tick uint64
}

type dirHandle struct {
	r    *os.Root
	refs int
	used uint64
}

func newDirs(root *os.Root) *dirs { return &dirs{root: root, m: map[string]*dirHandle{}} }

// get returns the directory dir (slash path relative to the target, "." for
// the target), held open until the matching put.
func (d *dirs) get(dir string) (*os.Root, error) {
	if dir == "." {
		return d.root, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tick++
	if h, ok := d.m[dir]; ok {
		h.refs++
		h.used = d.tick
		return h.r, nil
	}
	r, err := d.root.OpenRoot(filepath.FromSlash(dir))
	if err != nil {
		return nil, err
	}
	if len(d.m) >= maxOpenDirs {
		d.evict()
	}
	d.m[dir] = &dirHandle{r: r, refs: 1, used: d.tick}
	return r, nil
}

// put releases a directory get returned.
func (d *dirs) put(dir string) {
	if dir == "." {
		return
	}
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
		d.m[u.dir].r.Close()
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
			h.r.Close()
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
		h.r.Close()
		delete(d.m, k)
	}
}
