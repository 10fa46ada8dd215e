package chunkstore_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/klauspost/compress/zstd"

	"synco/chunkstore"
)

// fuzzKeys and fuzzID are fixed so that the seed corpus holds a chunk that
// opens: mutations of it explore Open's checks.
var (
	fuzzKeys  = chunkstore.NewKeys([32]byte{0xf0})
	fuzzPlain = []byte("fuzz me: INSERT INTO t VALUES (1,'one'),(2,'two'),(3,'three');")
	fuzzID    = fuzzKeys.ID(fuzzPlain)
)

// FuzzOpen feeds data to Open three ways: as a sealed chunk, as the
// authenticated inner plaintext (flag || payload) of a sealed chunk, and as a
// plaintext to round-trip through Seal. Open must never panic, must fail only
// with *CorruptError (or ErrNoDict for an authentic flag-2 payload naming a
// dictionary fuzzKeys lacks), and must return what Seal sealed.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		k := fuzzKeys
		if out, err := k.Open(nil, fuzzID, data); err == nil {
			if !bytes.Equal(out, fuzzPlain) {
				t.Fatalf("Open accepted a forgery: %q", out)
			}
		} else {
			wantCorrupt(t, err, fuzzID)
		}

		var payload []byte
		if len(data) > 0 {
			payload = data[1:]
		}
		id := k.ID(payload)
		out, err := k.Open(nil, id, k.SealInner([chunkstore.NonceSize]byte{}, id, data))
		switch {
		case errors.Is(err, chunkstore.ErrNoDict):
			if data[0] != chunkstore.FlagDict {
				t.Fatalf("ErrNoDict for flag %d", data[0])
			}
		case err != nil:
			wantCorrupt(t, err, id)
			if len(data) > 0 && data[0] == chunkstore.FlagRaw {
				t.Fatalf("raw inner plaintext rejected: %v", err)
			}
		case len(out) > chunkstore.MaxChunkSize:
			t.Fatalf("Open returned %d bytes", len(out))
		}

		if len(data) <= chunkstore.MaxChunkSize {
			id := k.ID(data)
			out, err := k.Open(nil, id, k.Seal(nil, id, data))
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}

// The splice fuzz target opens fuzzSplicePlain as a splice against fuzzPlain.
var (
	fuzzSplicePlain = []byte("fuzz me: INSERT INTO t VALUES (1,'one'),(2,'TWO!'),(3,'three');")
	fuzzSpliceID    = fuzzKeys.ID(fuzzSplicePlain)
)

// FuzzOpenSplice feeds data to OpenSplice as a sealed splice of
// fuzzSplicePlain against fuzzPlain and as the authenticated inner plaintext
// of one, and makes a splice of data with an insertion and with a deletion
// and opens it. OpenSplice must never panic, must fail only with *CorruptError
// (or ErrNoDict for an authentic middle naming a dictionary fuzzKeys lacks),
// and what it opens must have the right ID.
func FuzzOpenSplice(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		k, id := fuzzKeys, fuzzSpliceID
		if out, err := k.OpenSplice(nil, id, data, fuzzID, fuzzPlain); err == nil {
			if !bytes.Equal(out, fuzzSplicePlain) {
				t.Fatalf("OpenSplice accepted a forgery: %q", out)
			}
		} else {
			wantCorrupt(t, err, id)
		}

		out, err := k.OpenSplice(nil, id, k.SealInner([chunkstore.NonceSize]byte{}, id, data), fuzzID, fuzzPlain)
		switch {
		case errors.Is(err, chunkstore.ErrNoDict):
		case err != nil:
			wantCorrupt(t, err, id)
		case k.ID(out) != id:
			t.Fatalf("OpenSplice returned %q, not chunk %s", out, id)
		}

		if len(data) > chunkstore.MaxChunkSize-4 {
			return
		}
		h := len(data) / 2
		edited := slices.Concat(data[:h], []byte("edit"), data[h:])
		for _, pair := range [][2][]byte{{edited, data}, {data, edited}} {
			plain, basePlain := pair[0], pair[1]
			id, base := k.ID(plain), k.ID(basePlain)
			sealed, ok := k.SealSplice(nil, id, plain, base, basePlain, chunkstore.DictID{})
			if !ok {
				if len(plain) <= 8 { // fewer than half of the bytes may be shared
					continue
				}
				t.Fatalf("SealSplice declined an edit of 4 bytes in %d", len(plain))
			}
			out, err := k.OpenSplice(nil, id, sealed, base, basePlain)
			if err != nil || !bytes.Equal(out, plain) {
				t.Fatalf("splice round trip: %v", err)
			}
		}
	})
}

// writeFuzzCorpus writes testdata/fuzz/FuzzOpen and FuzzOpenSplice (go test
// -run TestVectors -update).
func writeFuzzCorpus(t *testing.T) {
	k := chunkstore.NewKeys([32]byte{0xf0})
	k.SetNonce([chunkstore.NonceSize]byte{1, 2, 3})
	enc, _ := zstd.NewWriter(nil)
	sql := sqlDump(9, 3000)
	writeSeeds(t, "FuzzOpen", map[string][]byte{
		"sealed-raw":   k.Seal(nil, fuzzID, fuzzPlain),
		"sealed-zstd":  k.Seal(nil, k.ID(sql), sql),
		"inner-raw":    append([]byte{chunkstore.FlagRaw}, fuzzPlain...),
		"inner-zstd":   append([]byte{chunkstore.FlagZstd}, enc.EncodeAll(sql, nil)...),
		"inner-bomb":   append([]byte{chunkstore.FlagZstd}, enc.EncodeAll(make([]byte, chunkstore.MaxChunkSize+1), nil)...),
		"inner-flag-2": {2, 'x'},
		"inner-dict":   append([]byte{chunkstore.FlagDict, 1, 2, 3, 4, 5, 6, 7, 8}, enc.EncodeAll(sql, nil)...),
		"empty":        {},
	})

	splice, ok := k.SealSplice(nil, fuzzSpliceID, fuzzSplicePlain, fuzzID, fuzzPlain, chunkstore.DictID{})
	if !ok {
		t.Fatal("SealSplice declined")
	}
	flipped := slices.Clone(splice)
	flipped[len(flipped)/2] ^= 0x10
	p, q := commonEnds(fuzzSplicePlain, fuzzPlain)
	middle := fuzzSplicePlain[p : len(fuzzSplicePlain)-q]
	inner := func(p, q uint64, middle ...byte) []byte {
		b := append([]byte{flagSplice}, fuzzID[:]...)
		b = binary.AppendUvarint(b, p)
		b = binary.AppendUvarint(b, q)
		return append(b, middle...)
	}
	writeSeeds(t, "FuzzOpenSplice", map[string][]byte{
		"sealed-splice":    splice,
		"sealed-truncated": splice[:len(splice)-1],
		"sealed-flipped":   flipped,
		"sealed-chunk":     k.Seal(nil, fuzzSpliceID, fuzzSplicePlain),
		"inner-raw":        inner(uint64(p), uint64(q), append([]byte{chunkstore.FlagRaw}, middle...)...),
		"inner-zstd":       inner(uint64(p), uint64(q), append([]byte{chunkstore.FlagZstd}, enc.EncodeAll(middle, nil)...)...),
		"inner-dict":       inner(uint64(p), uint64(q), append([]byte{chunkstore.FlagDict, 1, 2, 3, 4, 5, 6, 7, 8}, enc.EncodeAll(middle, nil)...)...),
		"inner-long-pq":    inner(1<<62, 1<<62, chunkstore.FlagRaw),
		"empty":            {},
	})
}

// writeSeeds replaces the seed corpus testdata/fuzz/<target> with seeds.
func writeSeeds(t *testing.T, target string, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
