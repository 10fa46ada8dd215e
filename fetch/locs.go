package fetch

import (
	"bytes"
	"cmp"
	"slices"

	"synco/chunkstore"
	"synco/manifest"
)

// A locTable is where chunks lie in the publication: 56 bytes a chunk in one
// slice, sorted by ID, where a map of manifest.Loc took ≈ 150, and the lists of
// what to fetch are indexes into it (4 bytes a chunk). A 10 GB database is ≈ 1.3M
// chunks (issue 15 §3: memory that does not grow with the data).
type locTable struct {
	packs []string
	ls    []cloc
}

// cloc is one chunk's location: pack is an index into locTable.packs.
type cloc struct {
	id        chunkstore.ID
	off       uint64
	pack      uint32
	len       uint32 // plaintext length; 0 for a chunk no stream references
	sealedLen uint32
}

// newLocTable is manifest.Locate in a locTable: every chunk in m's packs, the
// first slot of an ID winning (packs in order, then slots in order), with Len
// taken from the streams' references.
func newLocTable(m *manifest.Manifest) *locTable {
	n := 0
	t := &locTable{packs: make([]string, len(m.Packs))}
	for i, p := range m.Packs {
		t.packs[i] = p.Name
		n += len(p.Chunks)
	}
	t.ls = make([]cloc, 0, n)
	for i, p := range m.Packs {
		var off uint64
		for _, c := range p.Chunks {
			t.ls = append(t.ls, cloc{id: c.ID, off: off, pack: uint32(i), sealedLen: c.SealedLen})
			off += uint64(c.SealedLen)
		}
	}
	// Packs and their slots were appended in order: (pack, off) is that order.
	slices.SortFunc(t.ls, func(a, b cloc) int {
		return cmp.Or(bytes.Compare(a.id[:], b.id[:]), cmp.Compare(a.pack, b.pack), cmp.Compare(a.off, b.off))
	})
	t.ls = slices.CompactFunc(t.ls, func(a, b cloc) bool { return a.id == b.id })
	t.ls = slices.Clip(t.ls)
	for _, s := range m.Streams {
		for _, r := range s.Chunks {
			if i, ok := t.find(r.ID); ok && t.ls[i].len == 0 {
				t.ls[i].len = r.Len
			}
		}
	}
	return t
}

// tableOf returns a table of locs in their order, for ensure (not for find).
func tableOf(locs []manifest.Loc) *locTable {
	t := &locTable{ls: make([]cloc, len(locs))}
	packs := map[string]uint32{}
	for i, l := range locs {
		p, ok := packs[l.Pack]
		if !ok {
			p = uint32(len(t.packs))
			packs[l.Pack] = p
			t.packs = append(t.packs, l.Pack)
		}
		t.ls[i] = cloc{id: l.ID, off: l.Off, pack: p, len: l.Len, sealedLen: l.SealedLen}
	}
	return t
}

// find returns the index of chunk id in a sorted table.
func (t *locTable) find(id chunkstore.ID) (int32, bool) {
	i, ok := slices.BinarySearchFunc(t.ls, id, func(c cloc, id chunkstore.ID) int { return bytes.Compare(c.id[:], id[:]) })
	return int32(i), ok
}

// indexes returns the index of every chunk of s in a sorted table; a chunk in
// no pack cannot be (manifest.Decode checked every reference).
func (t *locTable) indexes(s manifest.Stream) []int32 {
	idx := make([]int32, 0, len(s.Chunks))
	for _, r := range s.Chunks {
		if i, ok := t.find(r.ID); ok {
			idx = append(idx, i)
		}
	}
	return idx
}

// all returns 0, 1, …, len(t.ls)-1.
func (t *locTable) all() []int32 {
	idx := make([]int32, len(t.ls))
	for i := range idx {
		idx[i] = int32(i)
	}
	return idx
}

// bitset is a set of table indexes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// add adds i and reports whether it was new.
func (b bitset) add(i int32) bool {
	w, m := i/64, uint64(1)<<(i%64)
	if b[w]&m != 0 {
		return false
	}
	b[w] |= m
	return true
}
