package chunkstore

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// idTable is the pack store's index in memory: chunk ID → entry, in ≈ 50 bytes
// a chunk where a map[ID]entry took ≈ 96 (issue 15 §3: a 10 GB database is
// ≈ 1.3M chunks). The entries lie in blocks of tableBlock, in the order they
// were added (so mostly pack and offset order), and an open-addressing table
// of entry numbers (linear probing, at most ¾ full) finds them by the first
// 8 bytes of the ID: IDs are keyed hashes, so those are uniform. Not safe for
// concurrent use.
type idTable struct {
	blocks [][]indexEntry
	n      uint32   // entries added, the dead included
	dead   uint32   // entries deleted (their slot is free, the entry stays until compact)
	slots  []uint32 // entry number + 1; 0: free
}

const tableBlock = 4096

// deadPack marks a deleted entry.
const deadPack = ^uint32(0)

func (t *idTable) at(i uint32) *indexEntry { return &t.blocks[i/tableBlock][i%tableBlock] }

// len is the number of live entries.
func (t *idTable) len() int { return int(t.n - t.dead) }

func (t *idTable) home(id ID) int {
	return int(binary.LittleEndian.Uint64(id[:8]) & uint64(len(t.slots)-1))
}

// find returns the slot of id, or of the free slot where it would go.
func (t *idTable) find(id ID) (slot int, ok bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	mask := len(t.slots) - 1
	for s := t.home(id); ; s = (s + 1) & mask {
		v := t.slots[s]
		if v == 0 {
			return s, false
		}
		if t.at(v-1).id == id {
			return s, true
		}
	}
}

// get returns id's entry.
func (t *idTable) get(id ID) (entry, bool) {
	s, ok := t.find(id)
	if !ok {
		return entry{}, false
	}
	return t.at(t.slots[s] - 1).entry, true
}

// set adds id or replaces its entry.
func (t *idTable) set(id ID, e entry) {
	if s, ok := t.find(id); ok {
		t.at(t.slots[s] - 1).entry = e
		return
	}
	if 4*(t.len()+1) > 3*len(t.slots) {
		t.rehash(max(2*len(t.slots), 1024))
	}
	if int(t.n/tableBlock) == len(t.blocks) {
		t.blocks = append(t.blocks, make([]indexEntry, tableBlock))
	}
	*t.at(t.n) = indexEntry{id, e}
	t.n++
	s, _ := t.find(id)
	t.slots[s] = t.n
}

// del removes id. The slots after it in its run move back, so lookups never
// need tombstones; the entry is dropped by the next compact.
func (t *idTable) del(id ID) {
	s, ok := t.find(id)
	if !ok {
		return
	}
	t.at(t.slots[s] - 1).pack = deadPack
	t.dead++
	mask := len(t.slots) - 1
	t.slots[s] = 0
	for j := (s + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		// The entry at j may move to the hole at s if its home is not in (s, j].
		h := t.home(t.at(t.slots[j] - 1).id)
		if (j > s && (h <= s || h > j)) || (j < s && h <= s && h > j) {
			t.slots[s], t.slots[j] = t.slots[j], 0
			s = j
		}
	}
	if t.dead > 1024 && t.dead > t.n/2 {
		t.compact()
	}
}

// rehash makes the table n slots (a power of two) and refills it.
func (t *idTable) rehash(n int) {
	t.slots = make([]uint32, n)
	for i := range t.n {
		if e := t.at(i); e.pack != deadPack {
			s, _ := t.find(e.id)
			t.slots[s] = i + 1
		}
	}
}

// compact drops the deleted entries, keeping the order of the others.
func (t *idTable) compact() {
	var k uint32
	for i := range t.n {
		if e := *t.at(i); e.pack != deadPack {
			*t.at(k) = e
			k++
		}
	}
	t.n, t.dead = k, 0
	used := int((k + tableBlock - 1) / tableBlock)
	clear(t.blocks[used:])
	t.blocks = t.blocks[:used]
	size := 1024
	for 4*int(k) > 3*size {
		size *= 2
	}
	t.rehash(size)
}

// all calls yield with each live entry, in the order they were added.
func (t *idTable) all(yield func(indexEntry) bool) {
	for i := range t.n {
		if e := t.at(i); e.pack != deadPack && !yield(*e) {
			return
		}
	}
}

// byLocation returns the numbers of the live entries ordered by pack and
// offset (4 bytes an entry, not a copy of them); pass them to at.
func (t *idTable) byLocation() []uint32 {
	order := make([]uint32, 0, t.len())
	sorted := true
	for i := range t.n {
		e := t.at(i)
		if e.pack == deadPack {
			continue
		}
		if n := len(order); n > 0 {
			p := t.at(order[n-1])
			sorted = sorted && (p.pack < e.pack || p.pack == e.pack && p.off < e.off)
		}
		order = append(order, i)
	}
	if !sorted {
		slices.SortFunc(order, func(a, b uint32) int {
			x, y := t.at(a), t.at(b)
			return cmp.Or(cmp.Compare(x.pack, y.pack), cmp.Compare(x.off, y.off))
		})
	}
	return order
}
