package zdict

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// rows makes n samples of the same SQL rows after i random bytes (sample i):
// a string first occurs in sample i at i + its offset in the rows, so never at
// the same offset in two samples, as in content-defined chunks of a dump,
// which start anywhere in a row. Upstream then searched the samples for every
// entry of the dictionary.
func rows(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	var sql []byte
	for len(sql) < 8<<10 {
		sql = fmt.Appendf(sql, "(%d,'%s %s','user%d@example.com','2026-%02d-%02d 12:%02d:00',%d),\n",
			r.IntN(1e6), words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(1e4), 1+r.IntN(12), 1+r.IntN(28), r.IntN(60), r.IntN(100))
	}
	var out [][]byte
	for i := range n {
		b := make([]byte, i, i+len(sql))
		for k := range b {
			b[k] = byte(r.Uint32())
		}
		out = append(out, append(b, sql...))
	}
	return out
}

// TestOffsetSearchesBounded: the search for the initial repeat offsets looks
// among the first offsetTries entries only (upstream: every entry until three
// are found), and the dictionary loads and round-trips.
func TestOffsetSearchesBounded(t *testing.T) {
	in := rows(128)
	offsetSearches = 0
	d, err := BuildZstdDict(in, Options{MaxDictSize: 64 << 10, HashBytes: 6, ZstdLevel: zstd.SpeedFastest})
	if err != nil {
		t.Fatal(err)
	}
	if offsetSearches == 0 || offsetSearches > offsetTries {
		t.Errorf("%d offset searches, want 1 to %d (upstream: about 1,000 here, as these rows give no offset)", offsetSearches, offsetTries)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderDict(d))
	if err != nil {
		t.Fatalf("the dictionary does not load: %v", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderDicts(d))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range in[:8] {
		got, err := dec.DecodeAll(enc.EncodeAll(c, nil), nil)
		if err != nil || !bytes.Equal(got, c) {
			t.Fatalf("round trip with the dictionary: %v", err)
		}
	}
}
