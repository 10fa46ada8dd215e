package chunkstore

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

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

func decodeIndex(b []byte) (packs []string, ents []indexEntry, err error) {
	const minSize = len(indexMagic) + 4 + 8 + 32
	if len(b) < minSize || string(b[:len(indexMagic)]) != indexMagic {
		return nil, nil, errIndexCorrupt
	}
	body, sum := b[:len(b)-32], b[len(b)-32:]
	if blake3.Sum256(body) != [32]byte(sum) {
		return nil, nil, fmt.Errorf("%w: checksum mismatch", errIndexCorrupt)
	}
	body = body[len(indexMagic):]

	np := uint64(binary.LittleEndian.Uint32(body))
	body = body[4:]
	if np*packNameBytes+8 > uint64(len(body)) {
		return nil, nil, errIndexCorrupt
	}
	packs = make([]string, np)
	for i := range packs {
		packs[i] = hex.EncodeToString(body[:packNameBytes])
		body = body[packNameBytes:]
	}
	ne := binary.LittleEndian.Uint64(body)
	body = body[8:]
	if ne != uint64(len(body))/indexEntrySize || uint64(len(body))%indexEntrySize != 0 {
		return nil, nil, errIndexCorrupt
	}
	ents = make([]indexEntry, ne)
	for i := range ents {
		e := &ents[i]
		e.id = ID(body[:32])
		e.pack = binary.LittleEndian.Uint32(body[32:])
		e.off = binary.LittleEndian.Uint32(body[36:])
		e.len = binary.LittleEndian.Uint32(body[40:])
		body = body[indexEntrySize:]
		if uint64(e.pack) >= np || e.len > MaxSealedSize {
			return nil, nil, errIndexCorrupt
		}
	}
	return packs, ents, nil
}
