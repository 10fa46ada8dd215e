package chunkstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Splitting a stream whose last version's chunks are known. restic/chunker
// resets its state at every cut (see splitpar.go), so where it cuts a chunk
// depends only on the bytes from the chunk's start: if the stream holds, at a
// cut, the bytes of a chunk that a chunker of the same polynomial and class
// cut from a fresh start, and not at the end of its stream, the chunker cuts
// there again. The bytes are proven the same by the chunk's ID (keyed BLAKE3),
// which is computed anyway. So a stream that repeats its last version costs
// one BLAKE3 pass instead of the chunker's rolling hash, which was 45 % of a
// warm publish's CPU (a 470 MB database, nothing changed). The chunks, and so
// the calls of fn, are exactly Split's.

// KnownChunks is the chunk list of a stream's last version: Len chunks, the
// i-th with ID id and length n.
type KnownChunks interface {
	Len() int
	At(i int) (id ID, n uint32)
}

// splitKnownBuf is the read buffer of SplitKnown: room for the chunker's
// read-ahead (512 KiB) and a Max chunk of every class.
const splitKnownBuf = 2 << 20

// SplitKnown is Split for a stream whose last version was cut into known (in
// stream order, by a Splitter with the same polynomial and class, into chunks
// with IDs made by id). It gives fn each chunk with its ID, id(chunk). Where
// the stream repeats its last version, a chunk is taken whole when its ID
// proves it is the next known chunk; elsewhere the chunker cuts until a chunk
// is one of known again. The stream's last known chunk is never taken whole:
// the end of the stream may have cut it short. Errors are Split's. Memory: the
// read buffer (2 MiB) and, from the first chunk that is not the next known
// one, an index of known (16 bytes a chunk).
func (s *Splitter) SplitKnown(ctx context.Context, r io.Reader, class Class, known KnownChunks, id func([]byte) ID, fn func(chunk []byte, id ID) error) error {
	prm := class.Params()
	if prm.Max == 0 {
		return fmt.Errorf("split: unknown stream class %d", uint8(class))
	}
	w := &window{r: r, buf: make([]byte, splitKnownBuf)}
	var at *knownIndex // made at the first miss
	k := 0             // the known chunk the stream is expected to go on with
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("split: %w", err)
		}
		if k < known.Len()-1 {
			kid, kn := known.At(k)
			if n := int(kn); uint(n) >= prm.Min && uint(n) <= prm.Max {
				if err := w.fill(n); err != nil {
					return err
				}
				if w.end-w.pos >= int64(n) {
					c := w.at(w.pos, n)
					if cid := id(c); cid == kid {
						if err := fn(c, cid); err != nil {
							return err
						}
						w.pos += int64(n)
						k++
						continue
					}
				}
			}
		}
		// Not the next known chunk: cut with a chunker from here until a chunk
		// is a known one.
		if at == nil {
			at = indexKnown(known)
		}
		var err error
		k, err = s.cutUntilKnown(ctx, w, prm, at, id, fn)
		if err != nil || k < 0 {
			return err
		}
	}
}

// cutUntilKnown runs a fresh chunker from w.pos, a cut, and gives fn its
// chunks until one is in at; it returns the index of the known chunk after
// it, or -1 at the end of the stream.
//
// The chunker reads 512 KiB ahead, a copy each time it starts, while a changed
// region is mostly a chunk or two: it reads a window of cutAhead chunks of Max
// bytes, cut short as if the stream ended there. A chunk that ends where the
// window does may be cut short: it is cut again by a chunker reading a window
// twice as long (the copies of a long changed region stay about as long as it).
func (s *Splitter) cutUntilKnown(ctx context.Context, w *window, prm Params, at *knownIndex, id func([]byte) ID, fn func([]byte, ID) error) (int, error) {
	ahead := int64(cutAhead * prm.Max)
	for {
		v := &windowReader{w: w, pos: w.pos, lim: w.pos + ahead}
		i, again, err := s.cutIn(ctx, w, v, prm, at, id, fn)
		if err != nil || !again {
			return i, err
		}
		ahead = min(2*ahead, maxCutAhead)
	}
}

// cutAhead is how many Max chunks cutUntilKnown's first window holds, and
// maxCutAhead the most bytes a window holds (the chunker's own buffer).
const (
	cutAhead    = 2
	maxCutAhead = 512 << 10
)

// cutIn is cutUntilKnown with one chunker reading v; it stops (again) before
// a chunk that ends where v was cut short, or at v's end. (A chunk the chunker
// returns before it reads v's end was cut by the content or Max.)
func (s *Splitter) cutIn(ctx context.Context, w *window, v *windowReader, prm Params, at *knownIndex, id func([]byte) ID, fn func([]byte, ID) error) (next int, again bool, err error) {
	st := s.chunker(v, prm)
	defer s.put(st, prm)
	for {
		if err := ctx.Err(); err != nil {
			return 0, false, fmt.Errorf("split: %w", err)
		}
		c, err := st.c.Next(st.buf)
		if errors.Is(err, io.EOF) {
			return -1, v.cut, nil // the stream's end, or v's
		}
		if err != nil {
			return 0, false, err // a read error, wrapped by more
		}
		if v.cut && w.pos+int64(c.Length) == v.lim {
			return 0, true, nil // cut short, or not: cut it again
		}
		cid := id(c.Data)
		if err := fn(c.Data, cid); err != nil {
			return 0, false, err
		}
		w.pos += int64(c.Length)
		if i, ok := at.find(cid); ok {
			return i + 1, false, nil
		}
	}
}

// knownIndex finds a chunk in a known list: the list's positions sorted by
// their IDs' first 8 bytes (16 bytes a chunk; a map took ≈ 80).
type knownIndex struct {
	known KnownChunks
	keys  []knownKey
}

type knownKey struct {
	prefix uint64
	i      uint32
}

func indexKnown(known KnownChunks) *knownIndex {
	x := &knownIndex{known: known, keys: make([]knownKey, known.Len())}
	for i := range x.keys {
		id, _ := known.At(i)
		x.keys[i] = knownKey{binary.LittleEndian.Uint64(id[:]), uint32(i)}
	}
	slices.SortFunc(x.keys, func(a, b knownKey) int { return cmp.Or(cmp.Compare(a.prefix, b.prefix), cmp.Compare(a.i, b.i)) })
	return x
}

// find returns the first position of id in the list.
func (x *knownIndex) find(id ID) (int, bool) {
	p := binary.LittleEndian.Uint64(id[:])
	j, _ := slices.BinarySearchFunc(x.keys, p, func(k knownKey, p uint64) int { return cmp.Compare(k.prefix, p) })
	for ; j < len(x.keys) && x.keys[j].prefix == p; j++ {
		if kid, _ := x.known.At(int(x.keys[j].i)); kid == id {
			return int(x.keys[j].i), true
		}
	}
	return 0, false
}

// window holds the bytes of a stream from pos, the start of the next chunk,
// to end (stream offsets), and reads more on demand.
type window struct {
	r        io.Reader
	buf      []byte // buf[0] is the stream's byte at off
	off      int64
	pos, end int64
	eof      bool
	err      error // a read error: returned once the bytes before it are used
}

// at returns n bytes of the stream at offset p, which the window holds.
func (w *window) at(p int64, n int) []byte {
	i := int(p - w.off)
	return w.buf[i : i+n]
}

// fill reads until the window holds n bytes from pos, or the stream ends.
// It fails only with a read error, and only when no bytes are left before it.
func (w *window) fill(n int) error {
	for w.end-w.pos < int64(n) && !w.eof {
		w.more()
	}
	if w.end == w.pos && w.err != nil {
		return w.err
	}
	return nil
}

// more reads once into the window, first moving the bytes from pos to the
// front if the buffer is full (and growing it if they fill it).
func (w *window) more() {
	if int(w.end-w.off) == len(w.buf) {
		copy(w.buf, w.buf[w.pos-w.off:w.end-w.off])
		w.off = w.pos
		if int(w.end-w.off) == len(w.buf) {
			w.buf = append(w.buf, make([]byte, len(w.buf))...)
		}
	}
	n, err := w.r.Read(w.buf[w.end-w.off:])
	w.end += int64(n)
	switch {
	case err == io.EOF:
		w.eof = true
	case err != nil:
		w.eof, w.err = true, fmt.Errorf("split: read: %w", err)
	}
}

// windowReader reads the stream from pos to lim through a window; its bytes
// stay in the window from the window's pos on. At lim it ends; cut says
// whether the stream goes on after lim.
type windowReader struct {
	w        *window
	pos, lim int64
	cut      bool
}

func (r *windowReader) Read(p []byte) (int, error) {
	w := r.w
	for r.pos == w.end && r.pos < r.lim {
		if w.eof {
			if w.err != nil {
				return 0, w.err
			}
			return 0, io.EOF
		}
		w.more()
	}
	if r.pos == r.lim {
		for w.end == r.lim && !w.eof {
			w.more() // does the stream end here?
		}
		r.cut = w.end > r.lim || w.err != nil
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), r.lim-r.pos)], w.buf[r.pos-w.off:w.end-w.off])
	r.pos += int64(k)
	return k, nil
}
