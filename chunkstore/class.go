package chunkstore

import "fmt"

// Class is the kind of a stream; it decides the chunking parameters. The
// parameters of a class are part of the store's format: changing them makes
// every chunk new.
type Class uint8

const (
	ClassFile Class = 1 // uploaded files: large chunks
	ClassDB   Class = 2 // SQL dumps: small chunks (DESIGN §3: ≈4–16 KiB average)
	ClassMeta Class = 3 // manifests: medium chunks
)

// Params are content-defined chunking boundaries in restic/chunker's terms:
// chunks are at least Min and at most Max bytes (except a stream's last
// chunk, which may be shorter than Min), and after Min a boundary is found on
// average every 1<<AvgBits bytes, so the mean chunk is about Min + 1<<AvgBits.
type Params struct {
	Min, Max uint
	AvgBits  int
}

// MaxChunkSize is the largest plaintext chunk of any class, and the largest
// that Seal accepts and Open returns.
const MaxChunkSize = 8 << 20

// Params returns the chunking parameters of c, or the zero Params for an
// unknown class.
//
//	class  min      mean≈    max
//	File   64 KiB   192 KiB  1 MiB
//	DB     2 KiB    10 KiB   64 KiB
//	Meta   2 KiB    6 KiB    64 KiB
//
// File was 256 KiB / 1.25 MiB / 8 MiB; an append or a small patch re-sent a
// whole chunk. Measured on the bench's files day 1 → day 2 (bench/gen files,
// 2,512 files, 320 MB; new sealed bytes of changed files, chunk list ≈70 B a
// chunk): 256K/1M/8M 5.19 MB, 2,593 chunks; 128K/256K/2M 4.81 MB, 2,929;
// 64K/128K/1M 4.26 MB, 3,609 (chosen: −18 %, list +0.07 MB); 32K/64K/512K
// 4.22 MB, 5,099 (list grows faster than the delta shrinks).
//
// DB stays at a 8 KiB mean. Measured end to end on the bench's 310 MB SQL dump,
// day 1 → day 2 (with entropy-coded literals and the dictionary): 8 KiB downloads
// 63.8 MB on day 2 (1.04× rsync -z), 4 KiB (1/4/32 KiB) 61.2 MB (1.00×, manifest
// 2.2 MB instead of 1.1 MB) but publishes 29 % and cold-fetches 19 % slower, with
// twice the chunks to index. Revisit if the per-chunk costs come down.
//
// Meta is small because the manifest is fetched incrementally: a republish
// changes the manifest in many scattered places (one per changed chunk
// reference), and each place costs one manifest chunk on the wire. Measured
// in manifest tests: one changed reference costs ≈88 KB with 8/40/256 KiB
// chunks and ≈14 KB with these; the price is ≈80 bytes of root per chunk.
func (c Class) Params() Params {
	switch c {
	case ClassFile:
		return Params{Min: 64 << 10, Max: 1 << 20, AvgBits: 17}
	case ClassDB:
		return Params{Min: 2 << 10, Max: 64 << 10, AvgBits: 13}
	case ClassMeta:
		return Params{Min: 2 << 10, Max: 64 << 10, AvgBits: 12}
	}
	return Params{}
}

// String returns "file", "db", "meta" or "class(N)".
func (c Class) String() string {
	switch c {
	case ClassFile:
		return "file"
	case ClassDB:
		return "db"
	case ClassMeta:
		return "meta"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}
