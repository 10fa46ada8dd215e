package chunkstore

import (
	"context"
	"errors"
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

// Known is a chunk of a stream's last version: its ID and length.
type Known struct {
	ID  ID
	Len uint32
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
// the end of the stream may have cut it short. Errors are Split's.
func (s *Splitter) SplitKnown(ctx context.Context, r io.Reader, class Class, known []Known, id func([]byte) ID, fn func(chunk []byte, id ID) error) error {
	prm := class.Params()
	if prm.Max == 0 {
		return fmt.Errorf("split: unknown stream class %d", uint8(class))
	}
	w := &window{r: r, buf: make([]byte, splitKnownBuf)}
	var at map[ID]int // known chunk → its index; made at the first miss
	k := 0            // the known chunk the stream is expected to go on with
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("split: %w", err)
		}
		if k < len(known)-1 && uint(known[k].Len) >= prm.Min && uint(known[k].Len) <= prm.Max {
			n := int(known[k].Len)
			if err := w.fill(n); err != nil {
				return err
			}
			if w.end-w.pos >= int64(n) {
				c := w.at(w.pos, n)
				if cid := id(c); cid == known[k].ID {
					if err := fn(c, cid); err != nil {
						return err
					}
					w.pos += int64(n)
					k++
					continue
				}
			}
		}
		// Not the next known chunk: cut with a chunker from here until a chunk
		// is a known one.
		if at == nil {
			at = make(map[ID]int, len(known))
			for i := len(known) - 1; i >= 0; i-- {
				at[known[i].ID] = i
			}
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
func (s *Splitter) cutUntilKnown(ctx context.Context, w *window, prm Params, at map[ID]int, id func([]byte) ID, fn func([]byte, ID) error) (int, error) {
	v := &windowReader{w: w, pos: w.pos}
	st := s.chunker(v, prm)
	defer s.put(st, prm)
	for {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("split: %w", err)
		}
		c, err := st.c.Next(st.buf)
		if errors.Is(err, io.EOF) {
			return -1, nil
		}
		if err != nil {
			return 0, err // a read error, wrapped by fill
		}
		cid := id(c.Data)
		if err := fn(c.Data, cid); err != nil {
			return 0, err
		}
		w.pos += int64(c.Length)
		if i, ok := at[cid]; ok {
			return i + 1, nil
		}
	}
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

// windowReader reads the stream from pos through a window; its bytes stay
// in the window from the window's pos on.
type windowReader struct {
	w   *window
	pos int64
}

func (r *windowReader) Read(p []byte) (int, error) {
	w := r.w
	for r.pos == w.end {
		if w.eof {
			if w.err != nil {
				return 0, w.err
			}
			return 0, io.EOF
		}
		w.more()
	}
	k := copy(p, w.buf[r.pos-w.off:w.end-w.off])
	r.pos += int64(k)
	return k, nil
}
