// Package publish is the source side of synco: it turns files, single streams and
// database dumps into a publication — sealed chunks in packs plus a signed, encrypted
// manifest that is itself stored as chunks — and keeps the store between runs so a
// second publish reads only files that changed and seals only chunks it lacks.
//
// A Session is one run of a publisher (synco-lite publish, synco-lite agent): the
// store (State), one Publication of it, where it is exposed and its server, from
// opening the store to removing what was published. A publication is exposed through
// Targets: its own Memory, which the embedded server reads, and a Dir for a static
// web server (publish --out).
//
// Pack order matters for the destination: chunks sealed in the same run are appended
// to the same new packs, so what changed since the previous publication sits together
// and the destination fetches it with few coalesced range requests.
//
// Memory grows with the chunks a publication has, not with their bytes: about
// 50 bytes a chunk for the store's index (chunkstore.PackStore), 36 for the
// chunk lists and, while the manifest is written, 36 for its pack slots and
// ≈ 50 for the encoder's layout; the database chunks recorded for the next
// publish's splices go to a file as they are sealed, and the last publish's
// are looked up in 24 bytes a chunk (bench/RESULTS.md, "Memory (issue 15
// §3)"). A database of 10 GB is ≈ 1.3M chunks.
//
// Size: ≈2,700 lines without tests, above the house guide of ~1,500, in files by
// stage (scan.go, sealer.go, assemble.go, dict.go, splice.go, view.go, target.go,
// session.go, state.go): the stages share the store (State) and the builder's
// bookkeeping, which would otherwise have to be exported.
package publish
