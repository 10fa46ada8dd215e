package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/manifest"
)

// Downloading ahead. A source lists, while it still builds its publication, the
// packs it has filled (manifest.Root.Finished): their bytes are final and served.
// They hold only this publication's new chunks and splices (a chunk that also
// has a splice goes to packs listed at Ready only), so a destination lacking the
// new chunks, with a cold cache or one from the last sync, needs all of them: it
// downloads them while it waits for Ready, instead of leaving the link idle for
// as long as the source reads and seals (a first sync of a 200 MB database
// waited ≈ 10 s of its 60–70 s at 20 Mbit/s; a day 2 ≈ 2 s of its 8.6 s at
// 100 Mbit/s). The packs go to files in the cache directory and, once the
// manifest is known, the plan's range reads of them are served from there: every
// chunk is verified as always (the files are as untrusted as the network). What
// such a pack may hold that a destination does not use: splices, for one with
// nothing cached or without their bases, and new chunks it happens to have.
// Their bytes are the price of the overlap.

// maxAheadPack bounds the size of a pack downloaded ahead: a pack is closed at
// chunkstore.PackTarget, so it is shorter than that plus one sealed chunk. A
// root listing a larger one (a hostile or broken source: these bytes are
// written before anything verifies them) does not get it downloaded ahead.
const maxAheadPack = chunkstore.PackTarget + chunkstore.MaxSealedSize

// prefetchParallel is how many packs are downloaded ahead at once.
const prefetchParallel = 2

// prefetchDir is the prefix of the directories, inside the cache, that hold
// packs downloaded ahead; one older than prefetchStale is a crashed fetch's.
const (
	prefetchDir   = "ahead-"
	prefetchStale = 24 * time.Hour
)

// prefetcher is a Remote that serves range reads of the packs it downloaded
// ahead from its files, and everything else from the Remote below.
type prefetcher struct {
	Remote
	dir    string
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	bytes  atomic.Int64 // downloaded ahead so far

	mu    sync.Mutex
	packs map[string]*aheadPack
}

type aheadPack struct {
	size    int64
	done    chan struct{}
	err     error // set before done is closed
	started bool  // the download began (guarded by prefetcher.mu)
	dropped bool  // a read came first: it goes to the network (guarded by prefetcher.mu)
}

// newPrefetcher makes a prefetcher over below with a new directory in the cache.
func newPrefetcher(cacheRoot string, below Remote) (*prefetcher, error) {
	removeStale(cacheRoot)
	dir, err := os.MkdirTemp(cacheRoot, prefetchDir)
	if err != nil {
		return nil, fmt.Errorf("download ahead: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &prefetcher{Remote: below, dir: dir, ctx: ctx, cancel: cancel, sem: make(chan struct{}, prefetchParallel), packs: map[string]*aheadPack{}}, nil
}

// removeStale removes the download-ahead directories of fetches that died.
func removeStale(cacheRoot string) {
	ents, _ := os.ReadDir(cacheRoot)
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefetchDir) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > prefetchStale {
			os.RemoveAll(filepath.Join(cacheRoot, e.Name()))
		}
	}
}

// add starts downloading the packs of list it does not have yet.
func (p *prefetcher) add(list []manifest.FinishedPack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, fp := range list {
		if _, ok := p.packs[fp.Name]; ok || p.ctx.Err() != nil || fp.Size > maxAheadPack {
			continue
		}
		a := &aheadPack{size: int64(fp.Size), done: make(chan struct{})}
		p.packs[fp.Name] = a
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer close(a.done)
			select {
			case p.sem <- struct{}{}:
				defer func() { <-p.sem }()
				p.mu.Lock()
				a.started = !a.dropped
				p.mu.Unlock()
				if !a.started {
					a.err = errDropped
					return
				}
				a.err = p.download(fp.Name, a.size)
			case <-p.ctx.Done():
				a.err = p.ctx.Err()
			}
		}()
	}
}

// download copies pack name, size bytes, into its file.
func (p *prefetcher) download(name string, size int64) error {
	body, err := p.Remote.Range(p.ctx, name, 0, size)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.OpenFile(filepath.Join(p.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, &countingReader{ReadCloser: body, n: &p.bytes})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// errDropped is the error of a pack that was read before its download began.
var errDropped = errors.New("fetch: read before its download ahead began")

// Range serves a range of a pack downloaded ahead from its file (after waiting
// for a download under way), anything else from the Remote below. A pack whose
// download has not begun yet is not downloaded ahead any more: the plan reads
// it with its own parallel requests.
func (p *prefetcher) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	p.mu.Lock()
	a := p.packs[pack]
	if a != nil && !a.started {
		a.dropped = true
		a = nil
	}
	p.mu.Unlock()
	if a != nil && off >= 0 && n > 0 && off+n <= a.size {
		select {
		case <-a.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if a.err == nil {
			if f, err := os.Open(filepath.Join(p.dir, pack)); err == nil {
				return &dirRange{f: f, r: io.NewSectionReader(f, off, n), n: n}, nil
			}
		}
	}
	return p.Remote.Range(ctx, pack, off, n)
}

// complete returns the packs downloaded ahead whole, by name.
func (p *prefetcher) complete() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for name, a := range p.packs {
		if !a.started {
			continue
		}
		select {
		case <-a.done:
			if a.err == nil {
				out[name] = true
			}
		default:
		}
	}
	return out
}

// keepAhead puts into the cache the chunks of the packs downloaded ahead that
// the plan did not take: files here that were already up to date (a source's
// store with new keys, after --rotate, or another store of the same
// application: its chunks are new to this cache), tables or file sets left
// out. They came over the wire already; a later fetch of this store that
// needs them (a big file changed after all) need not download them again,
// which it did before, whole. They are read from the files downloaded ahead
// and verified as every chunk is. Best effort: a failure only leaves them
// out of the cache.
func (f *fetcher) keepAhead(ctx context.Context) {
	whole := f.ahead.complete()
	if len(whole) == 0 {
		return
	}
	var missing []int32
	for i, l := range f.locs.ls {
		if l.len == 0 || !whole[f.locs.packs[l.pack]] {
			continue // a splice, or a chunk no stream references
		}
		has, err := f.opt.Cache.Has(ctx, l.id)
		if err != nil {
			return
		}
		if !has {
			missing = append(missing, int32(i))
		}
	}
	if len(missing) == 0 {
		return
	}
	before := f.downloaded.Load()
	defer f.downloaded.Store(before) // not chunks this plan downloaded
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, s := range planSpansMax(f.locs, missing, maxSpan) {
		g.Go(func() error {
			_, err := f.fetchSpan(gctx, s, nil, nil)
			return err
		})
	}
	g.Wait()
}

// close stops the downloads and removes the files.
func (p *prefetcher) close() {
	p.cancel()
	p.wg.Wait()
	os.RemoveAll(p.dir)
}
