package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"synco/chunkstore"
	"synco/manifest"
)

// finish writes the manifest as chunks, commits the pack store and returns the root
// (without its state fields) and the views of the packs the publication exposes:
// the chunks of its streams, the splices of its variants and the manifest's chunks.
//
// Memory: it holds what the manifest needs, the streams' chunk lists and the
// packs' slots, plus the set of chunks referenced (idSet, ≈ 36 bytes a chunk)
// and one copy of the pack index while it lists the packs; the encoding is
// streamed into the chunker (issue 15 §3).
func (b *builder) finish(ctx context.Context) (manifest.Root, map[string]*PackView, error) {
	var root manifest.Root
	sort.Slice(b.streams, func(i, j int) bool { return b.streams[i].Path < b.streams[j].Path })
	n := 0
	for _, s := range b.streams {
		n += len(s.Chunks)
	}
	all := make([]chunkstore.ID, 0, n)
	for _, s := range b.streams {
		for _, r := range s.Chunks {
			all = append(all, r.ID)
		}
	}
	used := newIDSet(all)
	b.res.Chunks = used.len()
	variants := b.liveVariants(used)
	objs := make([]chunkstore.ID, len(variants))
	for i, v := range variants {
		objs[i] = v.Obj
	}
	splices := newIDSet(objs)
	live := func(id chunkstore.ID) bool { return used.has(id) || splices.has(id) }
	// Drop what no stream uses any more (earlier runs' chunks), so the store and the
	// pack lists in the manifest do not grow with history; this also commits, so the
	// data packs are final: the manifest lists them completely.
	pr, err := b.st.packs.Prune(ctx, live)
	if err != nil {
		return root, nil, err
	}
	b.res.Pruned = pr
	m := &manifest.Manifest{Created: time.Now().UnixNano(), Streams: b.streams, Variants: variants}
	for _, c := range []chunkstore.Class{chunkstore.ClassFile, chunkstore.ClassDB, chunkstore.ClassMeta} {
		p := c.Params()
		m.Chunking = append(m.Chunking, manifest.ClassParams{Class: c, Min: uint32(p.Min), Max: uint32(p.Max), AvgBits: uint8(p.AvgBits)})
	}
	// Every pack that holds a live chunk is exposed and listed whole; its other
	// slots are listed by a stand-in ID (maskID).
	exposed := exposure{}
	found := 0
	err = b.st.packs.EachPack(func(name string, entries []chunkstore.PackEntry) error {
		if !slices.ContainsFunc(entries, func(e chunkstore.PackEntry) bool { return live(e.ID) }) {
			return nil
		}
		pk := manifest.Pack{Name: name, Chunks: make([]manifest.PackChunk, len(entries))}
		var off uint64
		for i, e := range entries {
			id := e.ID
			if live(id) {
				exposed.add(chunkstore.Loc{Pack: name, Off: off, Len: e.Len})
				found++
			} else {
				id = b.st.maskID(id) // its bytes read as zeros; its keyed ID would confirm a guess
			}
			pk.Chunks[i] = manifest.PackChunk{ID: id, SealedLen: e.Len}
			off += uint64(e.Len)
		}
		m.Packs = append(m.Packs, pk)
		return nil
	})
	if err != nil {
		return root, nil, fmt.Errorf("write manifest: %w", err)
	}
	want := used.len()
	for _, id := range splices.ids {
		if !used.has(id) {
			want++
		}
	}
	if found != want {
		return root, nil, fmt.Errorf("write manifest: %d chunks missing from store", want-found)
	}
	sort.Slice(m.Packs, func(i, j int) bool { return m.Packs[i].Name < m.Packs[j].Name })
	pr2, pw := io.Pipe()
	go func() { pw.CloseWithError(m.EncodeTo(pw)) }()
	refs, hash, size, err := b.stream(ctx, pr2, chunkstore.ClassMeta, "", nil)
	pr2.CloseWithError(errors.New("manifest not read")) // ends the encoder if stream failed early
	if err != nil {
		return root, nil, fmt.Errorf("store manifest: %w", err)
	}
	if err := b.st.packs.Commit(); err != nil {
		return root, nil, fmt.Errorf("commit packs: %w", err)
	}
	root.ManifestSize, root.ManifestHash = size, hash
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
