package chunkstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/restic/chunker"
)

// Parallel splitting. restic/chunker resets its state at every cut, so after a
// cut it is in the state of a chunker started fresh at that byte. The cuts of a
// stream can therefore be found segment by segment, in parallel, each segment by
// a fresh chunker, and joined exactly: from the last cut one segment's chunker
// found, a fresh chunker runs on (into the next segment) until it cuts where the
// next segment's chunker cut too; from there on the two agree. Only that join
// (about one chunk either side of each segment boundary) runs in order.
//
// Measured on the bench's 315 MB dump (2 cores): the chunker was 31 % of a daily
// publish's CPU, in one goroutine per stream; with this, a daily publish of the
// dump is ready 14 % sooner (bench/RESULTS.md, "Parallel splitter").

// splitSegment is the unit of parallel cut-finding: large next to the largest
// chunk of a class (the join costs about a chunk or two per segment), small
// enough that a stream holds only a few at once.
const splitSegment = 1 << 20

// maxSplitters bounds the goroutines, and so the segments (n+2 MiB), of one
// SplitParallel: publish splits several files at once, one per core, and four
// chunkers (≈ 600 MB/s each) outrun what a core seals.
const maxSplitters = 4

// segment is splitSegment bytes of a stream at off, and the ends (stream
// offsets) of the chunks a chunker started fresh at off cuts in them, without
// the last one, which the segment's end may have cut short.
type segment struct {
	off   int64
	data  []byte
	cuts  []int64
	ready chan struct{} // closed when cuts is final
}

func (g *segment) end() int64 { return g.off + int64(len(g.data)) }

// SplitParallel is Split with the cut points of the stream's segments (1 MiB
// each) found by up to n goroutines at once (at most maxSplitters); for a stream
// read without error the chunks, and so the calls of fn, are exactly Split's. r
// is read only from the calling goroutine and not after SplitParallel returns. A
// stream shorter than two segments (when r can tell: a file, a bytes.Reader),
// or n < 2, is split by Split. It holds about n+2 segments.
func (s *Splitter) SplitParallel(ctx context.Context, r io.Reader, class Class, n int, fn func(chunk []byte) error) error {
	prm, err := splitParams(class)
	if err != nil {
		return err
	}
	if size, ok := sizeOf(r); n < 2 || ok && size < 2*splitSegment {
		// Small files are most files: reading each into a fresh segment buffer
		// made a publish of 10,000 small files 3× slower (measured).
		return s.Split(ctx, r, class, fn)
	}
	n = min(n, maxSplitters)
	j := &joiner{s: s, prm: prm, r: r, sem: make(chan struct{}, n)}
	defer j.close()
	first, err := j.read()
	if err != nil || first == nil {
		return err
	}
	if j.eof { // one short segment: nothing to do in parallel
		close(first.ready) // no cuts to find
		if err := s.Split(ctx, bytes.NewReader(first.data), class, fn); err != nil {
			return err
		}
		return j.rerr
	}
	j.find(first)
	return j.run(ctx, first, n, fn)
}

// joiner reads a stream in segments, has their cuts found in parallel, and
// joins them.
type joiner struct {
	s   *Splitter
	prm Params
	r   io.Reader
	sem chan struct{} // bounds the cut-finding goroutines
	wg  sync.WaitGroup

	win  []*segment // read and not yet passed, in stream order
	free [][]byte   // buffers of passed segments, for the next ones
	next int64      // stream offset of the next segment to read
	eof  bool
	rerr error // read error, returned once the bytes before it are split
}

// pull reads the next segment and starts finding its cuts. It returns nil at
// the end of the stream (and the read error, if reading failed).
func (j *joiner) pull() (*segment, error) {
	g, err := j.read()
	if g != nil {
		j.find(g)
	}
	return g, err
}

// read reads the next segment into the window.
func (j *joiner) read() (*segment, error) {
	if j.eof {
		return nil, j.rerr
	}
	// Buffers are reused within the stream, not taken from a sync.Pool: the
	// collector empties a pool, and fresh memory costs page faults on every
	// read (measured: 10 % of a daily publish's CPU in the kernel's copy).
	var buf []byte
	if n := len(j.free); n > 0 {
		buf, j.free = j.free[n-1], j.free[:n-1]
	} else {
		buf = make([]byte, splitSegment)
	}
	k, err := io.ReadFull(j.r, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		j.eof = true
	case err != nil:
		j.eof, j.rerr = true, fmt.Errorf("split: read: %w", err)
	}
	if k == 0 {
		j.free = append(j.free, buf)
		return nil, j.rerr
	}
	g := &segment{off: j.next, data: buf[:k], ready: make(chan struct{})}
	j.next += int64(k)
	j.win = append(j.win, g)
	return g, nil
}

// find starts finding g's cuts in a goroutine of its own.
func (j *joiner) find(g *segment) {
	j.sem <- struct{}{}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer func() { <-j.sem }()
		j.findCuts(g)
	}()
}

// findCuts runs a fresh chunker over g's bytes alone.
func (j *joiner) findCuts(g *segment) {
	defer close(g.ready)
	st := j.s.chunker(bytes.NewReader(g.data), j.prm)
	defer j.s.put(st, j.prm)
	pos := g.off
	for {
		c, err := st.c.Next(st.buf)
		if err != nil { // io.EOF: a bytes.Reader fails no other way
			break
		}
		pos += int64(c.Length)
		g.cuts = append(g.cuts, pos)
	}
	if len(g.cuts) > 0 {
		g.cuts = g.cuts[:len(g.cuts)-1]
	}
}

// at returns the segment holding the byte before stream offset end, reading
// segments as needed.
func (j *joiner) at(end int64) *segment {
	for {
		for _, g := range j.win {
			if g.off < end && end <= g.end() {
				return g
			}
		}
		if g, _ := j.pull(); g == nil {
			return nil
		}
	}
}

// drop releases the segments that end at or before pos.
func (j *joiner) drop(pos int64) {
	for len(j.win) > 0 && j.win[0].end() <= pos {
		g := j.win[0]
		<-g.ready // its cut-finding goroutine may still read it
		j.free = append(j.free, g.data[:splitSegment])
		j.win = j.win[1:]
	}
}

// close waits for the cut-finding goroutines and releases every segment.
func (j *joiner) close() {
	j.wg.Wait()
	j.drop(j.next)
}

// run emits the chunks, starting with those of cur, whose chunker started at
// the stream's beginning.
func (j *joiner) run(ctx context.Context, cur *segment, n int, fn func([]byte) error) error {
	pos := int64(0) // the end of the last chunk given to fn: a cut of the whole stream
	for {
		// Cut-finding runs ahead of the join by up to n segments.
		for !j.eof && j.next < cur.end()+int64(n)*splitSegment {
			if _, err := j.pull(); err != nil {
				break // returned when the join reaches it
			}
		}
		<-cur.ready
		for _, c := range cur.cuts {
			if c <= pos {
				continue
			}
			if err := ctxErr(ctx); err != nil {
				return err
			}
			if err := fn(cur.data[pos-cur.off : c-cur.off]); err != nil {
				return err
			}
			pos = c
		}
		j.drop(pos)
		next, at, err := j.resync(ctx, pos, fn)
		if next == nil || err != nil {
			return err
		}
		cur, pos = next, at
	}
}

// resync runs a fresh chunker from pos, a cut of the stream, and gives fn its
// chunks until one ends at a cut of the segment it ends in: from there that
// segment's cuts are the stream's. It returns that segment and cut, or nil at
// the end of the stream.
func (j *joiner) resync(ctx context.Context, pos int64, fn func([]byte) error) (*segment, int64, error) {
	st := j.s.chunker(&streamReader{j: j, pos: pos}, j.prm)
	defer j.s.put(st, j.prm)
	for {
		if err := ctxErr(ctx); err != nil {
			return nil, 0, err
		}
		c, err := st.c.Next(st.buf)
		if errors.Is(err, io.EOF) {
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, err // a read error, already wrapped by read
		}
		if err := fn(c.Data); err != nil {
			return nil, 0, err
		}
		pos += int64(c.Length)
		g := j.at(pos)
		<-g.ready
		if _, ok := slices.BinarySearch(g.cuts, pos); ok {
			return g, pos, nil
		}
		// A run that does not meet the segments' cuts for long (zeros, say, where
		// every chunk is Max long and the phases differ) must not hold on to what
		// it has passed.
		j.drop(pos)
	}
}

// streamReader reads the stream from pos through the joiner's segments.
type streamReader struct {
	j   *joiner
	pos int64
}

func (r *streamReader) Read(p []byte) (int, error) {
	g := r.j.at(r.pos + 1)
	if g == nil {
		if r.j.rerr != nil {
			return 0, r.j.rerr
		}
		return 0, io.EOF
	}
	k := copy(p, g.data[r.pos-g.off:])
	r.pos += int64(k)
	return k, nil
}

// chunker returns a pooled chunker reading r with prm; put gives it back.
func (s *Splitter) chunker(r io.Reader, prm Params) *splitState {
	st, _ := s.state.Get().(*splitState)
	if st == nil {
		st = &splitState{c: chunker.NewWithBoundaries(nil, s.pol, prm.Min, prm.Max)}
	}
	st.c.ResetWithBoundaries(r, s.pol, prm.Min, prm.Max)
	st.c.SetAverageBits(prm.AvgBits)
	if cap(st.buf) < int(prm.Max) {
		st.buf = make([]byte, 0, prm.Max)
	}
	return st
}

func (s *Splitter) put(st *splitState, prm Params) {
	st.c.ResetWithBoundaries(nil, s.pol, prm.Min, prm.Max) // drop the reader
	s.state.Put(st)
}

// sizeOf returns how many bytes are left in r, if r can tell.
func sizeOf(r io.Reader) (int64, bool) {
	switch r := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(r.Len()), true
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return fi.Size() - off, true
	}
	return 0, false
}
