package manifest

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"

	"synco/chunkstore"
)

// idIndex maps chunk IDs to the first pack slot that holds them: the slots
// sorted by the first 8 bytes of their ID, then by slot, and a table of where
// each value of the first bits starts. Chunk IDs are keyed hashes, so a bucket
// holds about two slots: ≈ 18 bytes a slot, where a map of the 8-byte prefixes
// took ≈ 36 (issue 15 §3: a 10 GB database is ≈ 1.3M slots). add every slot in
// slot order, then seal, then get.
type idIndex struct {
	packs []Pack
	keys  []idKey
	shift uint
	start []uint32 // start[b]: the first key of bucket b; len 2^bits + 1
}

type idKey struct {
	k uint64 // the ID's first 8 bytes, big endian
	s slot
}

func newIDIndex(packs []Pack, n int) *idIndex {
	return &idIndex{packs: packs, keys: make([]idKey, 0, n)}
}

func (x *idIndex) at(s slot) chunkstore.ID { return x.packs[s.pack].Chunks[s.pos].ID }

func prefix(id chunkstore.ID) uint64 { return binary.BigEndian.Uint64(id[:8]) }

// add records slot s of id.
func (x *idIndex) add(id chunkstore.ID, s slot) { x.keys = append(x.keys, idKey{prefix(id), s}) }

// seal sorts the slots for get.
func (x *idIndex) seal() {
	slices.SortFunc(x.keys, func(a, b idKey) int {
		return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.s.pack, b.s.pack), cmp.Compare(a.s.pos, b.s.pos))
	})
	k := max(bits.Len(uint(len(x.keys)))-1, 1)
	x.shift = uint(64 - k)
	x.start = make([]uint32, 1<<k+1)
	b := 0
	for i, key := range x.keys {
		for n := int(key.k >> x.shift); b <= n; b++ {
			x.start[b] = uint32(i)
		}
	}
	for ; b < len(x.start); b++ {
		x.start[b] = uint32(len(x.keys))
	}
}

// get returns the first slot holding id.
func (x *idIndex) get(id chunkstore.ID) (slot, bool) {
	k := prefix(id)
	if x.start == nil {
		return slot{}, false
	}
	b := k >> x.shift
	for _, key := range x.keys[x.start[b]:x.start[b+1]] {
		if key.k == k && x.at(key.s) == id {
			return key.s, true
		}
	}
	return slot{}, false
}
