package chunkstore

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zeebo/blake3"
)

// Pack index file format, version 1 (SPEC.md); all integers little endian:
//
//	magic    "SYNCOPI" 0x01
//	packs    u32, then that many 16-byte pack names (the hex names decoded)
//	entries  u64, then that many {id [32]byte, pack u32, off u32, len u32},
//	         sorted by pack, then offset
//	checksum BLAKE3-256 (unkeyed) of everything before it
const (
	indexMagic     = "SYNCOPI\x01"
	indexEntrySize = 32 + 4 + 4 + 4
	packNameBytes  = 16
)

var errIndexCorrupt = errors.New("corrupt pack index")

// entry locates a sealed chunk: pack number, offset and length.
type entry struct{ pack, off, len uint32 }

type indexEntry struct {
	id ID
	entry
}

// writeIndex writes the index file to w, in pieces: the file is not held in
// memory besides the sorted entries (issue 15 §3).
func writeIndex(w io.Writer, packs []string, index *idTable) error {
	order := index.byLocation()

	h := blake3.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	b := make([]byte, 0, len(indexMagic)+4+8+indexEntrySize)
	b = append(b, indexMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(packs)))
	bw.Write(b)
	for _, name := range packs {
		b, _ = hex.AppendDecode(b[:0], []byte(name)) // names are valid: we made or checked them
		bw.Write(b)
	}
	bw.Write(binary.LittleEndian.AppendUint64(b[:0], uint64(len(order))))
	for _, i := range order {
		e := index.at(i)
		b = append(b[:0], e.id[:]...)
		b = binary.LittleEndian.AppendUint32(b, e.pack)
		b = binary.LittleEndian.AppendUint32(b, e.off)
		b = binary.LittleEndian.AppendUint32(b, e.len)
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil { // a write error is sticky in bw: the last one reports it
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

// indexFile is an index file whose format and checksum were checked: its
// packs, the end of the last chunk in each, and its entries to read (each).
// It is read twice, in pieces, and never held whole: a store of 1.3M chunks
// has a 57 MB index (issue 15 §3).
type indexFile struct {
	f     *os.File
	packs []string
	need  []int64 // per pack: the largest offset+length of its chunks
	n     uint64  // entries
	start int64   // offset of the first entry
}

// openIndex opens and checks the index file at path; an error wrapping
// fs.ErrNotExist if there is none, errIndexCorrupt if it is damaged.
func openIndex(path string) (*indexFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	x := &indexFile{f: f}
	if err := x.check(); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *indexFile) check() error {
	fi, err := x.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	const minSize = len(indexMagic) + 4 + 8 + 32
	if size < int64(minSize) {
		return errIndexCorrupt
	}
	h := blake3.New()
	r := bufio.NewReaderSize(io.TeeReader(io.NewSectionReader(x.f, 0, size-32), h), 64<<10)
	head := make([]byte, len(indexMagic)+4)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(indexMagic)]) != indexMagic {
		return errIndexCorrupt
	}
	np := uint64(binary.LittleEndian.Uint32(head[len(indexMagic):]))
	if uint64(size) < uint64(minSize)+np*packNameBytes {
		return errIndexCorrupt
	}
	x.packs, x.need = make([]string, np), make([]int64, np)
	var name [packNameBytes]byte
	for i := range x.packs {
		if _, err := io.ReadFull(r, name[:]); err != nil {
			return errIndexCorrupt
		}
		x.packs[i] = hex.EncodeToString(name[:])
	}
	var cnt [8]byte
	if _, err := io.ReadFull(r, cnt[:]); err != nil {
		return errIndexCorrupt
	}
	x.n = binary.LittleEndian.Uint64(cnt[:])
	x.start = int64(len(indexMagic)) + 4 + int64(np)*packNameBytes + 8
	if rest := uint64(size - x.start - 32); rest%indexEntrySize != 0 || x.n != rest/indexEntrySize {
		return errIndexCorrupt
	}
	err = eachEntry(r, x.n, func(e indexEntry) error {
		if uint64(e.pack) >= np || e.len > MaxSealedSize {
			return errIndexCorrupt
		}
		x.need[e.pack] = max(x.need[e.pack], int64(e.off)+int64(e.len))
		return nil
	})
	if err != nil {
		return err
	}
	var sum [32]byte
	if _, err := x.f.ReadAt(sum[:], size-32); err != nil {
		return err
	}
	if [32]byte(h.Sum(nil)) != sum {
		return fmt.Errorf("%w: checksum mismatch", errIndexCorrupt)
	}
	return nil
}

// each reads the entries again, in file order (checked by openIndex; a file
// changed since is caught by the pack store's lock, not here).
func (x *indexFile) each(fn func(indexEntry) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(x.f, x.start, int64(x.n)*indexEntrySize), 64<<10)
	return eachEntry(r, x.n, fn)
}

func (x *indexFile) close() { x.f.Close() }

func eachEntry(r io.Reader, n uint64, fn func(indexEntry) error) error {
	var b [indexEntrySize]byte
	for range n {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return errIndexCorrupt
		}
		e := indexEntry{id: ID(b[:32])}
		e.pack = binary.LittleEndian.Uint32(b[32:])
		e.off = binary.LittleEndian.Uint32(b[36:])
		e.len = binary.LittleEndian.Uint32(b[40:])
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
