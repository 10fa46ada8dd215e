package fetch

import (
	"context"
	"io"
	"path/filepath"

	"synco/chunkstore"
	"synco/manifest"
)

// Seeding the cache from the files the target already has. A file that is
// written again (its size, time or mode is not the published one) needs its
// chunks, and a cache that lacks them downloaded them, whole — also when the
// file here already holds them: a copy whose times were not kept (cp -r, an
// archive, a checkout of the uploads by other means), a store with new keys
// (publish --rotate), or a source that rewrote its files as they were. The
// fetch cannot cut the local file into chunks as the source does (the chunking
// polynomial is the source's secret), but it knows where the published
// file's chunks begin and end: it reads the local file at those offsets and
// keeps every piece whose keyed ID is the published chunk's, sealed, in the
// cache, as if it had come over the wire. Only what matches a signed ID is
// taken, so a local file changes nothing it should not. A file edited in
// place keeps its other chunks; one with bytes inserted keeps those before
// the insertion.

// seedLimit bounds the bytes of local files seed reads in one fetch: beyond
// it, reading takes longer than a download would be worth waiting for here.
const seedLimit = 64 << 30

// seed puts into the cache the chunks of w's files that the target's files
// already hold at the published offsets. Best effort: a file that cannot be
// read is left alone.
func (f *fetcher) seed(ctx context.Context, w *work) {
	if w.p == nil || w.p.root == nil || f.opt.Cache == nil {
		return
	}
	var files []output
	var total int64
	for _, o := range w.p.outputs {
		if o.Kind != manifest.KindFile || len(o.parts) != 1 || !o.cur.regular || o.cur.size == 0 || total > seedLimit {
			continue
		}
		if f.missingIn(ctx, o.parts[0]) {
			files = append(files, o)
			total += min(o.cur.size, int64(o.Size))
		}
	}
	if len(files) == 0 {
		return
	}
	var done int64
	cw := f.opt.Cache.NewPackWriter()
	defer cw.Flush(context.WithoutCancel(ctx))
	var buf, sealed []byte
	for _, o := range files {
		if ctx.Err() != nil {
			return
		}
		fh, err := w.p.root.Open(filepath.FromSlash(o.Path))
		if err != nil {
			continue
		}
		var off int64
		for _, r := range o.parts[0].Chunks {
			n := int64(r.Len)
			if off+n > o.cur.size || n > chunkstore.MaxChunkSize { // no chunk is longer: a forged length reads nothing
				break
			}
			if has, err := f.opt.Cache.Has(ctx, r.ID); err == nil && !has {
				if cap(buf) < int(n) {
					buf = make([]byte, n)
				}
				b := buf[:n]
				if _, err := fh.ReadAt(b, off); err != nil && err != io.EOF {
					break
				}
				if f.keys.ID(b) == r.ID {
					sealed = f.keys.Seal(sealed[:0], r.ID, b)
					if cw.Add(ctx, r.ID, sealed) != nil {
						break
					}
					f.seeded.Add(1)
				}
			}
			off += n
			done += n
			f.report(Progress{Phase: "compare with the local files", Done: done, Total: total})
		}
		fh.Close()
	}
}

// missingIn reports whether the cache lacks a chunk of s.
func (f *fetcher) missingIn(ctx context.Context, s manifest.Stream) bool {
	for _, r := range s.Chunks {
		if has, err := f.opt.Cache.Has(ctx, r.ID); err == nil && !has {
			return true
		}
	}
	return false
}
