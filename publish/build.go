package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// FileSet publishes the tree under Dir as <Name>/… .
type FileSet struct {
	Name, Dir string
	// Skip, if set, leaves out the regular files for which it returns true (rel is the
	// slash path below Dir), e.g. derived files the application regenerates.
	Skip func(rel string) bool
	// Public, if set, returns the public URL of a file the application already
	// serves: it is published as a remote file (the destination downloads it from
	// there and checks it against the signed hash) instead of as chunks.
	Public func(rel string) (url string, ok bool)
}

// StreamFile publishes the single file Path as Name.
type StreamFile struct {
	Name, Path string
	Class      chunkstore.Class
}

// Dump publishes the streams a database dumper writes, under Prefix/, plus a marker
// stream Prefix/dump.json ({"engine": Engine, "format": 1}) that tells the
// destination which importer the streams are for.
type Dump struct {
	Prefix string
	Engine string // "mysql" or "postgres"
	Run    func(ctx context.Context, sink dumpers.Sink) error
}

// Inputs say what a publication contains.
type Inputs struct {
	FileSets []FileSet
	Streams  []StreamFile
	Dumps    []Dump
}

// Progress is reported while building; Total is 0 while unknown.
type Progress struct {
	Phase       string
	Done, Total uint64
}

// Result summarises a build.
type Result struct {
	Streams   int                   // files, directories and dump streams
	Bytes     uint64                // plaintext bytes published
	Chunks    int                   // distinct chunks referenced
	NewChunks int64                 // distinct chunks sealed in this run, manifest included (the rest were in the store)
	Reused    int                   // files taken from the stat cache without reading them
	Splices   int                   // new chunks also stored as a splice of the chunk they replaced
	Left      int                   // files left out by a FileSet's Skip
	Remote    int                   // files published by their public URL
	Skipped   []string              // source entries left out (symlinks, devices, sockets, files deleted while publishing)
	Pruned    chunkstore.PruneStats // what the store dropped from earlier runs
	Ready     time.Time             // when the publication turned Ready (the state was saved after it)
	// StateErr is a failure to save what the next publish reuses (stat cache,
	// database chunk list). The publication is Ready and complete all the same;
	// the next publish only re-reads more and publishes fewer splices.
	StateErr error
}

// Build reads the inputs, chunks and seals what the store lacks, writes the manifest
// and makes pub Ready, then saves what the next publish reuses (a failure there is
// Result.StateErr, not an error). workers bounds the goroutines that read and seal
// (<1: 2). progress may be nil. On error pub is left as it was; the caller decides
// whether to mark it Failed.
func Build(ctx context.Context, pub *Publication, in Inputs, workers int, progress func(Progress)) (*Result, error) {
	if workers < 1 {
		workers = 2
	}
	b := &builder{
		st:       pub.state,
		sem:      make(chan struct{}, 2*workers),
		cacheOut: map[string]statEntry{},
		lastRefs: lastRefs(pub.state.cache),
		sealed:   map[chunkstore.ID]bool{},
		res:      &Result{},
		sampler:  newSampler(),
	}
	report := func(phase string) {
		done, total := b.done.Load(), b.total.Load()
		if progress != nil {
			progress(Progress{phase, done, total})
		}
		pub.progress(phase, done, total)
	}
	report("scanning")
	files, err := b.scan(in)
	if err != nil {
		return nil, err
	}
	stop, ticking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticking)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				report("reading")
			}
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers + len(in.Dumps))
	for _, d := range in.Dumps {
		g.Go(func() error { return b.dump(gctx, d) })
	}
	for i := range files {
		g.Go(func() error { return b.file(gctx, &files[i]) })
	}
	err = g.Wait()
	close(stop)
	<-ticking // no progress report may follow the Ready root
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !b.vanished[f.Path] {
			b.streams = append(b.streams, f)
		}
	}
	b.keepSamples()
	if err := b.dictStream(ctx); err != nil {
		return nil, err
	}
	report("writing manifest")
	root, packs, err := b.finish(ctx)
	if err != nil {
		return nil, err
	}
	if err := pub.ready(root, packs); err != nil {
		return nil, err
	}
	b.res.Ready = time.Now()
	if err := b.st.saveCache(b.cacheOut); err != nil {
		b.res.StateErr = fmt.Errorf("save stat cache: %w", err)
	}
	b.dbChunks.carry(b.st.bases, b.streams)
	if err := b.st.saveBases(&b.dbChunks); err != nil && b.res.StateErr == nil {
		b.res.StateErr = fmt.Errorf("save database chunk lists: %w", err)
	}
	for _, s := range b.streams {
		if !reserved(s.Path) {
			b.res.Streams++
		}
	}
	return b.res, nil
}

type builder struct {
	st          *State
	sem         chan struct{} // bounds the chunks being sealed at once: 2 per worker (measured: CPU use 150 → 177 % on 2 cores, with the pools)
	done, total atomic.Uint64

	sources  map[string]string // manifest path → source file
	mu       sync.Mutex
	streams  []manifest.Stream
	cacheOut map[string]statEntry
	lastRefs map[string][]manifest.Ref // published path → its chunks in the last run (from the stat cache)
	sealed   map[chunkstore.ID]bool    // chunks put in this run (guarded by mu)
	variants []manifest.Variant        // splices put in this run (guarded by mu)
	dbChunks baseIndex                 // this run's database chunks, the next run's bases
	vanished map[string]bool           // files deleted between scan and read (guarded by mu)
	res      *Result
	sampler  *sampler // ClassDB chunks, while the store has no dictionary
}

// scan lists every entry to publish, in manifest order, with file sources in Hash's
// place held by the path (resolved by file()).
func (b *builder) scan(in Inputs) ([]manifest.Stream, error) {
	var out []manifest.Stream
	seen := map[string]bool{}
	add := func(s manifest.Stream) error {
		if err := manifest.ValidPath(s.Path); err != nil {
			return fmt.Errorf("publish %q: %w", s.Path, err)
		}
		if reserved(s.Path) {
			return fmt.Errorf("publish %q: %w", s.Path, ErrReservedName)
		}
		if seen[s.Path] {
			return fmt.Errorf("publish %q: two inputs have this name", s.Path)
		}
		seen[s.Path] = true
		out = append(out, s)
		return nil
	}
	sources := map[string]string{}
	for _, sf := range in.Streams {
		fi, err := os.Stat(sf.Path)
		if err != nil {
			return nil, fmt.Errorf("publish stream %s: %w", sf.Name, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("publish stream %s: %s is not a regular file", sf.Name, sf.Path)
		}
		if err := add(fileStream(sf.Name, fi, sf.Class)); err != nil {
			return nil, err
		}
		sources[sf.Name] = sf.Path
		b.total.Add(uint64(fi.Size()))
	}
	for _, fset := range in.FileSets {
		err := filepath.WalkDir(fset.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(fset.Dir, p)
			if err != nil {
				return err
			}
			name := path.Join(fset.Name, filepath.ToSlash(rel))
			fi, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				return add(manifest.Stream{Path: name, Kind: manifest.KindDir, Class: chunkstore.ClassFile, Mode: uint32(fi.Mode().Perm()), MTime: fi.ModTime().UnixNano()})
			case fi.Mode().IsRegular() && fset.Skip != nil && fset.Skip(filepath.ToSlash(rel)):
				b.res.Left++
				return nil
			case fi.Mode().IsRegular():
				sources[name] = p
				b.total.Add(uint64(fi.Size()))
				s := fileStream(name, fi, chunkstore.ClassFile)
				if fset.Public != nil {
					if u, ok := fset.Public(filepath.ToSlash(rel)); ok && manifest.ValidURL(u) == nil {
						s.Kind, s.URL = manifest.KindRemote, u
					}
				}
				return add(s)
			default:
				b.res.Skipped = append(b.res.Skipped, p)
				return nil
			}
		})
		if err != nil {
			return nil, fmt.Errorf("publish files %s: %w", fset.Name, err)
		}
	}
	for _, d := range in.Dumps {
		if reserved(d.Prefix) {
			return nil, fmt.Errorf("publish database as %q: %w", d.Prefix, ErrReservedName)
		}
		if err := manifest.ValidPath(d.Prefix); err != nil || seen[d.Prefix] {
			return nil, fmt.Errorf("publish database as %q: name is invalid or taken", d.Prefix)
		}
		seen[d.Prefix] = true
	}
	b.sources = sources
	return out, nil
}

func fileStream(name string, fi fs.FileInfo, class chunkstore.Class) manifest.Stream {
	return manifest.Stream{Path: name, Kind: manifest.KindFile, Class: class, Mode: uint32(fi.Mode().Perm()), MTime: fi.ModTime().UnixNano(), Size: uint64(fi.Size())}
}

// file fills in s (a KindFile from scan) from the stat cache or by reading the file.
func (b *builder) file(ctx context.Context, s *manifest.Stream) error {
	if s.Kind == manifest.KindRemote {
		return b.remote(s)
	}
	if s.Kind != manifest.KindFile {
		return nil
	}
	src := b.sources[s.Path]
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return b.vanish(s, src) // deleted since the scan: a live upload directory
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	key := fmt.Sprintf("%d:%s", s.Class, src)
	ent := statOf(fi, s.Class)
	if old, ok := b.st.cache[key]; ok && old.sameFile(ent) && b.haveAll(old.Refs) {
		s.Hash, s.Chunks, s.Size, s.MTime = old.Hash, old.Refs, uint64(old.Size), old.MTime
		b.done.Add(uint64(old.Size))
		old.Path = s.Path
		b.mu.Lock()
		b.cacheOut[key] = old
		b.res.Reused++
		b.res.Bytes += uint64(old.Size)
		b.mu.Unlock()
		return nil
	}
	// The file's last version, whose chunks a changed chunk may be a splice of:
	// what was published at the same path (the source may be another directory,
	// e.g. a new release's), else what was read from the same source file.
	prev, ok := b.lastRefs[s.Path]
	if !ok {
		prev = b.st.cache[key].Refs
	}
	refs, hash, n, err := b.stream(ctx, f, s.Class, s.Path, prev)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	s.Hash, s.Chunks, s.Size = hash, refs, n
	b.mu.Lock()
	b.res.Bytes += n
	if after, err := os.Stat(src); err == nil && statOf(after, s.Class).sameFile(ent) && n == uint64(ent.Size) {
		ent.Hash, ent.Refs, ent.Path = hash, refs, s.Path
		b.cacheOut[key] = ent
	} // else: the file changed while we read it; publish what we read, cache nothing
	b.mu.Unlock()
	return nil
}

// vanish leaves out a file that was deleted after the scan listed it.
func (b *builder) vanish(s *manifest.Stream, src string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.vanished == nil {
		b.vanished = map[string]bool{}
	}
	b.vanished[s.Path] = true
	b.res.Skipped = append(b.res.Skipped, src)
	return nil
}

// remote hashes a file published by URL (it is read, but neither chunked nor sealed).
func (b *builder) remote(s *manifest.Stream) error {
	src := b.sources[s.Path]
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return b.vanish(s, src)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer f.Close()
	h := b.st.keys.StreamHash()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	copy(s.Hash[:], h.Sum(nil))
	s.Size = uint64(n)
	b.done.Add(uint64(n))
	b.mu.Lock()
	b.res.Bytes += uint64(n)
	b.res.Remote++
	b.mu.Unlock()
	return nil
}

func statOf(fi fs.FileInfo, class chunkstore.Class) statEntry {
	e := statEntry{Class: class, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Ino, e.Dev = uint64(st.Ino), uint64(st.Dev)
		e.CTime = ctime(st)
	}
	return e
}

func (e statEntry) sameFile(o statEntry) bool {
	return e.Class == o.Class && e.Size == o.Size && e.MTime == o.MTime && e.CTime == o.CTime && e.Ino == o.Ino && e.Dev == o.Dev
}

func (b *builder) haveAll(refs []manifest.Ref) bool {
	for _, r := range refs {
		if _, ok := b.st.packs.Locate(r.ID); !ok {
			return false
		}
	}
	return true
}

// stream chunks r, sealing and storing the chunks the store lacks. Chunks are sealed
// in parallel (b.sem bounds the sealing goroutines) but stored in stream order, so
// a stream's new chunks lie in order in the packs: a destination fetches them with
// few range requests and writes them out in long runs. At most window chunks of
// the stream are read but not yet stored, which bounds memory. ClassDB chunks are
// sealed with the store's dictionary, or sampled to train one.
//
// Splices: a new chunk that is an edit of a chunk of the last publish is also
// stored as a splice of that chunk, which a destination that synced last time
// downloads instead (bench/RESULTS.md, "Delta chunks": an edited row then costs
// ≈ 300 bytes, not a whole chunk). For a database stream (ClassDB, path not
// empty) the base is found by the chunk's first or last bytes; for a file, prev
// is its last version's chunk list and the base is the chunk at the same offset.
func (b *builder) stream(ctx context.Context, r io.Reader, class chunkstore.Class, path string, prev []manifest.Ref) ([]manifest.Ref, chunkstore.ID, uint64, error) {
	h := b.st.keys.StreamHash()
	prevAt := prevChunks(prev)
	// A file rewritten as a whole would open every old chunk for nothing: after
	// fileMisses tries in a row without a splice, a stream tries no more.
	var misses atomic.Int32
	var dict chunkstore.DictID
	sample := false
	db := class == chunkstore.ClassDB && path != ""
	if class == chunkstore.ClassDB {
		dict = b.st.dict
		sample = dict == (chunkstore.DictID{})
	}
	var (
		refs    []manifest.Ref
		n       uint64
		mu      sync.Mutex
		wg      sync.WaitGroup
		ferr    error
		window  = make(chan struct{}, 4*cap(b.sem))
		turn    = make(chan struct{}) // closed when the previous chunk is stored
		splices spliceBatch           // used in turn
	)
	close(turn)
	fail := func(err error) {
		mu.Lock()
		if ferr == nil {
			ferr = err
		}
		mu.Unlock()
	}
	// The cuts of a long file are found by as many goroutines as seal: the
	// chunker was 31 % of a daily publish's CPU, in one goroutine per stream
	// (measured: a daily publish of the bench's 315 MB dump 14 % sooner). A
	// database's table streams (pipes) already run side by side; splitting them
	// in parallel made no publish faster and cost 11–16 MiB more memory.
	splitters := cap(b.sem) / 2
	if _, pipe := r.(*io.PipeReader); pipe {
		splitters = 1
	}
	err := b.st.splitter.SplitParallel(ctx, r, class, splitters, func(c []byte) error {
		h.Write(c)
		n += uint64(len(c))
		b.done.Add(uint64(len(c)))
		mu.Lock()
		i := len(refs)
		refs = append(refs, manifest.Ref{Len: uint32(len(c))})
		err := ferr
		mu.Unlock()
		if err != nil {
			return err
		}
		for _, sem := range []chan struct{}{window, b.sem} {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		buf := getBuf()
		data := append((*buf)[:0], c...)
		if sample {
			b.sampler.add(data)
		}
		var cands []chunkstore.ID
		if !db && misses.Load() < fileMisses {
			cands = prevAt(n - uint64(len(c)))
		}
		mine, next := turn, make(chan struct{})
		turn = next
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-window }()
			defer close(next)
			id := b.st.keys.ID(data)
			if db {
				b.dbChunks.add(id, data)
			}
			var out, sout *[]byte
			var sealed, splice []byte
			var base chunkstore.ID
			if _, ok := b.st.packs.Locate(id); !ok {
				out = getBuf()
				sealed = b.st.keys.SealWith((*out)[:0], id, data, dict)
				if db {
					cands = b.st.bases.candidates(data)
				}
				if len(cands) > 0 {
					sout = getBuf()
					*sout, splice, base = b.splice((*sout)[:0], id, data, dict, len(sealed), cands)
					if splice == nil {
						misses.Add(1)
					} else {
						misses.Store(0)
					}
				}
			}
			putBuf(buf, data)
			<-b.sem
			<-mine
			mu.Lock()
			refs[i].ID = id
			mu.Unlock()
			if out == nil {
				return
			}
			var err error
			if splice == nil {
				err = b.st.packs.Put(ctx, id, sealed) // copies sealed
			} else {
				// A chunk with a splice is stored later, in a run of such chunks
				// after a run of their splices: a destination that synced last
				// time downloads the splices and skips those chunks, and one
				// that did not the other way round, both in long ranges
				// (measured on the bench's day 2: interleaved, 1,699 requests
				// instead of 18).
				splices.add(manifest.Variant{ID: id, Base: base, Obj: b.st.keys.SpliceID(id, base)}, splice, sealed)
				if splices.size >= spliceRun {
					err = b.putSplices(ctx, &splices)
				}
			}
			putBuf(out, sealed)
			if sout != nil {
				putBuf(sout, *sout)
			}
			if err != nil {
				fail(fmt.Errorf("store chunk: %w", err))
				return
			}
			b.mu.Lock()
			if !b.sealed[id] { // the same new chunk may be sealed twice at once
				b.sealed[id] = true
				b.res.NewChunks++
			}
			b.mu.Unlock()
		}()
		return nil
	})
	wg.Wait()
	if err == nil {
		err = ferr
	}
	if err == nil {
		err = b.putSplices(ctx, &splices)
	}
	var sum chunkstore.ID
	copy(sum[:], h.Sum(nil))
	return refs, sum, n, err
}

// spliceRun is the most bytes of splices and their chunks a stream holds back
// before storing them.
const spliceRun = 4 << 20

// spliceBatch holds a stream's splices and their chunks until they are stored
// together.
type spliceBatch struct {
	vs            []manifest.Variant
	splice, chunk [][]byte // sealed
	size          int
}

func (sb *spliceBatch) add(v manifest.Variant, splice, chunk []byte) {
	sb.vs = append(sb.vs, v)
	sb.splice = append(sb.splice, bytes.Clone(splice))
	sb.chunk = append(sb.chunk, bytes.Clone(chunk))
	sb.size += len(splice) + len(chunk)
}

// putSplices stores the batch, splices first, and records its variants.
func (b *builder) putSplices(ctx context.Context, sb *spliceBatch) error {
	for i, v := range sb.vs {
		if err := b.st.packs.Put(ctx, v.Obj, sb.splice[i]); err != nil {
			return err
		}
	}
	for i, v := range sb.vs {
		if err := b.st.packs.Put(ctx, v.ID, sb.chunk[i]); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.variants = append(b.variants, sb.vs...)
	b.mu.Unlock()
	*sb = spliceBatch{}
	return nil
}

// liveVariants returns the splices put in this run of chunks the publication
// uses, sorted by chunk ID, one per chunk.
func (b *builder) liveVariants(ids map[chunkstore.ID]bool) []manifest.Variant {
	vs := slices.DeleteFunc(b.variants, func(v manifest.Variant) bool { return !ids[v.ID] })
	slices.SortFunc(vs, func(x, y manifest.Variant) int { return bytes.Compare(x.ID[:], y.ID[:]) })
	vs = slices.CompactFunc(vs, func(x, y manifest.Variant) bool { return x.ID == y.ID })
	b.res.Splices = len(vs)
	return vs
}

// splice appends to dst the sealed splice of chunk id (plaintext plain) against
// the first of cands (chunks of the last publish: for a database chunk those
// that share its first or last bytes, see baseIndex; for a file's chunk the one
// at the same offset of the file's last version) that gives one, and returns it
// and that base; a nil splice when none does, it would not be smaller than
// sealedLen, or the base cannot be read. buf is dst's memory, grown or not, for
// the caller to reuse: a buffer given back to the pool empty would make every
// later chunk allocate (measured: a publish 16 % slower).
func (b *builder) splice(dst []byte, id chunkstore.ID, plain []byte, dict chunkstore.DictID, sealedLen int, cands []chunkstore.ID) (buf, splice []byte, base chunkstore.ID) {
	buf = dst
	for _, cand := range cands {
		if cand == id {
			continue
		}
		sealedBase, err := b.st.packs.Get(context.Background(), cand)
		if err != nil {
			continue // pruned since: the last publish used it, this store may not have it
		}
		bp := getBuf()
		basePlain, err := b.st.keys.Open((*bp)[:0], cand, sealedBase)
		if err != nil {
			bufs.Put(bp)
			continue
		}
		sp, ok := b.st.keys.SealSplice(dst, id, plain, cand, basePlain, dict)
		putBuf(bp, basePlain)
		if cap(sp) > cap(buf) {
			buf = sp[:0]
		}
		if ok && len(sp) < sealedLen {
			return buf, sp, cand
		}
	}
	return buf, nil, chunkstore.ID{}
}

// bufs recycles chunk and sealed-chunk buffers (*[]byte): a cold publish of a
// 300 MB dump otherwise allocates twice that for the collector to clear.
var bufs sync.Pool

func getBuf() *[]byte {
	if b, ok := bufs.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

// putBuf returns b, whose contents grew to used, to the pool.
func putBuf(b *[]byte, used []byte) {
	*b = used[:0]
	bufs.Put(b)
}

// finish writes the manifest as chunks, commits the pack store and returns the root
// (without its state fields) and the views of the packs the publication exposes:
// the chunks of its streams, the splices of its variants and the manifest's chunks.
func (b *builder) finish(ctx context.Context) (manifest.Root, map[string]*PackView, error) {
	var root manifest.Root
	sort.Slice(b.streams, func(i, j int) bool { return b.streams[i].Path < b.streams[j].Path })
	ids := map[chunkstore.ID]bool{}
	for _, s := range b.streams {
		for _, r := range s.Chunks {
			ids[r.ID] = true
		}
	}
	b.res.Chunks = len(ids)
	variants := b.liveVariants(ids)
	for _, v := range variants {
		ids[v.Obj] = true
	}
	// Drop what no stream uses any more (earlier runs' chunks), so the store and the
	// pack lists in the manifest do not grow with history; this also commits, so the
	// data packs are final: the manifest lists them completely.
	pr, err := b.st.packs.Prune(ctx, func(id chunkstore.ID) bool { return ids[id] })
	if err != nil {
		return root, nil, err
	}
	b.res.Pruned = pr
	exposed := exposure{}
	for id := range ids {
		loc, ok := b.st.packs.Locate(id)
		if !ok {
			return root, nil, fmt.Errorf("write manifest: chunk %s missing from store", id)
		}
		exposed.add(loc)
	}
	m := &manifest.Manifest{Created: time.Now().UnixNano(), Streams: b.streams, Variants: variants}
	for _, c := range []chunkstore.Class{chunkstore.ClassFile, chunkstore.ClassDB, chunkstore.ClassMeta} {
		p := c.Params()
		m.Chunking = append(m.Chunking, manifest.ClassParams{Class: c, Min: uint32(p.Min), Max: uint32(p.Max), AvgBits: uint8(p.AvgBits)})
	}
	contents, err := b.st.packs.Contents()
	if err != nil {
		return root, nil, fmt.Errorf("write manifest: %w", err)
	}
	for name := range exposed {
		entries, ok := contents[name]
		if !ok {
			return root, nil, fmt.Errorf("write manifest: pack %s missing from store", name)
		}
		pk := manifest.Pack{Name: name}
		for _, e := range entries {
			id := e.ID
			if !ids[id] {
				id = b.st.maskID(id) // its bytes read as zeros; its keyed ID would confirm a guess
			}
			pk.Chunks = append(pk.Chunks, manifest.PackChunk{ID: id, SealedLen: e.Len})
		}
		m.Packs = append(m.Packs, pk)
	}
	sort.Slice(m.Packs, func(i, j int) bool { return m.Packs[i].Name < m.Packs[j].Name })
	enc, err := m.Encode()
	if err != nil {
		return root, nil, fmt.Errorf("encode manifest: %w", err)
	}
	refs, hash, n, err := b.stream(ctx, bytes.NewReader(enc), chunkstore.ClassMeta, "", nil)
	if err != nil {
		return root, nil, fmt.Errorf("store manifest: %w", err)
	}
	if err := b.st.packs.Commit(); err != nil {
		return root, nil, fmt.Errorf("commit packs: %w", err)
	}
	root.ManifestSize, root.ManifestHash = n, hash
	for _, r := range refs {
		loc, ok := b.st.packs.Locate(r.ID)
		if !ok {
			return root, nil, fmt.Errorf("write manifest: chunk %s missing from store", r.ID)
		}
		root.Manifest = append(root.Manifest, manifest.Loc{ID: r.ID, Len: r.Len, Pack: loc.Pack, Off: loc.Off, SealedLen: loc.Len})
		exposed.add(loc)
	}
	views, err := exposed.views(b.st.packs)
	if err != nil {
		return root, nil, fmt.Errorf("write manifest: %w", err)
	}
	return root, views, nil
}

// lastRefs indexes the stat cache of the last run by published path.
func lastRefs(cache map[string]statEntry) map[string][]manifest.Ref {
	m := make(map[string][]manifest.Ref, len(cache))
	for _, e := range cache {
		if e.Path != "" {
			m[e.Path] = e.Refs
		}
	}
	return m
}

// fileMisses is how many chunks of a changed file in a row may find no splice
// before the rest of the file is not tried: an edit in place or an append
// splices its first new chunk, a file written anew none.
const fileMisses = 4

// prevChunks returns a lookup of the chunk of prev (a file's chunk list) that
// holds offset off: the base to try for a changed chunk starting there. An edit
// in place, or an append, keeps the chunks before it, so the new chunk starts
// where the old one did.
func prevChunks(prev []manifest.Ref) func(off uint64) []chunkstore.ID {
	ends := make([]uint64, len(prev))
	var end uint64
	for i, r := range prev {
		end += uint64(r.Len)
		ends[i] = end
	}
	return func(off uint64) []chunkstore.ID {
		i, _ := slices.BinarySearch(ends, off+1)
		if i >= len(prev) {
			return nil
		}
		return []chunkstore.ID{prev[i].ID}
	}
}
