package manifest

import (
	"encoding/binary"

	"synco/chunkstore"
)

// idIndex maps chunk IDs to the first pack slot that holds them. Chunk IDs are keyed
// hashes, so it hashes only an 8-byte prefix, which is much faster for millions of
// chunks; the rare ID whose prefix another ID took goes to a second, full-key map.
type idIndex struct {
	packs []Pack
	short map[uint64]slot
	long  map[chunkstore.ID]slot
}

func newIDIndex(packs []Pack, n int) *idIndex {
	return &idIndex{packs: packs, short: make(map[uint64]slot, n)}
}

func (x *idIndex) at(s slot) chunkstore.ID { return x.packs[s.pack].Chunks[s.pos].ID }

// add records s for id unless id already has a slot.
func (x *idIndex) add(id chunkstore.ID, s slot) {
	k := binary.LittleEndian.Uint64(id[:8])
	t, ok := x.short[k]
	switch {
	case !ok:
		x.short[k] = s
		return
	case x.at(t) == id:
		return
	}
	if x.long == nil {
		x.long = make(map[chunkstore.ID]slot)
	}
	if _, ok := x.long[id]; !ok {
		x.long[id] = s
	}
}

// get returns the first slot holding id.
func (x *idIndex) get(id chunkstore.ID) (slot, bool) {
	if t, ok := x.short[binary.LittleEndian.Uint64(id[:8])]; ok && x.at(t) == id {
		return t, true
	}
	t, ok := x.long[id]
	return t, ok
}
