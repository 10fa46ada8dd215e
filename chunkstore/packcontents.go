package chunkstore

import (
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
// copies no more than a pack's entries. fn must not call the store.
func (p *PackStore) EachPack(fn func(name string, entries []PackEntry) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	order := p.index.byLocation()
	var entries []PackEntry
	for k := 0; k < len(order); {
		num := p.index.at(order[k]).pack
		if int(num) >= p.committed {
			break // pending packs come last
		}
		entries = entries[:0]
		var off uint32
		for ; k < len(order) && p.index.at(order[k]).pack == num; k++ {
			e := p.index.at(order[k])
			if e.off != off {
				return fmt.Errorf("pack %s: hole at offset %d", p.packs[num], off)
			}
			entries = append(entries, PackEntry{e.id, e.len})
			off += e.len
		}
		if err := fn(p.packs[num], entries); err != nil {
			return err
		}
	}
	return nil
}
