package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"synco/chunkstore"
	"synco/manifest"
)

// stream chunks r, sealing and storing the chunks the store lacks, and returns
// its chunk list, keyed hash and size. The chunks go through a sealer: sealed
// in parallel, stored in stream order. ClassDB chunks are sealed with the
// store's dictionary, or sampled to train one.
//
// Splices: a new chunk that is an edit of a chunk of the last publish is also
// stored as a splice of that chunk, which a destination that synced last time
// downloads instead (bench/RESULTS.md, "Delta chunks": an edited row then costs
// ≈ 300 bytes, not a whole chunk). For a database stream (ClassDB, path not
// empty) the base is found by the chunk's first or last bytes; for a file, prev
// is its last version's chunk list and the base is the chunk at the same offset.
func (b *builder) stream(ctx context.Context, r io.Reader, class chunkstore.Class, path string, prev []manifest.Ref) ([]manifest.Ref, chunkstore.ID, uint64, error) {
	h := b.st.keys.StreamHash()
	s := b.newSealer(ctx, class, path != "", prev)
	var n uint64
	// The cuts of a long file are found by as many goroutines as seal: the
	// chunker was 31 % of a daily publish's CPU, in one goroutine per stream
	// (measured: a daily publish of the bench's 315 MB dump 14 % sooner). A
	// database's table streams (pipes) already run side by side; splitting them
	// in parallel made no publish faster and cost 11–16 MiB more memory.
	splitters := cap(b.sem) / 2
	if _, pipe := r.(*io.PipeReader); pipe {
		splitters = 1
	}
	var err error
	if last := b.lastDB[path]; class == chunkstore.ClassDB && len(last) > 1 {
		// A database stream repeats most of its last version: its chunks are
		// proven by their IDs instead of found by the chunker (SplitKnown). A
		// file's are found in parallel (SplitParallel), and most files are not
		// read again at all.
		err = b.st.splitter.SplitKnown(ctx, r, class, &refList{last}, b.st.keys, func(c []byte, id chunkstore.ID) error {
			h.Write(c)
			n += uint64(len(c))
			b.done.Add(uint64(len(c)))
			return s.add(c, n-uint64(len(c)), &id)
		})
	} else {
		err = b.st.splitter.SplitParallel(ctx, r, class, splitters, func(c []byte) error {
			h.Write(c)
			n += uint64(len(c))
			b.done.Add(uint64(len(c)))
			return s.add(c, n-uint64(len(c)), nil)
		})
	}
	refs, serr := s.close(err != nil)
	if err == nil {
		err = serr
	}
	var sum chunkstore.ID
	copy(sum[:], h.Sum(nil))
	return refs, sum, n, err
}

// refList is a stream's chunk list as chunkstore.KnownChunks.
type refList struct{ refs []manifest.Ref }

func (l *refList) Len() int                         { return len(l.refs) }
func (l *refList) At(i int) (chunkstore.ID, uint32) { return l.refs[i].ID, l.refs[i].Len }

// A sealer seals the chunks of one stream in parallel (b.sem bounds the
// sealing goroutines of all streams) and stores them in stream order, so a
// stream's new chunks lie in order in the packs: a destination fetches them
// with few range requests and writes them out in long runs. The order is a
// channel of result channels, one per chunk in stream order, that one storer
// goroutine drains; its capacity (the window) bounds the chunks of the stream
// read but not yet stored, and so memory.
type sealer struct {
	b    *builder
	ctx  context.Context
	db   bool              // a database stream: bases by content, chunks indexed for the next run
	dict chunkstore.DictID // to seal with
	// gated: a database stream of a store's first publish, whose chunks are held
	// (held) until the gate has trained the dictionary (dictGate).
	gated  bool
	held   []heldChunk
	prevAt func(off uint64) []chunkstore.ID
	// A file rewritten as a whole would open every old chunk for nothing: after
	// fileMisses tries in a row without a splice, a stream tries no more.
	misses atomic.Int32

	order  chan chan sealedChunk // in stream order
	stored chan struct{}         // closed when the storer is done

	mu   sync.Mutex
	refs []manifest.Ref // IDs filled in as stored
	err  error          // the first failure to store

	splices spliceBatch // the storer's
}

// sealedChunk is a chunk of a stream, sealed (or found in the store).
type sealedChunk struct {
	i      int // its index in the stream
	id     chunkstore.ID
	out    *[]byte // sealed's buffer; nil: the store has the chunk
	sealed []byte
	sout   *[]byte // splice's buffer, if any
	splice []byte  // nil: none
	base   chunkstore.ID
}

func (b *builder) newSealer(ctx context.Context, class chunkstore.Class, named bool, prev []manifest.Ref) *sealer {
	s := &sealer{
		b: b, ctx: ctx, prevAt: prevChunks(prev),
		db:     class == chunkstore.ClassDB && named,
		order:  make(chan chan sealedChunk, 4*cap(b.sem)-1), // and one the storer waits for
		stored: make(chan struct{}),
	}
	if class == chunkstore.ClassDB {
		// b.st.dict is read only once the gate is open: its training writes it.
		if s.gated = b.gate != nil && b.gate.join(); !s.gated {
			s.dict = b.st.dict
		}
	}
	go s.store()
	return s
}

// heldChunk is a chunk of a gated stream (a copy in buf), at offset off.
type heldChunk struct {
	buf  *[]byte
	data []byte
	off  uint64
}

// add seals chunk c, at offset off of the stream, in a goroutine of its own
// and queues it to be stored; a gated stream's chunk may be held until the
// dictionary is trained. c is copied. id, if not nil, is c's ID.
func (s *sealer) add(c []byte, off uint64, id *chunkstore.ID) error {
	if s.gated {
		open, err := s.b.gate.hold(s.ctx, c)
		if err != nil {
			return err
		}
		if !open {
			buf := getBuf()
			s.held = append(s.held, heldChunk{buf, append((*buf)[:0], c...), off})
			return nil
		}
		if err := s.ungate(); err != nil {
			return err
		}
	}
	return s.queue(c, off, id)
}

// ungate seals the held chunks with the dictionary the gate has trained, if any.
func (s *sealer) ungate() error {
	s.gated, s.dict = false, s.b.st.dict
	held := s.held
	s.held = nil
	for i, h := range held {
		err := s.queue(h.data, h.off, nil)
		putBuf(h.buf, h.data)
		if err != nil {
			dropHeld(held[i+1:])
			return err
		}
	}
	return nil
}

func dropHeld(held []heldChunk) {
	for _, h := range held {
		putBuf(h.buf, h.data)
	}
}

// queue seals c, at offset off, in a goroutine of its own and queues it to be
// stored. c is copied. id, if not nil, is c's ID: if the store has the chunk,
// it is only recorded, here (in a warm publish most chunks are: a goroutine and
// a copy each cost more than the lookup).
func (s *sealer) queue(c []byte, off uint64, id *chunkstore.ID) error {
	ref := manifest.Ref{Len: uint32(len(c))}
	stored := false
	if id != nil {
		if _, stored = s.b.st.packs.Locate(*id); stored {
			ref.ID = *id
			if s.db {
				s.b.dbChunks.add(*id, c)
			}
		}
	}
	s.mu.Lock()
	i := len(s.refs)
	s.refs = append(s.refs, ref)
	err := s.err
	s.mu.Unlock()
	if err != nil || stored {
		return err
	}
	res := make(chan sealedChunk, 1)
	select {
	case s.order <- res: // waits while the window is full
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	select {
	case s.b.sem <- struct{}{}:
	case <-s.ctx.Done():
		res <- sealedChunk{i: i} // the storer is waiting for it; ctx's error ends the stream
		return s.ctx.Err()
	}
	buf := getBuf()
	data := append((*buf)[:0], c...)
	var cands []chunkstore.ID
	if !s.db && s.misses.Load() < fileMisses {
		cands = s.prevAt(off)
	}
	go func() {
		res <- s.seal(i, buf, data, cands, id)
		<-s.b.sem
	}()
	return nil
}

// seal seals data (in buf) unless the store has it, and a splice of it
// against one of cands (database streams: the bases of the chunk's content).
// id, if not nil, is data's ID.
func (s *sealer) seal(i int, buf *[]byte, data []byte, cands []chunkstore.ID, id *chunkstore.ID) sealedChunk {
	b := s.b
	r := sealedChunk{i: i}
	if id != nil {
		r.id = *id
	} else {
		r.id = b.st.keys.ID(data)
	}
	if s.db {
		b.dbChunks.add(r.id, data)
	}
	if _, ok := b.st.packs.Locate(r.id); !ok {
		r.out = getBuf()
		r.sealed = b.st.keys.SealWith((*r.out)[:0], r.id, data, s.dict)
		if s.db {
			cands = b.st.bases.candidates(data)
		}
		if len(cands) > 0 {
			r.sout = getBuf()
			*r.sout, r.splice, r.base = b.splice((*r.sout)[:0], r.id, data, s.dict, len(r.sealed), cands)
			if r.splice == nil {
				s.misses.Add(1)
			} else {
				s.misses.Store(0)
			}
		}
	}
	putBuf(buf, data)
	return r
}

// store stores the sealed chunks in stream order; after a failure it only
// drains them.
func (s *sealer) store() {
	defer close(s.stored)
	for res := range s.order {
		r := <-res
		s.mu.Lock()
		s.refs[r.i].ID = r.id
		failed := s.err != nil
		s.mu.Unlock()
		if r.out == nil {
			continue
		}
		var err error
		if !failed {
			err = s.put(r)
		}
		putBuf(r.out, r.sealed)
		if r.sout != nil {
			putBuf(r.sout, *r.sout)
		}
		if err != nil {
			s.fail(fmt.Errorf("store chunk: %w", err))
		}
	}
}

func (s *sealer) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// put stores a sealed chunk that the store lacks, or queues it with its splice.
func (s *sealer) put(r sealedChunk) error {
	b := s.b
	if r.splice == nil {
		added, err := b.st.packs.PutNew(s.ctx, r.id, r.sealed) // copies sealed
		if err != nil {
			return err
		}
		if added { // the same new chunk may be sealed twice at once
			b.newChunks.Add(1)
		}
	} else {
		// A chunk with a splice goes to packs of its own (PutAside), its splice
		// with the other new chunks in runs: a destination that synced last
		// time downloads the splices and skips those chunks, and one that did
		// not the other way round, both in long ranges (measured on the bench's
		// day 2: interleaved, 1,699 requests instead of 18). The packs every
		// destination wants whole are then served while the build goes on
		// (Publication.serveEarly), the aside ones only at Ready.
		s.splices.add(manifest.Variant{ID: r.id, Base: r.base, Obj: b.st.keys.SpliceID(r.id, r.base)}, r.splice, r.sealed)
		if s.splices.size >= spliceRun {
			if err := b.putSplices(s.ctx, &s.splices); err != nil {
				return err
			}
		}
	}
	return nil
}

// close waits until every chunk added is stored, stores the splices held
// back, and returns the stream's chunk list and the first failure. A gated
// stream first waits for the gate, unless it failed (failed: its chunks are
// dropped).
func (s *sealer) close(failed bool) ([]manifest.Ref, error) {
	if s.gated {
		var err error
		if failed {
			dropHeld(s.held)
			s.held, s.gated = nil, false
			err = s.b.gate.leave()
		} else if err = s.b.gate.wait(s.ctx); err == nil {
			err = s.ungate()
		} else {
			dropHeld(s.held)
			s.held = nil
		}
		if err != nil {
			s.fail(err)
		}
	}
	close(s.order)
	<-s.stored
	err := s.err
	if err == nil {
		err = s.b.putSplices(s.ctx, &s.splices)
	}
	return s.refs, err
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

// putSplices stores the batch, the splices with the other new chunks and the
// chunks aside, and records its variants.
func (b *builder) putSplices(ctx context.Context, sb *spliceBatch) error {
	for i, v := range sb.vs {
		if err := b.st.packs.Put(ctx, v.Obj, sb.splice[i]); err != nil {
			return err
		}
	}
	for i, v := range sb.vs {
		added, err := b.st.packs.PutAside(ctx, v.ID, sb.chunk[i])
		if err != nil {
			return err
		}
		if added {
			b.newChunks.Add(1)
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
func (b *builder) liveVariants(used *idSet) []manifest.Variant {
	vs := slices.DeleteFunc(b.variants, func(v manifest.Variant) bool { return !used.has(v.ID) })
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
