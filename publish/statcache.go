package publish

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"

	"github.com/zeebo/blake3"

	"synco/chunkstore"
	"synco/manifest"
)

// The stat cache file (files.cache in the state directory) is written and
// read in pieces: a file's chunk list is 36 bytes a chunk in it, and a 10 GB
// dump published with --stream is ≈ 1.3M chunks, which as JSON took ≈ 100
// bytes a chunk, encoded whole in memory (issue 15 §3). Format, version 1:
//
//	magic   "SYNCOSC" 0x01
//	entries until the checksum, each:
//	        key (uvarint length, bytes), class (byte), size, mtime, ctime
//	        (varints), ino, dev (uvarints), hash [32]byte, path (uvarint length,
//	        bytes), publication (varint), chunk count (uvarint), then per chunk
//	        its ID [32]byte and length (uvarint)
//	checksum BLAKE3-256 (unkeyed) of everything before it
//
// A damaged file only costs a re-read of the files; a JSON file of an earlier
// release is still read.
const statCacheMagic = "SYNCOSC\x01"

func writeStatCache(w io.Writer, m map[string]statEntry) error {
	h := blake3.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	b := []byte(statCacheMagic)
	for key, e := range m {
		b = appendStr(b, key)
		b = append(b, byte(e.Class))
		b = binary.AppendVarint(b, e.Size)
		b = binary.AppendVarint(b, e.MTime)
		b = binary.AppendVarint(b, e.CTime)
		b = binary.AppendUvarint(b, e.Ino)
		b = binary.AppendUvarint(b, e.Dev)
		b = append(b, e.Hash[:]...)
		b = appendStr(b, e.Path)
		b = binary.AppendVarint(b, int64(e.Publication))
		b = binary.AppendUvarint(b, uint64(len(e.Refs)))
		for _, r := range e.Refs {
			b = append(b, r.ID[:]...)
			b = binary.AppendUvarint(b, uint64(r.Len))
			if len(b) >= 32<<10 {
				bw.Write(b)
				b = b[:0]
			}
		}
		bw.Write(b)
		b = b[:0]
	}
	if err := bw.Flush(); err != nil { // sticky: the last write reports it
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errStatCache = errors.New("damaged stat cache")

// readStatCache reads the stat cache in f, of either format.
func readStatCache(f *os.File) (map[string]statEntry, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	var magic [len(statCacheMagic)]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != statCacheMagic {
		m := map[string]statEntry{}
		if err := json.NewDecoder(bufio.NewReader(io.NewSectionReader(f, 0, size))).Decode(&m); err != nil {
			return nil, err
		}
		return m, nil
	}
	if size < int64(len(statCacheMagic))+32 {
		return nil, errStatCache
	}
	h := blake3.New()
	r := &statReader{r: bufio.NewReaderSize(io.TeeReader(io.NewSectionReader(f, 0, size-32), h), 64<<10)}
	r.bytes(len(statCacheMagic))
	m := map[string]statEntry{}
	for r.err == nil {
		if _, err := r.r.Peek(1); err == io.EOF {
			break
		}
		key := r.str()
		e := statEntry{Class: chunkstore.Class(r.byte1()), Size: r.varint(), MTime: r.varint(), CTime: r.varint(), Ino: r.uvarint(), Dev: r.uvarint()}
		copy(e.Hash[:], r.bytes(32))
		e.Path = r.str()
		e.Publication = int(r.varint())
		n := r.uvarint()
		if n > uint64(size)/33 {
			return nil, errStatCache
		}
		e.Refs = make([]manifest.Ref, n)
		for i := range e.Refs {
			copy(e.Refs[i].ID[:], r.bytes(32))
			if l := r.uvarint(); l <= math.MaxUint32 {
				e.Refs[i].Len = uint32(l)
			} else {
				r.err = errStatCache
			}
		}
		m[key] = e
	}
	if r.err != nil {
		return nil, errStatCache
	}
	var sum [32]byte
	if _, err := f.ReadAt(sum[:], size-32); err != nil || !bytes.Equal(h.Sum(nil), sum[:]) {
		return nil, errStatCache
	}
	return m, nil
}

// statReader reads the stat cache's fields with a sticky error.
type statReader struct {
	r   *bufio.Reader
	buf [64]byte
	err error
}

func (r *statReader) bytes(n int) []byte {
	if r.err != nil {
		return r.buf[:n]
	}
	if _, err := io.ReadFull(r.r, r.buf[:n]); err != nil {
		r.err = errStatCache
	}
	return r.buf[:n]
}

func (r *statReader) byte1() byte { return r.bytes(1)[0] }

func (r *statReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.err = errStatCache
	}
	return v
}

func (r *statReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(r.r)
	if err != nil {
		r.err = errStatCache
	}
	return v
}

func (r *statReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > 1<<16 {
		r.err = errStatCache
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = errStatCache
	}
	return string(b)
}
