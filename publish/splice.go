package publish

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"sync"

	"synco/chunkstore"
)

// Splices (chunkstore SPEC.md, "Splices"). A changed row changes one database
// chunk in place: the new chunk keeps the old one's first or last bytes, since
// content-defined boundaries do not move. So a new database chunk is tried as a
// splice of the chunk of the last publish that began or ended with the same
// fingerLen bytes. That needs no alignment of the chunk lists (so chunks are
// still hashed and sealed in parallel), and a chunk of new data, such as a
// refilled cache table, rarely matches and costs no base to open.
const fingerLen = 8

// The db-chunks file (State, basesFile) lists the database chunks of a
// publish: records of baseRecSize bytes back to back, each a chunk's ID and its
// first and last fingerLen bytes as two little-endian uint64 (head, tail).
const baseRecSize = 32 + 2*8

// baseLog records the database chunks of this publish, the next one's bases,
// in an unnamed temporary file in the state directory: 48 bytes a chunk on
// disk, none in memory (issue 15 §3). Safe for concurrent use.
type baseLog struct {
	dir string // where the file is made

	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	n   int   // records written
	err error // the first failure: the log is lost, so is the next publish's splices
}

func fingers(plain []byte) (head, tail uint64, ok bool) {
	if len(plain) < 2*fingerLen {
		return 0, 0, false
	}
	return binary.LittleEndian.Uint64(plain), binary.LittleEndian.Uint64(plain[len(plain)-fingerLen:]), true
}

// add records a database chunk of this publish.
func (l *baseLog) add(id chunkstore.ID, plain []byte) {
	h, t, ok := fingers(plain)
	if !ok {
		return
	}
	var rec [baseRecSize]byte
	copy(rec[:], id[:])
	binary.LittleEndian.PutUint64(rec[32:], h)
	binary.LittleEndian.PutUint64(rec[40:], t)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	if l.f == nil {
		f, err := os.CreateTemp(l.dir, basesFile+".tmp-*")
		if err != nil {
			l.err = err
			return
		}
		os.Remove(f.Name()) // unnamed: a crash leaves nothing behind
		l.f, l.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	if _, err := l.w.Write(rec[:]); err != nil {
		l.err = err
		return
	}
	l.n++
}

// each calls fn with every record added; call it once adding is over.
func (l *baseLog) each(fn func(rec []byte)) error {
	if l.err != nil || l.f == nil {
		return l.err
	}
	if err := l.w.Flush(); err != nil {
		return err
	}
	return eachRec(io.NewSectionReader(l.f, 0, int64(l.n)*baseRecSize), fn)
}

// close removes the log.
func (l *baseLog) close() {
	if l.f != nil {
		l.f.Close()
		l.f, l.w = nil, nil
	}
}

// eachRec calls fn with each record of r (a db-chunks file).
func eachRec(r io.Reader, fn func(rec []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var rec [baseRecSize]byte
	for {
		if _, err := io.ReadFull(br, rec[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		fn(rec[:])
	}
}

// baseIndex is the database chunks of the last publish, which this one looks
// splice bases up in (candidates): their heads and tails sorted in memory, 24
// bytes a chunk, and the db-chunks file, where a matching chunk's ID is read.
type baseIndex struct {
	f          *os.File
	head, tail fingerList
}

// fingerList is heads (or tails) of the records, sorted by value and then by
// record: v[j] is a value, i[j] its record.
type fingerList struct {
	v []uint64
	i []uint32
}

// openBases opens the db-chunks file at path; nil if there is none or it is
// damaged (the publish then has no splices; nothing else depends on it).
func openBases(path string) *baseIndex {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	x, err := readBases(f)
	if err != nil {
		f.Close()
		return nil
	}
	return x
}

func readBases(f *os.File) (*baseIndex, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n := fi.Size() / baseRecSize
	if fi.Size()%baseRecSize != 0 || n > math.MaxUint32 {
		return nil, errors.New("damaged")
	}
	type finger struct {
		v uint64
		i uint32
	}
	heads, tails := make([]finger, 0, n), make([]finger, 0, n)
	err = eachRec(io.NewSectionReader(f, 0, fi.Size()), func(rec []byte) {
		i := uint32(len(heads))
		heads = append(heads, finger{binary.LittleEndian.Uint64(rec[32:]), i})
		tails = append(tails, finger{binary.LittleEndian.Uint64(rec[40:]), i})
	})
	if err != nil {
		return nil, err
	}
	// Of chunks with the same head or tail, the first recorded wins.
	list := func(fs []finger) fingerList {
		slices.SortFunc(fs, func(a, b finger) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.i, b.i)) })
		l := fingerList{make([]uint64, len(fs)), make([]uint32, len(fs))}
		for j, f := range fs {
			l.v[j], l.i[j] = f.v, f.i
		}
		return l
	}
	x := &baseIndex{f: f, head: list(heads)}
	heads = nil
	x.tail = list(tails)
	return x, nil
}

// close closes the file; safe on nil.
func (x *baseIndex) close() {
	if x != nil {
		x.f.Close()
	}
}

// lookup returns the record of the first finger with value v.
func (l fingerList) lookup(v uint64) (uint32, bool) {
	j, ok := slices.BinarySearch(l.v, v)
	if !ok {
		return 0, false
	}
	return l.i[j], true
}

// id reads the ID of record i.
func (x *baseIndex) id(i uint32) (chunkstore.ID, bool) {
	var id chunkstore.ID
	_, err := x.f.ReadAt(id[:], int64(i)*baseRecSize)
	return id, err == nil
}

// candidates returns the chunks that begin or end like plain (at most two).
func (x *baseIndex) candidates(plain []byte) []chunkstore.ID {
	h, t, ok := fingers(plain)
	if x == nil || !ok {
		return nil
	}
	var ids []chunkstore.ID
	hi, hok := x.head.lookup(h)
	if hok {
		if id, ok := x.id(hi); ok {
			ids = append(ids, id)
		}
	}
	if ti, ok := x.tail.lookup(t); ok && (!hok || ti != hi) {
		if id, ok := x.id(ti); ok && (len(ids) == 0 || ids[0] != id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// each calls fn with every record of the file.
func (x *baseIndex) each(fn func(rec []byte)) error {
	fi, err := x.f.Stat()
	if err != nil {
		return err
	}
	return eachRec(io.NewSectionReader(x.f, 0, fi.Size()), fn)
}
