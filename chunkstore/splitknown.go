package chunkstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
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
// with IDs made by k). It gives fn each chunk with its ID, k.ID(chunk). Where
// the stream repeats its last version, a chunk is taken whole when its ID
// proves it is the next known chunk; elsewhere the chunker cuts until a chunk
// is one of known again. The stream's last known chunk is never taken whole:
// the end of the stream may have cut it short. Errors are Split's. Memory: the
// read buffer (2 MiB) and, from the first chunk that is not the next known
// one, an index of known (5–11 bytes a chunk).
func (s *Splitter) SplitKnown(ctx context.Context, r io.Reader, class Class, known KnownChunks, k *Keys, fn func(chunk []byte, id ID) error) error {
	prm, err := splitParams(class)
	if err != nil {
		return err
	}
	w := &window{r: r, buf: make([]byte, splitKnownBuf)}
	var at *knownIndex // made at the first miss
	next := 0          // the known chunk the stream is expected to go on with
	for {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		if next < known.Len()-1 {
			kid, kn := known.At(next)
			if n := int(kn); uint(n) >= prm.Min && uint(n) <= prm.Max {
				if err := w.fill(n); err != nil {
					return err
				}
				if w.end-w.pos >= int64(n) {
					c := w.at(w.pos, n)
					if cid := k.ID(c); cid == kid {
						if err := fn(c, cid); err != nil {
							return err
						}
						w.pos += int64(n)
						next++
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
		next, err = s.cutUntilKnown(ctx, w, prm, at, k, fn)
		if err != nil || next < 0 {
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
// bytes, cut short as if the stream ended there. A chunk the chunker returns
// before it reads the window's end was cut by the content or Max; one that
// ends there may be cut short: it is cut again from a window twice as long
// (the copies of a long changed region stay about as long as it).
func (s *Splitter) cutUntilKnown(ctx context.Context, w *window, prm Params, at *knownIndex, k *Keys, fn func([]byte, ID) error) (int, error) {
	st := s.chunker(nil, prm)
	defer s.put(st, prm)
	ahead := int64(cutAhead * prm.Max)
	for {
		if err := w.fill(int(ahead)); err != nil {
			return 0, err
		}
		lim := min(w.end, w.pos+ahead)
		// The stream may go on after lim (or failed there: the bytes before a
		// read error are split, the piece before it is not a chunk).
		cut := lim < w.end || !w.eof || w.err != nil
		st.c.ResetWithBoundaries(bytes.NewReader(w.at(w.pos, int(lim-w.pos))), s.pol, prm.Min, prm.Max)
		st.c.SetAverageBits(prm.AvgBits)
		for {
			if err := ctxErr(ctx); err != nil {
				return 0, err
			}
			c, err := st.c.Next(st.buf) // io.EOF at lim: a bytes.Reader fails no other way
			if cut && (err != nil || w.pos+int64(c.Length) == lim) {
				break
			}
			if err != nil {
				return -1, nil
			}
			cid := k.ID(c.Data)
			if err := fn(c.Data, cid); err != nil {
				return 0, err
			}
			w.pos += int64(c.Length)
			if i, ok := at.find(cid); ok {
				return i + 1, nil
			}
		}
		if lim == w.end && w.err != nil {
			return 0, w.err
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

// knownIndex finds a chunk in a known list: an open-addressing table (linear
// probing, at most ¾ full) of positions in the list, found by the first 8
// bytes of the ID (keyed hashes: uniform), as idTable does; 5–11 bytes a chunk.
type knownIndex struct {
	known KnownChunks
	slots []uint32 // position + 1; 0: free
}

func indexKnown(known KnownChunks) *knownIndex {
	n := 8
	for n < known.Len()*4/3+1 {
		n *= 2
	}
	x := &knownIndex{known: known, slots: make([]uint32, n)}
	for i := range known.Len() {
		id, _ := known.At(i)
		if s, ok := x.slot(id); !ok {
			x.slots[s] = uint32(i) + 1 // the first of equal chunks wins
		}
	}
	return x
}

// slot returns the slot of id, or the free slot where it would go.
func (x *knownIndex) slot(id ID) (int, bool) {
	mask := len(x.slots) - 1
	for s := int(binary.LittleEndian.Uint64(id[:8]) & uint64(mask)); ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			return s, false
		}
		if kid, _ := x.known.At(int(v - 1)); kid == id {
			return s, true
		}
	}
}

// find returns the first position of id in the list.
func (x *knownIndex) find(id ID) (int, bool) {
	s, ok := x.slot(id)
	if !ok {
		return 0, false
	}
	return int(x.slots[s] - 1), true
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
