package chunkstore

import (
	"fmt"
	"sort"
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
	type item struct {
		off uint32
		e   PackEntry
	}
	p.mu.Lock()
	byPack := make(map[uint32][]item)
	for id, e := range p.index {
		if int(e.pack) < p.committed {
			byPack[e.pack] = append(byPack[e.pack], item{e.off, PackEntry{id, e.len}})
		}
	}
	names := p.packs
	p.mu.Unlock()
	out := make(map[string][]PackEntry, len(byPack))
	for num, items := range byPack {
		sort.Slice(items, func(i, j int) bool { return items[i].off < items[j].off })
		entries := make([]PackEntry, len(items))
		var off uint32
		for i, it := range items {
			if it.off != off {
				return nil, fmt.Errorf("pack %s: hole at offset %d", names[num], off)
			}
			entries[i] = it.e
			off += it.e.Len
		}
		out[names[num]] = entries
	}
	return out, nil
}
