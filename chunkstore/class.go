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
//	File   256 KiB  1.25 MiB 8 MiB
//	DB     2 KiB    10 KiB   64 KiB
//	Meta   2 KiB    6 KiB    64 KiB
//
// Meta is small because the manifest is fetched incrementally: a republish
// changes the manifest in many scattered places (one per changed chunk
// reference), and each place costs one manifest chunk on the wire. Measured
// in manifest tests: one changed reference costs ≈88 KB with 8/40/256 KiB
// chunks and ≈14 KB with these; the price is ≈80 bytes of root per chunk.
func (c Class) Params() Params {
	switch c {
	case ClassFile:
		return Params{Min: 256 << 10, Max: MaxChunkSize, AvgBits: 20}
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
