// Package manifest is the publication model of synco and its byte formats: the
// [Manifest] (every stream of a snapshot and where its chunks live), the small [Root]
// object that a destination polls while a publication is prepared, and the [Token] a
// user copies from source to destination.
//
// # Trust chain
//
// A [Token] carries the publication URL, the read key and the source's Ed25519
// public key. The root at <base>/root is sealed ([SealRoot]): signed with the source's
// private key, then encrypted with a key derived from the read key. [OpenRoot]
// authenticates it (or returns [ErrRootAuth]). A Ready root lists the manifest's own
// chunks ([Loc]), its size and its keyed hash; the manifest is fetched as ordinary
// sealed chunks, verified by chunk ID, reassembled, checked against size and hash,
// and only then given to [Decode]. The manifest lists for every stream the IDs of its
// chunks, and for every pack the order and sealed length of the chunks in it, so a
// reader can range-read any chunk ([Manifest.Locate]) and verify it by its keyed ID.
//
// # Encoding
//
// All encodings are canonical: a value has exactly one encoding, [Decode] and
// [DecodeRoot] reject any other (non-minimal varints, unsorted or duplicate entries,
// trailing bytes, …), so Decode(b) succeeding implies Encode() == b. Decoders bound
// every count by the bytes that remain, so a small input cannot cause a large
// allocation.
//
// The manifest is itself stored with content-defined chunking, so a republish where
// few streams changed must produce mostly identical bytes. The format therefore has no
// global indexes or offsets: packs and streams are sorted by name and path, and a
// change stays local. A chunk ID is stored once, in the stream that references it,
// and points at a slot of a pack relative to the previous reference (usually "the
// next slot", costing nothing) or by a slot number in one of the three most recently
// used packs or a named pack. A pack records only the sealed length of each slot,
// plus the IDs of slots no stream references. This costs about 37 bytes per chunk
// reference instead of about 70 for listing every ID both in its pack and in its
// stream, which matters because a daily DB delta changes many scattered references.
// An optional last section lists [Variant]s: splices a destination may download
// instead of a chunk whose base it has cached. The byte layout is in SPEC.md next to
// this file.
//
// # Errors
//
// Every decoding error wraps [ErrFormat], except an unknown format version, which is
// [ErrVersion]. Invalid paths also wrap [ErrPath]. Token parsing returns
// [ErrTokenMistyped] or [ErrTokenVersion]. No error or formatted value ever contains a
// token or a key: a [Token] prints redacted with every fmt verb and in log/slog.
//
// Size: ≈1,600 lines without tests: the formats (manifest, root, token, layout) and
// their canonical encoding, which share one reader/writer (wire.go).
package manifest
