package chunkstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// writeFuzzCorpus writes testdata/fuzz/FuzzOpen (go test -run TestVectors -update).
func writeFuzzCorpus(t *testing.T) {
	k := chunkstore.NewKeys([32]byte{0xf0})
	k.SetNonce([chunkstore.NonceSize]byte{1, 2, 3})
	enc, _ := zstd.NewWriter(nil)
	sql := sqlDump(9, 3000)
	seeds := map[string][]byte{
		"sealed-raw":   k.Seal(nil, fuzzID, fuzzPlain),
		"sealed-zstd":  k.Seal(nil, k.ID(sql), sql),
		"inner-raw":    append([]byte{chunkstore.FlagRaw}, fuzzPlain...),
		"inner-zstd":   append([]byte{chunkstore.FlagZstd}, enc.EncodeAll(sql, nil)...),
		"inner-bomb":   append([]byte{chunkstore.FlagZstd}, enc.EncodeAll(make([]byte, chunkstore.MaxChunkSize+1), nil)...),
		"inner-flag-2": {2, 'x'},
		"inner-dict":   append([]byte{chunkstore.FlagDict, 1, 2, 3, 4, 5, 6, 7, 8}, enc.EncodeAll(sql, nil)...),
		"empty":        {},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
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
