// Package chunkstore cuts streams into content-defined chunks, names them by
// keyed hash, seals them, and keeps sealed chunks in stores.
//
// # Keys
//
// A store has two secrets. The 32-byte read key travels in the token and
// lets its holder read; NewKeys derives from it, with BLAKE3 derive_key and
// distinct contexts:
//
//	id key     "synco 2026-11 chunk id"     chunk IDs: keyed BLAKE3-256 of the plaintext
//	seal key   "synco 2026-11 chunk seal"   XChaCha20-Poly1305 key of sealed chunks
//	stream key "synco 2026-11 stream hash"  keyed BLAKE3-256 of whole streams
//	splice key "synco 2026-11 splice id"    store keys of splices (Keys.SpliceID)
//
// IDs are keyed so that someone who sees the store (a CDN, a bucket) cannot
// confirm that it holds known content; the stream key differs from the ID
// key so a one-chunk stream's hash does not reveal its chunk's ID.
//
// The master secret stays with the source. DerivePolynomial derives from it
// ("synco 2026-11 chunker polynomial") the store's chunking polynomial, which
// must stay the same for the life of the store so unchanged content gives
// unchanged chunks.
//
// # Chunks
//
// A Splitter cuts a stream with restic/chunker, using the parameters of the
// stream's Class (large chunks for files, small ones for SQL dumps, whose
// daily changes are scattered, medium ones for manifests). Keys.Seal
// compresses a chunk with zstd (unless that does not shrink it) and encrypts
// it with XChaCha20-Poly1305 under a random nonce, with the format version
// and the chunk's ID as associated data, so a chunk cannot be swapped for
// another. Keys.Open authenticates, decompresses at most MaxChunkSize bytes
// and recomputes the ID; it fails with a *CorruptError. The byte formats are
// in SPEC.md, pinned by testdata/vectors.json.
//
// # Stores
//
// A Store holds sealed chunks by ID and verifies nothing; readers Open what
// they Get. Dir keeps one file per chunk and may be shared by processes;
// Cache is a Dir that tracks use for LRU eviction (the destination's cache);
// PackStore appends the chunks of a run to pack files with a persistent index
// (the source's state), so a destination can fetch many adjacent chunks with
// one range request. Subpackage storetest is the conformance suite every
// Store passes; subpackage faulty injects failures for tests.
//
// # Files by audience
//
// The format, which both sides use: id.go (IDs), keys.go, seal.go (sealed
// chunks), splice.go (splices), dict.go (dictionaries), class.go (chunking
// classes), split.go and splitpar.go (the splitter), store.go and errors.go.
// The source's pack store: pack.go, packindex.go, packcontents.go,
// packprune.go. The destination's cache: cachedir.go (Dir, also usable on its
// own), cache.go, cachepack.go (its pack writer), lock_*.go.
//
// It stays one package (≈3,000 lines without tests, over what the house style
// aims at) because its parts speak one vocabulary: every store holds sealed
// chunks by ID, bounds them by the format's MaxSealedSize and reports damage as
// the format's *CorruptError (two of its unexported causes, errLong and
// errShort, are shared), and each side needs the format plus one store
// (publish: the pack store; fetch: the cache). The stores would move out
// cleanly (sub-packages importing the format, nothing else shared but lockFile
// of the pack store); that is worth doing when a third store (S3) arrives,
// which would also rename the API that cmd uses (chunkstore.OpenCache, …).
package chunkstore
