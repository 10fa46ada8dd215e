package chunkstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Cache packs. Besides one file per chunk (Put), the cache keeps chunks that
// a PackWriter appends in pack logs under <root>/packs: <name>.dat holds the
// sealed chunks back to back, <name>.idx one 48-byte record per chunk, appended
// after its data was written:
//
//	id  [32]byte
//	off u64 (little endian) offset in <name>.dat
//	len u32 sealed length
//	crc u32 CRC-32 (IEEE) of the 44 bytes before it
//
// Each process appends to packs of its own (random names), so processes share
// the cache without locks; a reader picks up other processes' new records when
// it misses. A record is only written after its data, so a killed writer
// leaves at most a tail of data no record points to. Like chunk files, packs
// are not fsynced: after a power loss a record may point at garbage, which
// Keys.Open detects; Remove then drops the whole pack. LRU GC evicts whole
// packs by the mtime of <name>.dat (set on use, at most once per touchEvery).
const (
	cachePackDir  = "packs"
	packRecSize   = 48
	packMaxSize   = 32 << 20 // a writer starts a new pack beyond this
	packMaxOpen   = 128      // read descriptors kept open
	refreshEvery  = time.Second
	writerMaxBuf  = 1 << 20               // a PackWriter appends at least this often…
	writerMaxWait = 50 * time.Millisecond // …or when its oldest chunk waited this long
)

type packRef struct {
	p   *cachePack
	off int64
	n   uint32
}

type cachePack struct {
	num     uint32 // in packLog.byNum
	name    string
	idxRead int64    // bytes of <name>.idx already indexed
	f       *os.File // read descriptor, nil when closed
	mtime   time.Time
	gone    bool
}

// packLog is the pack half of a Cache.
type packLog struct {
	dir string

	mu          sync.Mutex
	index       idTable // chunk → entry{pack: cachePack.num, off, len}: ≈ 50 bytes a chunk, a map of packRef took ≈ 128
	packs       map[string]*cachePack
	byNum       []*cachePack // by cachePack.num; nil once dropped
	open        int          // packs with f != nil
	lastRefresh time.Time

	wmu    sync.Mutex // serializes appends
	wname  string
	wdat   *os.File
	widx   *os.File
	woff   int64
	widxSz int64
}

func openPackLog(root string) (*packLog, error) {
	l := &packLog{dir: filepath.Join(root, cachePackDir), packs: map[string]*cachePack{}}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l, l.refreshLocked()
}

// refreshLocked indexes the records appended since the last refresh, by this
// or another process, and forgets packs that were removed.
func (l *packLog) refreshLocked() error {
	l.lastRefresh = time.Now()
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("read cache packs: %w", err)
	}
	seen := make(map[string]bool, len(ents))
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || !isHex(name, 32) || !e.Type().IsRegular() {
			continue
		}
		seen[name] = true
		p := l.packs[name]
		if p == nil {
			fi, err := os.Stat(filepath.Join(l.dir, name+".dat"))
			if err != nil {
				continue // being created, or removed meanwhile
			}
			p = l.addPackLocked(name, fi.ModTime())
		}
		if err := l.readIndexLocked(p); err != nil {
			return err
		}
	}
	for name, p := range l.packs {
		if !seen[name] && name != l.wname {
			l.dropLocked(p)
		}
	}
	return nil
}

func (l *packLog) readIndexLocked(p *cachePack) error {
	f, err := os.Open(filepath.Join(l.dir, p.name+".idx"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read cache pack index: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= p.idxRead {
		return nil
	}
	b := make([]byte, (fi.Size()-p.idxRead)/packRecSize*packRecSize)
	n, err := f.ReadAt(b, p.idxRead)
	if err != nil && err != io.EOF {
		return fmt.Errorf("read cache pack index: %w", err)
	}
	for b = b[:n/packRecSize*packRecSize]; len(b) >= packRecSize; b = b[packRecSize:] {
		r := b[:packRecSize]
		if crc32.ChecksumIEEE(r[:44]) != binary.LittleEndian.Uint32(r[44:]) {
			// A torn or damaged record: ignore the rest of this index for good
			// (its chunks are fetched again into another pack).
			p.idxRead = 1 << 62
			return nil
		}
		var id ID
		copy(id[:], r[:32])
		off, sz := int64(binary.LittleEndian.Uint64(r[32:])), binary.LittleEndian.Uint32(r[40:])
		if _, dup := l.index.get(id); !dup && sz <= MaxSealedSize && off >= 0 && off <= math.MaxUint32 {
			l.index.set(id, entry{pack: p.num, off: uint32(off), len: sz})
		}
		p.idxRead += packRecSize
	}
	return nil
}

// dropLocked forgets p and its chunks.
func (l *packLog) dropLocked(p *cachePack) {
	if p.gone {
		return
	}
	p.gone = true
	var ids []ID
	for e := range l.index.all {
		if e.pack == p.num {
			ids = append(ids, e.id)
		}
	}
	for _, id := range ids {
		l.index.del(id)
	}
	l.byNum[p.num] = nil
	if p.f != nil {
		p.f.Close()
		p.f = nil
		l.open--
	}
	delete(l.packs, p.name)
}

// lookup returns where id is, refreshing from disk on a miss at most once per
// refreshEvery.
func (l *packLog) lookup(id ID) (packRef, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.refLocked(id)
	if !ok && time.Since(l.lastRefresh) >= refreshEvery {
		if l.refreshLocked() == nil {
			r, ok = l.refLocked(id)
		}
	}
	return r, ok
}

func (l *packLog) refLocked(id ID) (packRef, bool) {
	e, ok := l.index.get(id)
	if !ok {
		return packRef{}, false
	}
	return packRef{p: l.byNum[e.pack], off: int64(e.off), n: e.len}, true
}

// addPackLocked makes and registers the pack name.
func (l *packLog) addPackLocked(name string, mtime time.Time) *cachePack {
	p := &cachePack{name: name, mtime: mtime, num: uint32(len(l.byNum))}
	l.byNum = append(l.byNum, p)
	l.packs[name] = p
	return p
}

// touch marks p used now if its mtime is older than touchEvery.
func (l *packLog) touch(p *cachePack) {
	now := time.Now()
	l.mu.Lock()
	old := now.Sub(p.mtime) >= touchEvery
	if old {
		p.mtime = now
	}
	l.mu.Unlock()
	if old {
		_ = os.Chtimes(filepath.Join(l.dir, p.name+".dat"), time.Time{}, now) // as Cache.touch
	}
}

// read returns the sealed chunk at r. A pack removed meanwhile reads as
// ErrNotFound; a record pointing past the end of its data as corrupt.
func (l *packLog) read(ctx context.Context, id ID, r packRef) ([]byte, error) {
	b := make([]byte, r.n)
	for try := 0; ; try++ {
		f, err := l.file(r.p)
		if errors.Is(err, fs.ErrNotExist) {
			l.mu.Lock()
			l.dropLocked(r.p)
			l.mu.Unlock()
			return nil, fmt.Errorf("get chunk %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("get chunk %s: %w", id, err)
		}
		_, err = f.ReadAt(b, r.off)
		switch {
		case err == nil:
			return b, nil
		case errors.Is(err, os.ErrClosed) && try < 3:
			continue // closed to make room for another pack: open it again
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("get chunk %s: %w", id, &CorruptError{ID: id, Err: errShort})
		}
		return nil, fmt.Errorf("get chunk %s: %w", id, err)
	}
}

// file returns an open read descriptor of p's data, closing another one if
// too many are open.
func (l *packLog) file(p *cachePack) (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.f != nil {
		return p.f, nil
	}
	f, err := os.Open(filepath.Join(l.dir, p.name+".dat"))
	if err != nil {
		return nil, err
	}
	if l.open >= packMaxOpen {
		for _, q := range l.packs {
			if q.f != nil {
				q.f.Close()
				q.f = nil
				l.open--
				break
			}
		}
	}
	p.f = f
	l.open++
	return f, nil
}

// remove deletes the pack holding id (the whole pack: a damaged record cannot
// be removed alone) and reports whether there was one.
func (l *packLog) remove(id ID) (bool, error) {
	l.mu.Lock()
	r, ok := l.refLocked(id)
	if ok {
		l.dropLocked(r.p)
	}
	l.mu.Unlock()
	if !ok {
		return false, nil
	}
	l.wmu.Lock()
	if r.p.name == l.wname {
		l.closeWriterLocked()
	}
	l.wmu.Unlock()
	err := errors.Join(removeIfExists(filepath.Join(l.dir, r.p.name+".idx")), removeIfExists(filepath.Join(l.dir, r.p.name+".dat")))
	return true, err
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (l *packLog) closeWriterLocked() {
	if l.wdat != nil {
		l.wdat.Close()
		l.widx.Close()
	}
	l.wname, l.wdat, l.widx, l.woff, l.widxSz = "", nil, nil, 0, 0
}

// pending is a chunk buffered in a PackWriter: its ID and its place in buf.
type pending struct {
	id     ID
	off, n int
}

// appendBatch writes data (the sealed chunks ents point into) to this
// process's current pack, then their index records, then indexes them.
func (l *packLog) appendBatch(data []byte, ents []pending) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.wdat != nil && l.woff >= packMaxSize {
		l.closeWriterLocked()
	}
	if l.wdat == nil {
		var rnd [16]byte
		_, _ = rand.Read(rnd[:])
		name := hex.EncodeToString(rnd[:])
		dat, err := os.OpenFile(filepath.Join(l.dir, name+".dat"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrNotExist) { // removed by hand meanwhile
			if err = os.MkdirAll(l.dir, 0o700); err == nil {
				dat, err = os.OpenFile(filepath.Join(l.dir, name+".dat"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			}
		}
		if err != nil {
			return err
		}
		idx, err := os.OpenFile(filepath.Join(l.dir, name+".idx"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			dat.Close()
			os.Remove(dat.Name())
			return err
		}
		l.wname, l.wdat, l.widx = name, dat, idx
		l.mu.Lock()
		l.addPackLocked(name, time.Now())
		l.mu.Unlock()
	}
	if _, err := l.wdat.WriteAt(data, l.woff); err != nil {
		l.closeWriterLocked() // a later batch starts a fresh pack
		return err
	}
	recs := make([]byte, 0, len(ents)*packRecSize)
	for _, e := range ents {
		recs = append(recs, e.id[:]...)
		recs = binary.LittleEndian.AppendUint64(recs, uint64(l.woff)+uint64(e.off))
		recs = binary.LittleEndian.AppendUint32(recs, uint32(e.n))
		recs = binary.LittleEndian.AppendUint32(recs, crc32.ChecksumIEEE(recs[len(recs)-44:]))
	}
	if _, err := l.widx.WriteAt(recs, l.widxSz); err != nil {
		l.closeWriterLocked()
		return err
	}
	l.mu.Lock()
	p := l.packs[l.wname]
	if p == nil { // removed (Remove of one of its chunks) between our batches
		p = l.addPackLocked(l.wname, time.Now())
	}
	for _, e := range ents {
		if _, dup := l.index.get(e.id); !dup {
			l.index.set(e.id, entry{pack: p.num, off: uint32(l.woff) + uint32(e.off), len: uint32(e.n)})
		}
	}
	p.idxRead = l.widxSz + int64(len(recs))
	l.mu.Unlock()
	l.woff += int64(len(data))
	l.widxSz += int64(len(recs))
	return nil
}

// PackWriter appends verified sealed chunks to the cache in batches: far fewer
// files and system calls than Put. A chunk is in the cache (Has, Get, and for
// other processes and later runs) once the batch holding it was appended:
// Add appends when about 1 MiB is buffered or the last append is 50 ms ago
// (so on a slow link every chunk is appended as it arrives), Flush appends the
// rest. A PackWriter is not safe for concurrent use;
// use one per goroutine.
type PackWriter struct {
	c    *Cache
	buf  []byte
	ents []pending
	last time.Time // of the last append

	// Flushed, if set, is called with the IDs of each batch once appended.
	Flushed func(ids []ID)
}

// NewPackWriter returns a PackWriter appending to c.
func (c *Cache) NewPackWriter() *PackWriter { return &PackWriter{c: c} }

// Add buffers the sealed chunk id (copying it), appending the buffer if it is
// due. The caller has verified sealed (Keys.Open).
func (w *PackWriter) Add(ctx context.Context, id ID, sealed []byte) error {
	w.ents = append(w.ents, pending{id: id, off: len(w.buf), n: len(sealed)})
	w.buf = append(w.buf, sealed...)
	if len(w.buf) >= writerMaxBuf || time.Since(w.last) >= writerMaxWait {
		return w.Flush(ctx)
	}
	return nil
}

// Flush appends the buffered chunks to the cache.
func (w *PackWriter) Flush(ctx context.Context) error {
	if len(w.ents) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put chunks: %w", err)
	}
	if err := w.c.p.appendBatch(w.buf, w.ents); err != nil {
		return fmt.Errorf("put chunks: %w", err)
	}
	if w.Flushed != nil {
		ids := make([]ID, len(w.ents))
		for i, e := range w.ents {
			ids[i] = e.id
		}
		w.Flushed(ids)
	}
	w.buf, w.ents, w.last = w.buf[:0], w.ents[:0], time.Now()
	return nil
}

// Pending returns the number of chunks buffered and not yet appended.
func (w *PackWriter) Pending() int { return len(w.ents) }

// packFile is a pack as GC sees it.
type packFile struct {
	name   string
	size   int64 // .dat + .idx
	chunks int64
	mtime  time.Time
}

// walkPacks lists the packs, and calls stale for leftovers older than
// touchEvery (a .dat without .idx from a writer killed between the two
// creates).
func (l *packLog) walkPacks(ctx context.Context, stale func(path string, size int64) error) ([]packFile, error) {
	ents, err := os.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	var packs []packFile
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, ok := strings.CutSuffix(e.Name(), ".dat")
		if !ok || !isHex(name, 32) || !e.Type().IsRegular() {
			continue
		}
		dat, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		idx, err := os.Stat(filepath.Join(l.dir, name+".idx"))
		if err != nil {
			if !have[name+".idx"] && stale != nil && time.Since(dat.ModTime()) >= touchEvery {
				if err := stale(filepath.Join(l.dir, e.Name()), dat.Size()); err != nil {
					return nil, err
				}
			}
			continue
		}
		packs = append(packs, packFile{name: name, size: dat.Size() + idx.Size(), chunks: idx.Size() / packRecSize, mtime: dat.ModTime()})
	}
	return packs, nil
}

// removePack deletes pack pf unless it was used since GC listed it.
func (l *packLog) removePack(pf packFile) (bool, error) {
	dat := filepath.Join(l.dir, pf.name+".dat")
	if fi, err := os.Stat(dat); err != nil || !fi.ModTime().Equal(pf.mtime) {
		return false, nil
	}
	l.mu.Lock()
	if p := l.packs[pf.name]; p != nil {
		l.dropLocked(p)
	}
	l.mu.Unlock()
	l.wmu.Lock()
	if l.wname == pf.name {
		l.closeWriterLocked()
	}
	l.wmu.Unlock()
	if err := errors.Join(removeIfExists(filepath.Join(l.dir, pf.name+".idx")), removeIfExists(dat)); err != nil {
		return false, err
	}
	return true, nil
}
