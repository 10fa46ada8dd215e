package chunkstore_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/chacha20poly1305"

	"synco/chunkstore"
)

// inner decrypts sealed (no dictionary) to flag || payload.
func inner(t *testing.T, k *chunkstore.Keys, id chunkstore.ID, sealed []byte) []byte {
	t.Helper()
	_, sealKey, _ := k.SubKeys()
	aead, err := chacha20poly1305.NewX(sealKey[:])
	if err != nil {
		t.Fatal(err)
	}
	ad := append(append([]byte("synco-chunk"), 1), id[:]...)
	pt, err := aead.Open(nil, sealed[1:25], sealed[25:], ad)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// TestSealSameFrames: Seal tries a block without Huffman-coded literals first
// (appendPayload); where zstd finds matches, or Huffman coding pays, the
// payload must be the frame the encoder of SPEC.md makes (literals always
// entropy-coded), byte for byte; data that is already compressed is stored
// raw, as before.
func TestSealSameFrames(t *testing.T) {
	ref, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false), zstd.WithAllLitEntropyCompression(true))
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(n int) []byte { return []byte(base64.StdEncoding.EncodeToString(randBytes(9, n))[:n]) }
	// Bytes of a 7-bit alphabet with no repeats zstd finds: Huffman pays a little.
	seven := randBytes(5, 4096)
	for i := range seven {
		seven[i] &= 0x7f
	}
	k := testKeys()
	for _, tt := range []struct {
		name string
		p    []byte
		flag byte
	}{
		{"31 random", randBytes(1, 31), chunkstore.FlagRaw},
		{"32 base64", b64(32), chunkstore.FlagRaw}, // too short for Huffman either way
		{"1K random", randBytes(2, 1024), chunkstore.FlagRaw},
		{"4K random", randBytes(3, 4096), chunkstore.FlagRaw},
		{"16K random", randBytes(4, 16<<10), chunkstore.FlagRaw},
		{"128K random", randBytes(4, 128<<10), chunkstore.FlagRaw},
		{"128K+1 random", randBytes(4, 128<<10+1), chunkstore.FlagRaw}, // two blocks: the encoder as before
		{"300 base64", b64(300), chunkstore.FlagZstd},
		{"4K base64", b64(4096), chunkstore.FlagZstd},
		{"4K 7-bit", seven, chunkstore.FlagZstd},
		{"4K sql", sqlDump(1, 4096), chunkstore.FlagZstd},
		{"100K sql", sqlDump(2, 100<<10), chunkstore.FlagZstd},
		{"200K sql", sqlDump(3, 200<<10), chunkstore.FlagZstd},
		{"64K zeros", make([]byte, 64<<10), chunkstore.FlagZstd},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := k.ID(tt.p)
			sealed := k.Seal(nil, id, tt.p)
			in := inner(t, k, id, sealed)
			if in[0] != tt.flag {
				t.Fatalf("flag %d, want %d", in[0], tt.flag)
			}
			want := ref.EncodeAll(tt.p, nil)
			if len(want) >= len(tt.p) {
				want = tt.p
			}
			if !bytes.Equal(in[1:], want) {
				t.Errorf("payload of %d bytes differs from the reference's %d", len(in)-1, len(want))
			}
			if got, err := k.Open(nil, id, sealed); err != nil || !bytes.Equal(got, tt.p) {
				t.Errorf("Open: %v", err)
			}
		})
	}
}

func TestHuffmanMayPay(t *testing.T) {
	text := sqlDump(4, 8192)
	for _, tt := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"empty", nil, false},
		{"31 zeros", make([]byte, 31), false},
		{"72 zeros", make([]byte, 72), false}, // can save at most 72 bytes
		{"73 zeros", make([]byte, 73), true},
		{"1K zeros", make([]byte, 1024), true},
		{"1K sql", text[:1024], true},
		{"8K sql", text, true},
		{"base64", []byte(base64.StdEncoding.EncodeToString(randBytes(6, 3000))), true},
	} {
		if got := chunkstore.HuffmanMayPay(tt.p); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// Random bytes of every length: never (their sample's frequencies are
	// never quite even, but close enough that a table costs more).
	for n := 32; n <= 256<<10; n = n*5/4 + 1 {
		for seed := range uint64(20) {
			if chunkstore.HuffmanMayPay(randBytes(seed+100, n)) {
				t.Errorf("random %d bytes (seed %d): true", n, seed)
			}
		}
	}
}
