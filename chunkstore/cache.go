package chunkstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// touchEvery limits how often a use of a chunk updates its mtime, and is how
// old a temporary file must be before GC takes it for a crash leftover.
const touchEvery = time.Hour

// Cache is the destination's chunk cache. It holds chunks in two forms: a Dir
// of one file per chunk (Put), and pack logs that a PackWriter appends many
// chunks to at once (see cachepack.go), which is what fetch uses. File and
// pack mtimes record their last use (to within an hour: Has and Get of a
// present chunk set its mtime to now if it is older than that), so GC can
// evict the least recently used chunks (or packs) first. Like Dir it may be
// shared by processes.
type Cache struct {
	d *Dir
	p *packLog

	dirChunks atomic.Bool // the Dir may hold chunks: worth a stat on a pack miss
}

// OpenCache opens the cache directory root, creating it if needed.
func OpenCache(root string) (*Cache, error) {
	d, err := OpenDir(root)
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	p, err := openPackLog(d.Root())
	if err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	c := &Cache{d: d, p: p}
	c.checkDir()
	return c, nil
}

// checkDir notes whether the Dir has any shard directory.
func (c *Cache) checkDir() {
	ents, err := os.ReadDir(c.d.root)
	for _, e := range ents {
		if e.IsDir() && isHex(e.Name(), 2) {
			c.dirChunks.Store(true)
			return
		}
	}
	if err != nil {
		c.dirChunks.Store(true) // unknown: look
	}
}

// Root returns the absolute path of the cache directory.
func (c *Cache) Root() string { return c.d.Root() }

// Path returns the file name of chunk id as Put stores it (which may not
// exist).
func (c *Cache) Path(id ID) string { return c.d.Path(id) }

// Has reports whether the cache holds id, marking it used.
func (c *Cache) Has(ctx context.Context, id ID) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("stat chunk %s: %w", id, err)
	}
	if r, ok := c.p.lookup(id); ok {
		c.p.touch(r.p)
		return true, nil
	}
	if !c.dirChunks.Load() {
		return false, nil
	}
	fi, err := c.d.stat(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.touch(id, fi)
	return true, nil
}

// Get returns the sealed chunk id, or an error wrapping ErrNotFound, marking
// it used.
func (c *Cache) Get(ctx context.Context, id ID) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
	if r, ok := c.p.lookup(id); ok {
		b, err := c.p.read(ctx, id, r)
		if err == nil {
			c.p.touch(r.p)
			return b, nil
		}
		if !errors.Is(err, ErrNotFound) || !c.dirChunks.Load() {
			return nil, err
		}
	}
	b, fi, err := c.d.get(ctx, id)
	if err != nil {
		return nil, err
	}
	c.touch(id, fi)
	return b, nil
}

// Put stores sealed as id, in a file of its own, unless the cache already
// holds id. PackWriter stores many chunks at a much lower cost.
func (c *Cache) Put(ctx context.Context, id ID, sealed []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put chunk %s: %w", id, err)
	}
	if _, ok := c.p.lookup(id); ok {
		return nil
	}
	c.dirChunks.Store(true)
	return c.d.Put(ctx, id, sealed)
}

// Remove deletes chunk id; removing an absent chunk is not an error. A chunk
// in a pack takes the whole pack with it (the other chunks are fetched again
// when needed): Remove is for a chunk found damaged, and a pack with one
// damaged record is not trusted further.
func (c *Cache) Remove(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove chunk %s: %w", id, err)
	}
	_, perr := c.p.remove(id)
	if perr != nil {
		perr = fmt.Errorf("remove chunk %s: %w", id, perr)
	}
	return errors.Join(perr, c.d.Remove(ctx, id))
}

func (c *Cache) touch(id ID, fi fs.FileInfo) {
	now := time.Now()
	if now.Sub(fi.ModTime()) < touchEvery {
		return
	}
	// A failed touch only makes the chunk an earlier candidate for GC (or
	// the cache is read-only, where GC cannot run either): not worth failing
	// the read for.
	_ = os.Chtimes(c.d.Path(id), time.Time{}, now)
}

type cacheFile struct {
	path  string
	size  int64
	mtime time.Time
	pack  *packFile // a whole pack rather than one chunk file
}

// Size returns the total size of the chunk files and packs in the cache.
func (c *Cache) Size(ctx context.Context) (int64, error) {
	var total int64
	err := c.walk(ctx, func(f cacheFile, isTemp bool) error {
		if !isTemp {
			total += f.size
		}
		return nil
	})
	if err == nil {
		var packs []packFile
		packs, err = c.p.walkPacks(ctx, nil)
		for _, p := range packs {
			total += p.size
		}
	}
	if err != nil {
		return 0, fmt.Errorf("cache size: %w", err)
	}
	return total, nil
}

// GC deletes least recently used chunk files and packs until they total at
// most maxSize bytes, and removes temporary files older than an hour (left by
// crashed writers). It returns the number of chunks and temporary files
// removed and the bytes they held. A chunk or pack used again while GC runs
// is kept.
func (c *Cache) GC(ctx context.Context, maxSize int64) (removed int64, freed int64, err error) {
	var (
		chunks []cacheFile
		total  int64
		stale  = time.Now().Add(-touchEvery)
	)
	packs, err := c.p.walkPacks(ctx, func(path string, size int64) error {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove temporary file: %w", err)
		}
		removed++
		freed += size
		return nil
	})
	if err != nil {
		return removed, freed, fmt.Errorf("gc cache: %w", err)
	}
	for i := range packs {
		p := &packs[i]
		chunks = append(chunks, cacheFile{path: filepath.Join(c.p.dir, p.name), size: p.size, mtime: p.mtime, pack: p})
		total += p.size
	}
	err = c.walk(ctx, func(f cacheFile, isTemp bool) error {
		switch {
		case !isTemp:
			chunks = append(chunks, f)
			total += f.size
		case f.mtime.Before(stale):
			if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove temporary file: %w", err)
			}
			removed++
			freed += f.size
		}
		return nil
	})
	if err != nil {
		return removed, freed, fmt.Errorf("gc cache: %w", err)
	}

	slices.SortFunc(chunks, func(a, b cacheFile) int {
		return cmp.Or(a.mtime.Compare(b.mtime), strings.Compare(a.path, b.path))
	})
	for _, f := range chunks {
		if total <= maxSize {
			break
		}
		if err := ctx.Err(); err != nil {
			return removed, freed, fmt.Errorf("gc cache: %w", err)
		}
		if f.pack != nil {
			ok, err := c.p.removePack(*f.pack)
			if err != nil {
				return removed, freed, fmt.Errorf("gc cache: %w", err)
			}
			if ok {
				removed += f.pack.chunks
				freed += f.size
				total -= f.size
			}
			continue
		}
		if fi, err := os.Stat(f.path); err != nil || !fi.ModTime().Equal(f.mtime) {
			continue // gone or used meanwhile
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, freed, fmt.Errorf("gc cache: %w", err)
		}
		removed++
		freed += f.size
		total -= f.size
	}
	return removed, freed, nil
}

// walk calls fn for each chunk file and temporary file in the cache's shard
// directories, skipping anything else.
func (c *Cache) walk(ctx context.Context, fn func(f cacheFile, isTemp bool) error) error {
	shards, err := os.ReadDir(c.d.root)
	if err != nil {
		return err
	}
	for _, sh := range shards {
		if !sh.IsDir() || !isHex(sh.Name(), 2) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(c.d.root, sh.Name())
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			isTemp := strings.HasPrefix(name, tmpPrefix)
			if !e.Type().IsRegular() || !isTemp && !(isHex(name, 64) && name[:2] == sh.Name()) {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return err
			}
			if err := fn(cacheFile{filepath.Join(dir, name), fi.Size(), fi.ModTime(), nil}, isTemp); err != nil {
				return err
			}
		}
	}
	return nil
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
