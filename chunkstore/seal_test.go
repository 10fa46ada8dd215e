package chunkstore_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"

	"synco/chunkstore"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vectors is the format of testdata/vectors.json (SPEC.md).
type vectors struct {
	Comment    string   `json:"comment"`
	ReadKey    string   `json:"read_key"`
	IDKey      string   `json:"id_key"`
	SealKey    string   `json:"seal_key"`
	StreamKey  string   `json:"stream_key"`
	Master     string   `json:"master"`
	Polynomial string   `json:"polynomial"`
	Dict       string   `json:"dict"` // a zstd dictionary, for the flag-2 vectors
	Chunks     []vector `json:"chunks"`
}

type vector struct {
	Name       string `json:"name"`
	Plain      string `json:"plain"`
	Nonce      string `json:"nonce"`
	ID         string `json:"id"`
	StreamHash string `json:"stream_hash"`
	Flag       byte   `json:"flag"`
	DictID     string `json:"dict_id,omitempty"` // sealed with Dict (flag 2)
	Sealed     string `json:"sealed"`
}

func vectorPlaintexts() map[string][]byte {
	return map[string][]byte{
		"empty":         {},
		"short":         []byte("synco"),
		"random-300":    randBytes(7, 300),
		"sql-4096":      sqlDump(7, 4096),
		"zeros-10000":   make([]byte, 10000),
		"sql-4096-dict": sqlDump(7, 4096),
	}
}

var vectorNames = []string{"empty", "short", "random-300", "sql-4096", "zeros-10000", "sql-4096-dict"}

// vectorDict is a small (4 KiB) dictionary for the vectors, trained on other SQL.
func vectorDict(t *testing.T) []byte {
	var samples [][]byte
	data := sqlDump(8, 256<<10)
	for i := 0; i+4096 <= len(data); i += 4096 {
		samples = append(samples, data[i:i+4096])
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 4096, HashBytes: 6, ZstdDictID: 0x5c0d1c7})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func hexKey(t *testing.T, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad key %q: %v", s, err)
	}
	return [32]byte(b)
}

// vectorsFile holds the sealing test vectors (SPEC.md, "Test vectors").
var vectorsFile = filepath.Join("testdata", "vectors.json")

// loadVectors reads vectorsFile.
func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t, vectorsFile)
		writeFuzzCorpus(t)
	}
	v := loadVectors(t)
	k := chunkstore.NewKeys(hexKey(t, v.ReadKey))
	dictBytes, _ := hex.DecodeString(v.Dict)
	did, err := k.AddDict(dictBytes)
	if err != nil {
		t.Fatal(err)
	}
	idKey, sealKey, streamKey := k.SubKeys()
	for name, pair := range map[string][2]string{
		"id key": {hex.EncodeToString(idKey[:]), v.IDKey}, "seal key": {hex.EncodeToString(sealKey[:]), v.SealKey},
		"stream key": {hex.EncodeToString(streamKey[:]), v.StreamKey},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %s, want %s", name, pair[0], pair[1])
		}
	}
	pol, err := chunkstore.DerivePolynomial(hexKey(t, v.Master))
	if err != nil || pol.String() != v.Polynomial {
		t.Errorf("DerivePolynomial = %v, %v; want %s", pol, err, v.Polynomial)
	}

	for _, c := range v.Chunks {
		t.Run(c.Name, func(t *testing.T) {
			plain, _ := hex.DecodeString(c.Plain)
			sealed, _ := hex.DecodeString(c.Sealed)
			nonce, _ := hex.DecodeString(c.Nonce)
			id := k.ID(plain)
			if id.String() != c.ID {
				t.Fatalf("ID = %s, want %s", id, c.ID)
			}
			h := k.StreamHash()
			h.Write(plain)
			if got := hex.EncodeToString(h.Sum(nil)); got != c.StreamHash {
				t.Errorf("StreamHash = %s, want %s", got, c.StreamHash)
			}
			for range 2 { // pooled: the second one reuses the first's hasher
				if got := k.StreamSum(plain).String(); got != c.StreamHash {
					t.Errorf("StreamSum = %s, want %s", got, c.StreamHash)
				}
			}
			if f := flagOf(sealed, plain, c.DictID != ""); f != c.Flag {
				t.Errorf("flag = %d, want %d", f, c.Flag)
			}
			var dict chunkstore.DictID
			if c.DictID != "" {
				if dict = did; dict.String() != c.DictID {
					t.Fatalf("DictID = %s, want %s", dict, c.DictID)
				}
			}
			// Opening old vectors must always work.
			got, err := k.Open(nil, id, sealed)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Open = %x, %v; want %x", got, err, plain)
			}
			// Sealing is deterministic for a fixed nonce, but a zstd upgrade
			// may change compressed bytes: then check the diff is only that,
			// and rerun with -update.
			kn := chunkstore.NewKeys(hexKey(t, v.ReadKey))
			kn.AddDict(dictBytes)
			kn.SetNonce([chunkstore.NonceSize]byte(nonce))
			if again := kn.SealWith(nil, id, plain, dict); !bytes.Equal(again, sealed) {
				t.Errorf("Seal = %x\nwant %x", again, sealed)
			}
		})
	}
}

func writeVectors(t *testing.T, path string) {
	readKey, master := [32]byte{}, [32]byte{}
	for i := range readKey {
		readKey[i], master[i] = byte(i), byte(0x80+i)
	}
	k := chunkstore.NewKeys(readKey)
	idKey, sealKey, streamKey := k.SubKeys()
	pol, err := chunkstore.DerivePolynomial(master)
	if err != nil {
		t.Fatal(err)
	}
	v := vectors{
		Comment: "synco chunk format v1 test vectors (chunkstore/SPEC.md); all byte strings hex",
		ReadKey: hex.EncodeToString(readKey[:]), IDKey: hex.EncodeToString(idKey[:]),
		SealKey: hex.EncodeToString(sealKey[:]), StreamKey: hex.EncodeToString(streamKey[:]),
		Master: hex.EncodeToString(master[:]), Polynomial: pol.String(),
	}
	dictBytes := vectorDict(t)
	v.Dict = hex.EncodeToString(dictBytes)
	did, err := k.AddDict(dictBytes)
	if err != nil {
		t.Fatal(err)
	}
	plains := vectorPlaintexts()
	for i, name := range vectorNames {
		plain := plains[name]
		var dict chunkstore.DictID
		if strings.HasSuffix(name, "-dict") {
			dict = did
		}
		var nonce [chunkstore.NonceSize]byte
		for j := range nonce {
			nonce[j] = byte(16*i + j)
		}
		k.SetNonce(nonce)
		id := k.ID(plain)
		sealed := k.SealWith(nil, id, plain, dict)
		h := k.StreamHash()
		h.Write(plain)
		vec := vector{
			Name: name, Plain: hex.EncodeToString(plain), Nonce: hex.EncodeToString(nonce[:]),
			ID: id.String(), StreamHash: hex.EncodeToString(h.Sum(nil)),
			Flag: flagOf(sealed, plain, dict != chunkstore.DictID{}), Sealed: hex.EncodeToString(sealed),
		}
		if dict != (chunkstore.DictID{}) {
			vec.DictID = dict.String()
		}
		v.Chunks = append(v.Chunks, vec)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flagOf tells the (encrypted) payload flag from the sealed size: raw chunks
// are exactly Overhead bytes longer than their plaintext, compressed ones
// shorter than that; withDict says whether a dictionary was offered.
func flagOf(sealed, plain []byte, withDict bool) byte {
	switch {
	case len(sealed) == len(plain)+chunkstore.Overhead:
		return chunkstore.FlagRaw
	case withDict:
		return chunkstore.FlagDict
	}
	return chunkstore.FlagZstd
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name  string
		plain []byte
		flag  byte
	}{
		{"empty", nil, chunkstore.FlagRaw},
		{"one", []byte{7}, chunkstore.FlagRaw},
		{"random", randBytes(1, 70000), chunkstore.FlagRaw},
		{"sql", sqlDump(1, 10000), chunkstore.FlagZstd},
		{"max-zeros", make([]byte, chunkstore.MaxChunkSize), chunkstore.FlagZstd},
		{"max-random", randBytes(2, chunkstore.MaxChunkSize), chunkstore.FlagRaw},
		{"max-sql", sqlDump(2, chunkstore.MaxChunkSize), chunkstore.FlagZstd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := k.ID(tt.plain)
			sealed := k.Seal(nil, id, tt.plain)
			if f := flagOf(sealed, tt.plain, false); f != tt.flag {
				t.Errorf("flag = %d, want %d", f, tt.flag)
			}
			if len(sealed) > chunkstore.MaxSealedSize {
				t.Errorf("sealed size %d > MaxSealedSize", len(sealed))
			}
			got, err := k.Open(nil, id, sealed)
			if err != nil || !bytes.Equal(got, tt.plain) {
				t.Fatalf("Open: %v (equal %v)", err, bytes.Equal(got, tt.plain))
			}
		})
	}
}

func TestSealOpenAppend(t *testing.T) {
	k := testKeys()
	plain := sqlDump(2, 5000)
	id := k.ID(plain)
	prefix := []byte("prefix")
	sealed := k.Seal(bytes.Clone(prefix), id, plain)
	if !bytes.HasPrefix(sealed, prefix) {
		t.Fatal("Seal clobbered dst")
	}
	sealed = sealed[len(prefix):]
	got, err := k.Open(bytes.Clone(prefix), id, sealed)
	if err != nil || !bytes.Equal(got, append(bytes.Clone(prefix), plain...)) {
		t.Fatalf("Open with prefix: %v", err)
	}
	if again := k.Seal(nil, id, plain); bytes.Equal(again, sealed) {
		t.Error("two seals are identical: nonce not random")
	}
	got, err = k.Open(prefix, chunkstore.ID{}, sealed)
	if err == nil || !bytes.Equal(got, prefix) {
		t.Errorf("failed Open = %q, %v; want dst unchanged and an error", got, err)
	}
}

func TestSealPanicsOnOversize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	testKeys().Seal(nil, chunkstore.ID{}, make([]byte, chunkstore.MaxChunkSize+1))
}

func wantCorrupt(t *testing.T, err error, id chunkstore.ID) {
	t.Helper()
	var ce *chunkstore.CorruptError
	if !errors.Is(err, chunkstore.ErrCorrupt) || !errors.As(err, &ce) || ce.ID != id {
		t.Fatalf("error %v: want *CorruptError for %s", err, id)
	}
}

func TestOpenTamper(t *testing.T) {
	k := testKeys()
	for _, plain := range [][]byte{[]byte("a small chunk"), sqlDump(3, 2000)} {
		id := k.ID(plain)
		sealed := k.Seal(nil, id, plain)
		for i := range sealed {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(sealed)
				bad[i] ^= mask
				_, err := k.Open(nil, id, bad)
				wantCorrupt(t, err, id)
			}
		}
		for n := range len(sealed) {
			_, err := k.Open(nil, id, sealed[:n])
			wantCorrupt(t, err, id)
		}
		_, err := k.Open(nil, id, append(bytes.Clone(sealed), 0))
		wantCorrupt(t, err, id)

		other := k.ID([]byte("other"))
		_, err = k.Open(nil, other, sealed)
		wantCorrupt(t, err, other)

		_, err = chunkstore.NewKeys([32]byte{9}).Open(nil, id, sealed)
		wantCorrupt(t, err, id)
	}
}

// TestOpenAuthenticatedGarbage seals malformed inner plaintexts with the right
// key: Open must still reject them.
func TestOpenAuthenticatedGarbage(t *testing.T) {
	k := testKeys()
	enc, _ := zstd.NewWriter(nil)
	bomb := enc.EncodeAll(make([]byte, chunkstore.MaxChunkSize+1), nil)
	ok := enc.EncodeAll([]byte("fine"), nil)
	tests := []struct {
		name  string
		inner []byte
		id    chunkstore.ID
	}{
		{"no flag", nil, k.ID(nil)},
		{"unknown flag", []byte{3, 'x'}, k.ID([]byte("x"))},
		{"bad zstd", []byte{1, 0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3}, k.ID(nil)},
		{"zstd bomb", append([]byte{1}, bomb...), k.ID(make([]byte, chunkstore.MaxChunkSize+1))},
		{"zstd wrong id", append([]byte{1}, ok...), k.ID([]byte("other"))},
		{"raw wrong id", []byte{0, 'x'}, k.ID([]byte("y"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := k.SealInner([chunkstore.NonceSize]byte{}, tt.id, tt.inner)
			_, err := k.Open(nil, tt.id, sealed)
			wantCorrupt(t, err, tt.id)
			t.Log(err)
		})
	}
	// And the well-formed zstd inner plaintext does open.
	id := k.ID([]byte("fine"))
	if got, err := k.Open(nil, id, k.SealInner([chunkstore.NonceSize]byte{}, id, append([]byte{1}, ok...))); err != nil || string(got) != "fine" {
		t.Errorf("Open(zstd inner) = %q, %v", got, err)
	}
}

func TestCorruptError(t *testing.T) {
	cause := errors.New("cause")
	err := error(&chunkstore.CorruptError{ID: chunkstore.ID{0xab}, Err: cause})
	if !errors.Is(err, chunkstore.ErrCorrupt) || !errors.Is(err, cause) {
		t.Error("errors.Is fails")
	}
	if want := "chunkstore: chunk ab00000000000000000000000000000000000000000000000000000000000000 corrupt: cause"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestKeysDistinct(t *testing.T) {
	k := testKeys()
	plain := []byte("same input")
	h := k.StreamHash()
	h.Write(plain)
	id := k.ID(plain)
	if bytes.Equal(h.Sum(nil), id[:]) {
		t.Error("stream hash equals chunk ID")
	}
	if chunkstore.NewKeys([32]byte{3}).ID(plain) == id {
		t.Error("ID does not depend on the read key")
	}
}

func TestKeysConcurrent(t *testing.T) {
	k := testKeys()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				plain := sqlDump(uint64(w*100+i), 3000+i)
				id := k.ID(plain)
				got, err := k.Open(nil, id, k.Seal(nil, id, plain))
				if err != nil || !bytes.Equal(got, plain) {
					t.Errorf("round trip %d/%d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestVectorsSpec opens the vectors following SPEC.md with the primitives
// alone, so the spec and the code cannot drift apart.
func TestVectorsSpec(t *testing.T) {
	v := loadVectors(t)
	readKey := hexKey(t, v.ReadKey)
	var idKey, sealKey [32]byte
	blake3.DeriveKey("synco 2026-11 chunk id", readKey[:], idKey[:])
	blake3.DeriveKey("synco 2026-11 chunk seal", readKey[:], sealKey[:])
	aead, _ := chacha20poly1305.NewX(sealKey[:])
	dec, _ := zstd.NewReader(nil)
	dictBytes, _ := hex.DecodeString(v.Dict)
	decDict, err := zstd.NewReader(nil, zstd.WithDecoderDicts(dictBytes))
	if err != nil {
		t.Fatal(err)
	}
	dictHash, _ := blake3.NewKeyed(idKey[:])
	dictHash.Write(dictBytes)
	dictID := dictHash.Sum(nil)[:8]
	for _, c := range v.Chunks {
		plain, _ := hex.DecodeString(c.Plain)
		sealed, _ := hex.DecodeString(c.Sealed)
		h, _ := blake3.NewKeyed(idKey[:])
		h.Write(plain)
		id := h.Sum(nil)
		if hex.EncodeToString(id) != c.ID {
			t.Errorf("%s: spec ID %x, vector %s", c.Name, id, c.ID)
		}
		ad := append(append([]byte("synco-chunk"), 1), id...)
		if sealed[0] != 1 || hex.EncodeToString(sealed[1:25]) != c.Nonce {
			t.Fatalf("%s: bad header", c.Name)
		}
		inner, err := aead.Open(nil, sealed[1:25], sealed[25:], ad)
		if err != nil {
			t.Fatalf("%s: spec AEAD open: %v", c.Name, err)
		}
		payload := inner[1:]
		switch inner[0] {
		case 1:
			payload, err = dec.DecodeAll(payload, nil)
		case 2: // DictID (8 bytes) = first 8 bytes of the dictionary's chunk ID
			if !bytes.Equal(payload[:8], dictID) || hex.EncodeToString(dictID) != c.DictID {
				t.Errorf("%s: dictionary ID %x, want %x (vector %s)", c.Name, payload[:8], dictID, c.DictID)
			}
			payload, err = decDict.DecodeAll(payload[8:], nil)
		}
		if inner[0] != c.Flag || err != nil || !bytes.Equal(payload, plain) {
			t.Errorf("%s: spec open: flag %d, %v, equal %v", c.Name, inner[0], err, bytes.Equal(payload, plain))
		}
	}
}
