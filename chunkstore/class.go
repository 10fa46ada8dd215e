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
//	File   16 KiB   48 KiB   256 KiB
//	DB     2 KiB    10 KiB   64 KiB
//	Meta   1 KiB    3 KiB    64 KiB
//
// File: an append or a small patch re-sends the chunk around it (rsync sends
// little more than the new bytes), so file chunks are as small as the chunk
// list allows. Measured on the bench's files day 1 → day 2 (bench/gen files,
// 2,512 files, 320 MB; sealed bytes of the day-2 chunks day 1 lacks, three
// chunker polynomials each, as every store has its own; rsync's literal data
// is 3.99 MB; configurations as min/2^AvgBits/max): 64K/128K/1M 4.42 / 4.68 /
// 4.93 MB, 3,600 chunks on day 1;
// 32K/64K/512K 4.16 / 4.17 / 4.47 MB, 5,100; 16K/32K/256K (chosen)
// 3.95 / 4.02 / 4.07 MB, 8,200; 8K/16K/256K 3.84 / 3.88 / 3.92 MB, 14,400.
// The price is the chunk list, ≈37 B a chunk: 0.8 MB for each GB of files
// (a 100 GB upload tree lists ≈2.2M chunks, 80 MB of manifest on a cold fetch,
// and the source's pack index holds them in memory, ≈60 B each). Earlier
// choices: 256K/1M/8M (5.19 MB on day 2), 64K/128K/1M.
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
// chunks and ≈14 KB with 2/6/64 KiB; the price is ≈80 bytes of root per chunk.
// On the bench's files day 2 (≈50 scattered changes), 1/3/64 KiB took the
// manifest delta from 0.30 to 0.19 MB (the root grew by ≈8 KB).
func (c Class) Params() Params {
	switch c {
	case ClassFile:
		return Params{Min: 16 << 10, Max: 256 << 10, AvgBits: 15}
	case ClassDB:
		return Params{Min: 2 << 10, Max: 64 << 10, AvgBits: 13}
	case ClassMeta:
		return Params{Min: 1 << 10, Max: 64 << 10, AvgBits: 11}
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
