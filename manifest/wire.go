package manifest

import (
	"encoding/binary"
	"fmt"
	"math"

	"synco/chunkstore"
)

// formatErr returns an error wrapping ErrFormat.
func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// writer appends the primitive encodings shared by the manifest and the root.
//
// With sink set, spill hands what was written so far to sink once it is at
// least spillAt bytes, so a large encoding need not be held whole.
type writer struct {
	b    []byte
	sink func(p []byte)
}

const spillAt = 64 << 10

// spill passes w.b to the sink if it has grown to spillAt.
func (w *writer) spill() {
	if w.sink != nil && len(w.b) >= spillAt {
		w.sink(w.b)
		w.b = w.b[:0]
	}
}

// end passes what is left to the sink; without one it returns the encoding.
func (w *writer) end() []byte {
	if w.sink == nil {
		return w.b
	}
	if len(w.b) > 0 {
		w.sink(w.b)
	}
	w.b = nil
	return nil
}

func (w *writer) byte1(c byte)        { w.b = append(w.b, c) }
func (w *writer) raw(p []byte)        { w.b = append(w.b, p...) }
func (w *writer) uvarint(v uint64)    { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) varint(v int64)      { w.b = binary.AppendVarint(w.b, v) }
func (w *writer) id(id chunkstore.ID) { w.b = append(w.b, id[:]...) }

func (w *writer) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// reader decodes primitives with a sticky error: after the first failure every
// method returns zero values and err stays set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = formatErr(format, args...)
	}
	r.b = nil
}

func (r *reader) left() int { return len(r.b) }

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte1() byte {
	p := r.next(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) id() (id chunkstore.ID) {
	copy(id[:], r.next(len(id)))
	return id
}

// uvarint reads a minimally encoded unsigned varint.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.fail("truncated")
		return 0
	case n < 0:
		r.fail("varint overflows 64 bits")
		return 0
	case n > 1 && r.b[n-1] == 0:
		r.fail("non-minimal varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// varint reads a minimally encoded zig-zag signed varint.
func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) uint32() uint32 {
	v := r.uvarint()
	if v > math.MaxUint32 {
		r.fail("value %d exceeds 32 bits", v)
		return 0
	}
	return uint32(v)
}

// count reads an element count and rejects it if that many elements of at least
// minSize bytes each cannot fit in the remaining input.
func (r *reader) count(minSize int) int {
	v := r.uvarint()
	if r.err == nil && v > uint64(r.left()/minSize) {
		r.fail("count %d exceeds the remaining %d bytes", v, r.left())
		return 0
	}
	return int(v)
}

// str reads a length-prefixed string of at most max bytes.
func (r *reader) str(max int) string {
	n := r.uvarint()
	if r.err == nil && n > uint64(max) {
		r.fail("string of %d bytes exceeds %d", n, max)
		return ""
	}
	return string(r.next(int(n)))
}

// magic consumes the magic and version prefix.
func (r *reader) magic(magic string) error {
	if string(r.next(len(magic))) != magic {
		return formatErr("bad magic")
	}
	v := r.uvarint()
	if r.err != nil {
		return r.err
	}
	if v != Version {
		return fmt.Errorf("%w %d", ErrVersion, v)
	}
	return nil
}

// ValidPackName reports whether name is a valid pack name: 1 to 64 characters,
// each a digit or a lower-case ASCII letter.
func ValidPackName(name string) bool {
	if len(name) == 0 || len(name) > maxPackName {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

const maxPackName = 64
