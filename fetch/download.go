package fetch

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/manifest"
)

// Coalescing: neighbouring missing chunks of a pack are fetched with one range request
// when the gap between them is at most maxGap bytes and all gaps of the request stay
// below 1/wasteDiv of the bytes it is for (gaps are downloaded and thrown away), and
// the request stays below its size limit (maxSpan, less to use --parallel).
const (
	maxGap   = 64 << 10 // largest hole a request may span…
	wasteDiv = 8        // …while the holes stay ≤ 1/8 of the bytes wanted
	maxSpan  = 8 << 20
	minSpan  = 4 << 20
)

// span is one range request: chunks of one pack in offset order (indexes into t).
type span struct {
	t      *locTable
	pack   uint32
	chunks []int32
}

func (s span) name() string   { return s.t.packs[s.pack] }
func (s span) at(j int) *cloc { return &s.t.ls[s.chunks[j]] }
func (s span) off() int64     { return int64(s.at(0).off) }
func (s span) end() int64 {
	l := s.at(len(s.chunks) - 1)
	return int64(l.off) + int64(l.sealedLen)
}

// planSpans groups the chunks into coalesced range requests of at most maxSpan.
func planSpans(locs []manifest.Loc) []span {
	t := tableOf(locs)
	return planSpansMax(t, t.all(), maxSpan)
}

// spanLimit is the span size that lets parallel requests share total bytes:
// total/parallel, but at least minSpan (few requests) and at most maxSpan.
func spanLimit(total int64, parallel int) int64 {
	return min(max((total+int64(parallel)-1)/int64(parallel), minSpan), maxSpan)
}

// planSpansMax groups the chunks idx of t into coalesced range requests of at
// most limit bytes (a single larger chunk gets a span of its own). The spans
// share one sorted copy of idx.
func planSpansMax(t *locTable, idx []int32, limit int64) []span {
	// Packs in order of first need: what is needed first is fetched first.
	rank := make([]int32, len(t.packs))
	for i := range rank {
		rank[i] = -1
	}
	n := int32(0)
	for _, i := range idx {
		if p := t.ls[i].pack; rank[p] < 0 {
			rank[p] = n
			n++
		}
	}
	sorted := slices.Clone(idx)
	slices.SortFunc(sorted, func(a, b int32) int {
		la, lb := &t.ls[a], &t.ls[b]
		return cmp.Or(cmp.Compare(rank[la.pack], rank[lb.pack]), cmp.Compare(la.off, lb.off))
	})
	var spans []span
	start := 0
	var wanted, waste int64
	for j, i := range sorted {
		l := &t.ls[i]
		if j > start {
			cur := span{t, l.pack, sorted[start:j]}
			// A chunk an earlier publish left in the pack (and a later one no
			// longer uses) makes a hole: spanning a few small ones costs fewer
			// bytes than the round trips of separate requests over a real network.
			gap := int64(l.off) - cur.end()
			if t.ls[sorted[j-1]].pack != l.pack || gap < 0 || gap > maxGap || (waste+gap)*wasteDiv > wanted+int64(l.sealedLen) ||
				int64(l.off)+int64(l.sealedLen)-cur.off() > limit {
				spans = append(spans, span{t, t.ls[sorted[start]].pack, sorted[start:j:j]})
				start, wanted, waste = j, 0, 0
			} else {
				waste += gap
			}
		}
		wanted += int64(l.sealedLen)
	}
	if start < len(sorted) {
		spans = append(spans, span{t, t.ls[sorted[start]].pack, sorted[start:]})
	}
	return spans
}

// ensure makes the chunks idx of t present and verified in the cache,
// downloading the missing ones in parallel. Duplicate indexes are fetched once.
func (f *fetcher) ensure(ctx context.Context, t *locTable, idx []int32, phase string) error {
	return f.ensureInto(ctx, t, idx, phase, nil)
}

// spliceFor returns the variant of chunk id to download instead of it, a
// splice of a chunk the cache holds, and the index of that splice in f.locs.
func (f *fetcher) spliceFor(ctx context.Context, id chunkstore.ID) (manifest.Variant, int32, bool) {
	k, ok := slices.BinarySearchFunc(f.variants, id, func(v manifest.Variant, id chunkstore.ID) int { return bytes.Compare(v.ID[:], id[:]) })
	if !ok {
		return manifest.Variant{}, 0, false
	}
	v := f.variants[k]
	obj, ok := f.locs.find(v.Obj)
	if !ok {
		return v, 0, false
	}
	has, err := f.opt.Cache.Has(ctx, v.Base)
	return v, obj, err == nil && has
}

// ensureInto is ensure that also delivers the verified plaintext of every chunk
// that st wants into st: downloaded chunks as they arrive, cached ones read
// (and verified) from the cache. st may be nil. Splices (variants) are
// downloaded instead of chunks only when t is f.locs.
func (f *fetcher) ensureInto(ctx context.Context, t *locTable, idx []int32, phase string, st *stage) error {
	seen := newBitset(len(t.ls))
	var missing, cached []int32
	var total int64
	for _, i := range idx {
		if !seen.add(i) {
			continue
		}
		id := t.ls[i].id
		ok, err := f.opt.Cache.Has(ctx, id)
		if err != nil {
			return fmt.Errorf("read cache: %w", err)
		}
		if ok {
			f.stats.ChunksFromCache++
			if st.wants(id) {
				cached = append(cached, i)
			}
			continue
		}
		if t == f.locs {
			if v, obj, ok := f.spliceFor(ctx, id); ok {
				i = obj
				f.splices.Store(v.Obj, v)
			}
		}
		missing = append(missing, i)
		total += int64(t.ls[i].sealedLen)
	}
	if len(missing) == 0 && len(cached) == 0 {
		return nil
	}
	var done atomic.Int64
	if len(missing) > 0 {
		f.report(Progress{Phase: phase, Total: total})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, s := range planSpansMax(t, missing, spanLimit(total, f.opt.Parallel)) {
		g.Go(func() error {
			// f.remote retries and resumes a range cut short. Progress counts
			// the bytes as they arrive, not when a span (several MB, for
			// seconds on a slow link) ends: a rate from the first second.
			_, err := f.fetchSpan(gctx, s, st, func(n int64) {
				f.report(Progress{Phase: phase, Done: done.Add(n), Total: total})
			})
			return err
		})
	}
	for len(cached) > 0 {
		n, size := 0, int64(0)
		for n < len(cached) && size < maxSpan/2 {
			size += int64(t.ls[cached[n]].sealedLen)
			n++
		}
		batch := cached[:n]
		cached = cached[n:]
		g.Go(func() error { return f.fromCache(gctx, t, batch, st) })
	}
	return g.Wait()
}

// buffers are one worker's: a sealed chunk, a plaintext, a staging batch, a
// cache writer.
type buffers struct {
	sealed, plain, batch []byte
	base, resealed       []byte // splices only
	w                    *chunkstore.PackWriter
	cache                *chunkstore.Cache // w's
}

// stageBatch returns a batch into st that reuses b's memory; done keeps that
// memory for the next user of b.
func (b *buffers) stageBatch(st *stage) (bt *batch, done func()) {
	bt = st.newBatch(b.batch)
	return bt, func() {
		if bt != nil {
			b.batch = bt.buf[:0]
		}
	}
}

var bufPool sync.Pool

func (f *fetcher) getBuffers() *buffers {
	if b, ok := bufPool.Get().(*buffers); ok {
		return b
	}
	return &buffers{}
}

// fromCache delivers cached chunks into st, verifying each again (the disk may
// have damaged it since it was stored).
func (f *fetcher) fromCache(ctx context.Context, t *locTable, idx []int32, st *stage) error {
	b := f.getBuffers()
	defer bufPool.Put(b)
	bt, done := b.stageBatch(st)
	defer done()
	for _, i := range idx {
		id := t.ls[i].id
		plain, err := f.chunkInto(ctx, b.plain[:0], id)
		if err != nil {
			return err
		}
		b.plain = plain
		if err := bt.deliver(id, plain); err != nil {
			return err
		}
	}
	return bt.flush()
}

// fetchSpan downloads s with one range request, verifies each chunk, delivers
// it to st (if not nil) and puts it in the cache. It returns how many leading
// chunks of s are now cached, also on error.
func (f *fetcher) fetchSpan(ctx context.Context, s span, st *stage, arrived func(int64)) (cached int, err error) {
	if len(s.chunks) == 0 {
		return 0, nil
	}
	b := f.getBuffers()
	defer bufPool.Put(b)
	if b.w == nil || b.cache != f.opt.Cache {
		b.w, b.cache = f.opt.Cache.NewPackWriter(), f.opt.Cache
	}
	w := b.w
	bt, done := b.stageBatch(st)
	defer done()
	w.Flushed = func(ids []chunkstore.ID) {
		cached += len(ids)
		f.downloaded.Add(int64(len(ids)))
		if f.onCached != nil {
			for _, id := range ids {
				f.onCached(id)
			}
		}
	}
	defer func() {
		// What was verified is kept, also when the span failed part way.
		if berr := bt.flush(); berr != nil && err == nil {
			err = berr
		}
		if ferr := w.Flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
			err = fmt.Errorf("write cache: %w", ferr)
		}
		w.Flushed = nil
	}()

	body, err := f.remote.Range(ctx, s.name(), s.off(), s.end()-s.off())
	if err != nil {
		return 0, err
	}
	defer body.Close()
	pos := s.off()
	for j := range s.chunks {
		l := s.at(j)
		if gap := int64(l.off) - pos; gap > 0 {
			if _, err := io.CopyN(io.Discard, body, gap); err != nil {
				return cached, packError(s.name(), err)
			}
		}
		if cap(b.sealed) < int(l.sealedLen) {
			b.sealed = make([]byte, l.sealedLen)
		}
		sealed := b.sealed[:l.sealedLen]
		if _, err := io.ReadFull(body, sealed); err != nil {
			return cached, packError(s.name(), err)
		}
		pos = int64(l.off) + int64(l.sealedLen)
		if arrived != nil {
			arrived(int64(l.sealedLen))
		}
		id := l.id
		at, known := s.chunks[j], s.t == f.locs // id's index in f.locs
		if v, ok := f.splices.Load(id); ok {
			// A splice: the chunk is built from its base in the cache and kept
			// there sealed as a chunk of its own.
			id, known = v.(manifest.Variant).ID, false
			if sealed, err = f.unsplice(ctx, b, v.(manifest.Variant), sealed); err != nil {
				return cached, err
			}
		} else {
			plain, err := f.keys.Open(b.plain[:0], id, sealed)
			if err != nil {
				return cached, err // tampered in transit or at rest on the source: permanent
			}
			b.plain = plain
		}
		if st != nil && !known {
			at, known = f.locs.find(id)
		}
		if known && st.wantsAt(at) {
			if err := bt.deliverAt(at, b.plain); err != nil {
				return cached, err
			}
		}
		if err := w.Add(ctx, id, sealed); err != nil {
			return cached, fmt.Errorf("write cache: %w", err)
		}
	}
	return cached, nil
}

// unsplice opens the splice sealed into b.plain, the plaintext of chunk v.ID, and
// returns that chunk sealed for the cache. If the base cannot be read from the
// cache any more (damaged, or collected meanwhile), it downloads the chunk itself
// with a request of its own; the cache is left as it is, since this publication
// does not need the base.
func (f *fetcher) unsplice(ctx context.Context, b *buffers, v manifest.Variant, sealed []byte) ([]byte, error) {
	sealedBase, err := f.opt.Cache.Get(ctx, v.Base)
	if err == nil {
		b.base, err = f.keys.Open(b.base[:0], v.Base, sealedBase)
	}
	if err != nil {
		return f.fetchChunk(ctx, b, v.ID)
	}
	base := b.base
	plain, err := f.keys.OpenSplice(b.plain[:0], v.ID, sealed, v.Base, base)
	if err != nil {
		return nil, err // tampered in transit or at rest on the source: permanent
	}
	b.plain = plain
	f.splicedIDs.Store(v.ID, true) // a set: a retried span opens a splice twice
	b.resealed = f.keys.Seal(b.resealed[:0], v.ID, plain)
	return b.resealed, nil
}

// fetchChunk downloads chunk id alone into b.plain and returns it sealed.
func (f *fetcher) fetchChunk(ctx context.Context, b *buffers, id chunkstore.ID) ([]byte, error) {
	i, ok := f.locs.find(id)
	if !ok {
		return nil, fmt.Errorf("chunk %s: %w", id, ErrTampered) // a variant of a chunk in no pack
	}
	l, pack := &f.locs.ls[i], f.locs.packs[f.locs.ls[i].pack]
	body, err := f.remote.Range(ctx, pack, int64(l.off), int64(l.sealedLen))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	sealed := make([]byte, l.sealedLen)
	if _, err := io.ReadFull(body, sealed); err != nil {
		return nil, packError(pack, err)
	}
	plain, err := f.keys.Open(b.plain[:0], id, sealed)
	if err != nil {
		return nil, err
	}
	b.plain = plain
	return sealed, nil
}

// chunkInto appends the verified plaintext of cached chunk id to dst. A chunk
// that no longer verifies is removed from the cache (ErrCacheDamaged).
func (f *fetcher) chunkInto(ctx context.Context, dst []byte, id chunkstore.ID) ([]byte, error) {
	sealed, err := f.opt.Cache.Get(ctx, id)
	if err == nil {
		if dst, err = f.keys.Open(dst, id, sealed); err == nil {
			return dst, nil
		}
	}
	if errors.Is(err, chunkstore.ErrCorrupt) {
		f.opt.Cache.Remove(ctx, id)
		return dst, fmt.Errorf("chunk %s: %w", id, ErrCacheDamaged)
	}
	return dst, fmt.Errorf("read cached chunk %s: %w", id, err)
}

// packError is err, a failed read of a range of pack, naming the pack: as
// "get pack P: …", unless err says that already (httpsrv.Client's errors do,
// and a reopened range that failed is one of them; a second prefix made
// "get pack P: get pack P: httpsrv: source unreachable").
func packError(pack string, err error) error {
	op := "get pack " + pack
	if strings.Contains(err.Error(), op+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
