// Package publish is the source side of synco: it turns files, single streams and
// database dumps into a publication — sealed chunks in packs plus a signed, encrypted
// manifest that is itself stored as chunks — and keeps the store between runs so a
// second publish reads only files that changed and seals only chunks it lacks.
//
// Pack order matters for the destination: chunks sealed in the same run are appended
// to the same new packs, so what changed since the previous publication sits together
// and the destination fetches it with few coalesced range requests.
package publish
