package chunkstore

import (
	"cmp"
	"fmt"
	"slices"
)

// PackEntry is one chunk of a pack.
type PackEntry struct {
	ID  ID
	Len uint32 // sealed length
}

// Contents returns the chunks of every committed pack in on-disk order. Packs are
// written without gaps, so a chunk's offset is the sum of the lengths before it;
// Contents checks that and fails if a pack has a hole.
func (p *PackStore) Contents() (map[string][]PackEntry, error) {
	out := map[string][]PackEntry{}
	err := p.EachPack(func(name string, entries []PackEntry) error {
		out[name] = slices.Clone(entries)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachPack calls fn with the chunks of each committed pack in on-disk order,
// one pack after the other, as Contents would return them, and stops at fn's
// first error. entries is only valid during the call. Unlike Contents it
// holds one copy of the index (44 bytes a chunk), not two and a map.
func (p *PackStore) EachPack(fn func(name string, entries []PackEntry) error) error {
	p.mu.Lock()
	recs := make([]indexEntry, 0, len(p.index))
	for id, e := range p.index {
		if int(e.pack) < p.committed {
			recs = append(recs, indexEntry{id, e})
		}
	}
	names := p.packs
	p.mu.Unlock()
	slices.SortFunc(recs, func(a, b indexEntry) int {
		return cmp.Or(cmp.Compare(a.pack, b.pack), cmp.Compare(a.off, b.off))
	})
	var entries []PackEntry
	for i := 0; i < len(recs); {
		num := recs[i].pack
		entries = entries[:0]
		var off uint32
		for ; i < len(recs) && recs[i].pack == num; i++ {
			if recs[i].off != off {
				return fmt.Errorf("pack %s: hole at offset %d", names[num], off)
			}
			entries = append(entries, PackEntry{recs[i].id, recs[i].len})
			off += recs[i].len
		}
		if err := fn(names[num], entries); err != nil {
			return err
		}
	}
	return nil
}
