package manifest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"

	"synco/chunkstore"
)

const magicManifest = "syncoM"

// Minimum encoded sizes, used to bound counts while decoding.
const (
	minParams  = 4  // class, min, max, avg bits
	minPack    = 4  // name length, name, slot count, orphan count
	minOrphan  = 33 // slot delta, ID
	minStream  = 6  // path length, path, kind, class, mode, mtime
	minRef     = 33 // ID, length and location flag
	minVariant = 66 // ID, base, pack index, slot
)

// Encode returns the canonical encoding of m, or an error wrapping ErrFormat if m
// is invalid: unsorted or duplicate packs, streams, chunking params or variants, an
// invalid path or pack name, a size that is not the sum of the chunk lengths, a
// chunk that is in no pack, the same chunk with two lengths, or a variant of a chunk
// that no stream references, whose Obj is in no pack or is the chunk itself.
func (m *Manifest) Encode() ([]byte, error) {
	lay, err := m.layout()
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	w := &writer{b: make([]byte, 0, 64+len(lay.refs)*36+len(m.Streams)*64+len(m.Variants)*70)}
	m.encode(lay, w)
	return w.end(), nil
}

// EncodeTo writes the encoding of m (Encode) to dst in pieces of about 64
// KiB, so a manifest of a million chunks is not held twice (issue 15 §3).
// Nothing is written if m is invalid.
func (m *Manifest) EncodeTo(dst io.Writer) error {
	lay, err := m.layout()
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	var werr error
	w := &writer{b: make([]byte, 0, 2*spillAt), sink: func(p []byte) {
		if werr == nil {
			_, werr = dst.Write(p)
		}
	}}
	m.encode(lay, w)
	w.end()
	return werr
}

// encode encodes a manifest that layout validated into w.
func (m *Manifest) encode(lay *layout, w *writer) {
	w.raw([]byte(magicManifest))
	w.uvarint(Version)
	w.varint(m.Created)
	w.uvarint(uint64(len(m.Chunking)))
	for _, c := range m.Chunking {
		w.byte1(byte(c.Class))
		w.uvarint(uint64(c.Min))
		w.uvarint(uint64(c.Max))
		w.byte1(c.AvgBits)
	}
	w.uvarint(uint64(len(m.Packs)))
	for i, p := range m.Packs {
		encodePack(w, p, lay.refLen[i])
		w.spill()
	}
	w.uvarint(uint64(len(m.Streams)))
	cur := newCursor()
	refs := lay.refs
	for _, s := range m.Streams {
		w.str(s.Path)
		w.byte1(byte(s.Kind))
		w.byte1(byte(s.Class))
		w.uvarint(uint64(s.Mode))
		w.varint(s.MTime)
		if s.Kind == KindDir {
			continue
		}
		if s.Kind == KindRemote {
			w.uvarint(s.Size)
			w.id(s.Hash)
			w.str(s.URL)
			continue
		}
		w.uvarint(s.Size)
		w.id(s.Hash)
		w.uvarint(uint64(len(s.Chunks)))
		for _, r := range s.Chunks {
			w.id(r.ID)
			loc, explicit, named := cur.code(refs[0])
			if !explicit {
				w.uvarint(uint64(r.Len) << 1)
			} else {
				w.uvarint(uint64(r.Len)<<1 | 1)
				w.uvarint(loc)
				if named {
					w.str(m.Packs[refs[0].pack].Name)
				}
			}
			cur.advance(refs[0])
			refs = refs[1:]
			w.spill()
		}
	}
	if len(m.Variants) > 0 { // absent rather than a count of 0
		w.uvarint(uint64(len(m.Variants)))
		for i, v := range m.Variants {
			w.id(v.ID)
			w.id(v.Base)
			w.uvarint(uint64(lay.objs[i].pack))
			w.uvarint(uint64(lay.objs[i].pos))
			w.spill()
		}
	}
}

// Locations of references: a cursor carried through the whole streams section
// remembers the previous reference's slot and the most recently used packs. A
// reference either continues in the slot after the previous one, or has an explicit
// location code slot*locRadix + j: j = 0 names the pack, j ≥ 1 is pack mru[j-1].
const (
	mruLen   = 3 // packs remembered
	locRadix = mruLen + 1
)

type cursor struct {
	prev slot    // pack -1 before the first reference
	mru  []int32 // most recent first; mru[0] == prev.pack
}

func newCursor() *cursor { return &cursor{prev: slot{-1, -1}, mru: make([]int32, 0, mruLen+1)} }

// code returns the location code of a, unless a continues the previous reference,
// and whether the pack name must follow.
func (c *cursor) code(a slot) (loc uint64, explicit, named bool) {
	if c.prev.pack == a.pack && a.pos == c.prev.pos+1 {
		return 0, false, false
	}
	j := slices.Index(c.mru, a.pack)
	return uint64(a.pos)*locRadix + uint64(j+1), true, j < 0
}

// advance makes a the previous reference.
func (c *cursor) advance(a slot) {
	if j := slices.Index(c.mru, a.pack); j >= 0 {
		c.mru = slices.Delete(c.mru, j, j+1)
	}
	c.mru = slices.Insert(c.mru, 0, a.pack)
	if len(c.mru) > mruLen {
		c.mru = c.mru[:mruLen]
	}
	c.prev = a
}

// encodePack writes a pack; refLen[i] < 0 marks slot i as an orphan.
func encodePack(w *writer, p Pack, refLen []int64) {
	w.str(p.Name)
	w.uvarint(uint64(len(p.Chunks)))
	orphans := 0
	for i, c := range p.Chunks {
		w.uvarint(uint64(c.SealedLen))
		if refLen[i] < 0 {
			orphans++
		}
	}
	w.uvarint(uint64(orphans))
	next := 0
	for i, c := range p.Chunks {
		if refLen[i] < 0 {
			w.uvarint(uint64(i - next))
			w.id(c.ID)
			next = i + 1
		}
	}
}

// Decode decodes a manifest. It accepts only the canonical encoding of a valid
// manifest, so (*Manifest).Encode of the result returns b. Errors wrap ErrFormat,
// or are ErrVersion for another format version.
func Decode(b []byte) (*Manifest, error) {
	m, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	return m, nil
}

func decode(b []byte) (*Manifest, error) {
	r := &reader{b: b}
	if err := r.magic(magicManifest); err != nil {
		return nil, err
	}
	m := &Manifest{Created: r.varint()}
	if n := r.count(minParams); n > 0 {
		m.Chunking = make([]ClassParams, n)
		for i := range m.Chunking {
			m.Chunking[i] = ClassParams{
				Class: chunkstore.Class(r.byte1()), Min: r.uint32(), Max: r.uint32(), AvgBits: r.byte1(),
			}
		}
	}
	var filled [][]bool
	packs := make(map[string]int32)
	if n := r.count(minPack); n > 0 {
		m.Packs = make([]Pack, n)
		filled = make([][]bool, n)
		for i := range m.Packs {
			m.Packs[i], filled[i] = decodePack(r)
			if _, dup := packs[m.Packs[i].Name]; dup {
				r.fail("duplicate pack %q", m.Packs[i].Name)
			}
			packs[m.Packs[i].Name] = int32(i)
		}
	}
	if n := r.count(minStream); n > 0 {
		m.Streams = make([]Stream, n)
		cur := newCursor()
		for i := range m.Streams {
			m.Streams[i] = decodeStream(r, m.Packs, filled, packs, cur)
		}
	}
	var objs []slot
	if r.left() > 0 {
		m.Variants, objs = decodeVariants(r, m.Packs)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.left() > 0 {
		return nil, formatErr("%d trailing bytes", r.left())
	}
	for i, p := range m.Packs {
		if j := slices.Index(filled[i], false); j >= 0 {
			return nil, formatErr("pack %q slot %d: no chunk ID", p.Name, j)
		}
	}
	for i, a := range objs {
		m.Variants[i].Obj = m.Packs[a.pack].Chunks[a.pos].ID
	}
	lay, err := m.layout()
	if err != nil {
		return nil, err
	}
	// Compared piece by piece: the encoding is not held a second time.
	same, rest := true, b
	w := &writer{b: make([]byte, 0, 2*spillAt), sink: func(p []byte) {
		same = same && bytes.HasPrefix(rest, p)
		if same {
			rest = rest[len(p):]
		}
	}}
	m.encode(lay, w)
	w.end()
	if !same || len(rest) > 0 {
		return nil, formatErr("not in canonical form")
	}
	return m, nil
}

// decodePack reads a pack; the returned slice marks the slots whose ID is known.
func decodePack(r *reader) (Pack, []bool) {
	p := Pack{Name: r.str(maxPackName)}
	if r.err == nil && !ValidPackName(p.Name) {
		r.fail("invalid pack name %q", p.Name)
	}
	n := r.count(1)
	if n > 0 {
		p.Chunks = make([]PackChunk, n)
	}
	for i := range p.Chunks {
		p.Chunks[i].SealedLen = r.uint32()
	}
	filled := make([]bool, n)
	next := uint64(0) // first slot the next orphan may be in
	for range r.count(minOrphan) {
		gap := r.uvarint()
		if r.err == nil && gap >= uint64(n)-next {
			r.fail("pack %q: orphan beyond its %d slots", p.Name, n)
		}
		if r.err != nil {
			break
		}
		pos := next + gap
		p.Chunks[pos].ID = r.id()
		filled[pos] = true
		next = pos + 1
	}
	return p, filled
}

// decodeStream reads a stream, filling in the pack slots it references.
func decodeStream(r *reader, packs []Pack, filled [][]bool, byName map[string]int32, cur *cursor) Stream {
	s := Stream{
		Path:  r.str(maxPath),
		Kind:  Kind(r.byte1()),
		Class: chunkstore.Class(r.byte1()),
		Mode:  r.uint32(),
		MTime: r.varint(),
	}
	if s.Kind == KindDir || r.err != nil {
		return s
	}
	if s.Kind == KindRemote {
		s.Size = r.uvarint()
		s.Hash = r.id()
		s.URL = r.str(MaxURL)
		return s
	}
	if !s.Kind.HasContent() {
		r.fail("stream %q: unknown kind %d", s.Path, s.Kind)
		return s
	}
	s.Size = r.uvarint()
	s.Hash = r.id()
	if n := r.count(minRef); n > 0 {
		s.Chunks = make([]Ref, n)
	}
	for i := range s.Chunks {
		ref := Ref{ID: r.id()}
		v := r.uvarint()
		if v>>1 > math.MaxUint32 {
			r.fail("stream %q chunk %d: length exceeds 32 bits", s.Path, i)
		}
		ref.Len = uint32(v >> 1)
		s.Chunks[i] = ref
		a, ok := decodeLoc(r, v&1 == 1, packs, byName, cur)
		if !ok {
			r.fail("stream %q chunk %d: bad location", s.Path, i)
		}
		if r.err != nil {
			return s
		}
		c, f := &packs[a.pack].Chunks[a.pos], &filled[a.pack][a.pos]
		if *f && c.ID != ref.ID {
			r.fail("stream %q chunk %d: ID differs from pack %q slot %d", s.Path, i, packs[a.pack].Name, a.pos)
			return s
		}
		c.ID, *f = ref.ID, true
		cur.advance(a)
	}
	return s
}

// decodeLoc reads a reference's location and checks that the slot exists.
func decodeLoc(r *reader, explicit bool, packs []Pack, byName map[string]int32, cur *cursor) (slot, bool) {
	if r.err != nil {
		return slot{}, false
	}
	if !explicit {
		a := slot{cur.prev.pack, cur.prev.pos + 1}
		return a, a.pack >= 0 && int(a.pos) < len(packs[a.pack].Chunks)
	}
	loc := r.uvarint()
	pos, j := loc/locRadix, int(loc%locRadix)
	var p int32
	switch {
	case j == 0:
		var ok bool
		if p, ok = byName[r.str(maxPackName)]; !ok {
			return slot{}, false
		}
	case j <= len(cur.mru):
		p = cur.mru[j-1]
	default:
		return slot{}, false
	}
	return slot{p, int32(pos)}, pos < uint64(len(packs[p].Chunks))
}

// decodeVariants reads the optional variants section and the slot of each variant's
// Obj, whose ID the caller takes from the slot once every slot's ID is known.
func decodeVariants(r *reader, packs []Pack) ([]Variant, []slot) {
	n := r.count(minVariant)
	if r.err == nil && n == 0 {
		r.fail("variants section with count 0")
	}
	if r.err != nil {
		return nil, nil
	}
	vs, objs := make([]Variant, n), make([]slot, n)
	for i := range vs {
		vs[i].ID, vs[i].Base = r.id(), r.id()
		p, pos := r.uvarint(), r.uvarint()
		switch {
		case r.err != nil:
			return nil, nil
		case p >= uint64(len(packs)):
			r.fail("variant of chunk %s: pack %d beyond the %d packs", vs[i].ID, p, len(packs))
			return nil, nil
		case pos >= uint64(len(packs[p].Chunks)):
			r.fail("variant of chunk %s: slot %d beyond pack %q", vs[i].ID, pos, packs[p].Name)
			return nil, nil
		}
		objs[i] = slot{int32(p), int32(pos)}
	}
	return vs, objs
}
