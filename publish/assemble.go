package publish

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"synco/chunkstore"
	"synco/manifest"
)

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
