package publish

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"

	"synco/chunkstore"
	"synco/manifest"
)

// Splices (chunkstore SPEC.md, "Splices"). A changed row changes one database
// chunk in place: the new chunk keeps the old one's first or last bytes, since
// content-defined boundaries do not move. So a new database chunk is tried as a
// splice of the chunk of the last publish that began or ended with the same
// fingerLen bytes. That needs no alignment of the chunk lists (so chunks are
// still hashed and sealed in parallel), and a chunk of new data, such as a
// refilled cache table, rarely matches and costs no base to open.
const fingerLen = 8

// baseRec is one database chunk of a publish: its ID, first and last bytes.
type baseRec struct {
	id         chunkstore.ID
	head, tail uint64
}

// baseIndex is the database chunks of a publish: recorded while it runs (add,
// safe for concurrent use), then saved for the next one, which looks splice
// bases up in it (candidates, after index).
type baseIndex struct {
	mu         sync.Mutex
	recs       []baseRec
	head, tail []finger // sorted: 32 bytes a chunk for both (two maps took 192)
}

// finger is a head or tail of recs[i].
type finger struct {
	v uint64
	i uint32
}

func fingers(plain []byte) (head, tail uint64, ok bool) {
	if len(plain) < 2*fingerLen {
		return 0, 0, false
	}
	return binary.LittleEndian.Uint64(plain), binary.LittleEndian.Uint64(plain[len(plain)-fingerLen:]), true
}

// add records a database chunk of this publish.
func (x *baseIndex) add(id chunkstore.ID, plain []byte) {
	h, t, ok := fingers(plain)
	if !ok {
		return
	}
	x.mu.Lock()
	x.recs = append(x.recs, baseRec{id, h, t})
	x.mu.Unlock()
}

// index sorts the fingers for lookup; of chunks with the same head or tail,
// the first recorded wins.
func (x *baseIndex) index() {
	x.head = make([]finger, len(x.recs))
	x.tail = make([]finger, len(x.recs))
	for i, r := range x.recs {
		x.head[i] = finger{r.head, uint32(i)}
		x.tail[i] = finger{r.tail, uint32(i)}
	}
	for _, f := range [][]finger{x.head, x.tail} {
		slices.SortFunc(f, func(a, b finger) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.i, b.i)) })
	}
}

// lookup returns the chunk of the first finger with value v.
func (x *baseIndex) lookup(fs []finger, v uint64) (chunkstore.ID, bool) {
	j, ok := slices.BinarySearchFunc(fs, v, func(f finger, v uint64) int { return cmp.Compare(f.v, v) })
	if !ok {
		return chunkstore.ID{}, false
	}
	return x.recs[fs[j].i].id, true
}

// candidates returns the chunks that begin or end like plain (at most two).
func (x *baseIndex) candidates(plain []byte) []chunkstore.ID {
	h, t, ok := fingers(plain)
	if x == nil || !ok {
		return nil
	}
	var ids []chunkstore.ID
	if id, ok := x.lookup(x.head, h); ok {
		ids = append(ids, id)
	}
	if id, ok := x.lookup(x.tail, t); ok && (len(ids) == 0 || ids[0] != id) {
		ids = append(ids, id)
	}
	return ids
}

// carry adds the records of old (the last publish's) for database chunks of
// streams that this publish took from the stat cache without reading them, so
// an unchanged dump still has bases for the publish after next.
func (x *baseIndex) carry(old *baseIndex, streams []manifest.Stream) {
	if old == nil {
		return
	}
	have := make(map[chunkstore.ID]bool, len(x.recs))
	for _, r := range x.recs {
		have[r.id] = true
	}
	prev := make(map[chunkstore.ID]baseRec, len(old.recs))
	for _, r := range old.recs {
		prev[r.id] = r
	}
	for _, s := range streams {
		if s.Class != chunkstore.ClassDB {
			continue
		}
		for _, c := range s.Chunks {
			if r, ok := prev[c.ID]; ok && !have[c.ID] {
				x.recs = append(x.recs, r)
				have[c.ID] = true
			}
		}
	}
}

// encode and decodeBases are the db-chunks file: the records back to back.
const baseRecSize = 32 + 2*8

func (x *baseIndex) encode() []byte {
	b := make([]byte, 0, len(x.recs)*baseRecSize)
	for _, r := range x.recs {
		b = append(b, r.id[:]...)
		b = binary.LittleEndian.AppendUint64(b, r.head)
		b = binary.LittleEndian.AppendUint64(b, r.tail)
	}
	return b
}

// decodeBases returns nil for a damaged file (the next publish then has no
// splices; nothing else depends on it).
func decodeBases(b []byte) *baseIndex {
	if len(b)%baseRecSize != 0 {
		return nil
	}
	x := &baseIndex{recs: make([]baseRec, 0, len(b)/baseRecSize)}
	for ; len(b) > 0; b = b[baseRecSize:] {
		var r baseRec
		copy(r.id[:], b)
		r.head = binary.LittleEndian.Uint64(b[32:])
		r.tail = binary.LittleEndian.Uint64(b[40:])
		x.recs = append(x.recs, r)
	}
	x.index()
	return x
}
