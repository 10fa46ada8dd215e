package manifest_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/restic/chunker"

	"synco/chunkstore"
	"synco/manifest"
)

func BenchmarkEncode(b *testing.B) {
	m := big(100, 1000, 400, 1) // 100k chunk refs
	b.ReportAllocs()
	for b.Loop() {
		enc, err := m.Encode()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(enc)))
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, err := big(100, 1000, 400, 1).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := manifest.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBytesPerRef reports the encoding's size per chunk reference and per file.
func TestBytesPerRef(t *testing.T) {
	db := big(100, 1000, 400, 1)
	daily := republish(db, 2, 20, 1)
	for name, m := range map[string]*manifest.Manifest{"db": db, "db after 20 republishes": daily} {
		enc, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		per := float64(len(enc)) / float64(refs(m))
		t.Logf("%s: %d refs in %d packs, %d bytes, %.2f bytes per ref", name, refs(m), len(m.Packs), len(enc), per)
		if per > 37 {
			t.Errorf("%s: %.2f bytes per ref, want ≤ 37", name, per)
		}
	}

	files := smallFiles(10000, 300)
	enc, err := files.Encode()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("small files: %d files (~40-byte paths) in %d packs, %d bytes, %.1f bytes per file",
		len(files.Streams), len(files.Packs), len(enc), float64(len(enc))/float64(len(files.Streams)))
}

// TestBytesPerVariant reports what a variant adds to a DB manifest: its entry in the
// variants section and its Obj's slot (orphan ID and sealed length) in a new pack.
func TestBytesPerVariant(t *testing.T) {
	db := big(100, 1000, 400, 1)
	m := withVariants(db, 20, 400)
	enc, plain := mustEncode(t, m), mustEncode(t, db)
	c := *m
	c.Variants = nil
	section := len(enc) - len(mustEncode(t, &c))
	n := len(m.Variants)
	per := float64(len(enc)-len(plain)) / float64(n)
	t.Logf("db: %d variants in %d new packs: %.2f bytes per variant, %.2f of them in the variants section",
		n, len(m.Packs)-len(db.Packs), per, float64(section)/float64(n))
	if per > 105 {
		t.Errorf("%.2f bytes per variant, want ≤ 105", per)
	}
}

// TestChunkStability checks that the format keeps changes local: a republish with a
// few changed chunks leaves most of the manifest's content-defined chunks unchanged.
// Each changed spot (the header, the new pack, each changed reference) costs about
// two CDC chunks, so the result is reported for the manifest class's parameters
// (min 8 KiB, about 40 KiB mean) and asserted with fine chunking, which shows the
// format's locality rather than the chunk size.
func TestChunkStability(t *testing.T) {
	before := big(100, 1000, 400, 1)
	for _, p := range []struct {
		name     string
		min, max uint
		bits     int
		maxSpot  int // new bytes allowed per changed spot
	}{
		{"meta (8 KiB min, 32 KiB avg)", 8 << 10, 256 << 10, 15, 0},
		{"fine (512 B min, 1 KiB avg)", 512, 16 << 10, 10, 4 << 10},
	} {
		for _, tc := range []struct{ tables, perTable int }{{1, 1}, {1, 10}, {5, 10}, {20, 3}} {
			after := republish(before, tc.tables, tc.perTable, 1)
			a, b := mustEncode(t, before), mustEncode(t, after)
			old := map[string]bool{}
			for _, c := range cdc(t, a, p.min, p.max, p.bits) {
				old[string(c)] = true
			}
			var newBytes, total int
			for _, c := range cdc(t, b, p.min, p.max, p.bits) {
				total += len(c)
				if !old[string(c)] {
					newBytes += len(c)
				}
			}
			spots := tc.tables*tc.perTable + 2 // changed references, header, new pack
			t.Logf("%s: %2d changes in %2d tables: %7d of %d bytes in new chunks (%4.1f%%), %5d per changed spot",
				p.name, tc.tables*tc.perTable, tc.tables, newBytes, total, 100*float64(newBytes)/float64(total), newBytes/spots)
			if p.maxSpot > 0 && newBytes > spots*p.maxSpot {
				t.Errorf("%s: %d new bytes for %d changed spots, want ≤ %d per spot", p.name, newBytes, spots, p.maxSpot)
			}
		}
	}
}

// republish returns a copy of m where, rounds times, perTable random chunks of each of
// tables random tables are replaced by new chunks in a new pack, as a daily republish
// of a DB with scattered edits does.
func republish(m *manifest.Manifest, tables, perTable, rounds int) *manifest.Manifest {
	out := &manifest.Manifest{Created: m.Created + 1, Chunking: m.Chunking, Packs: slices.Clone(m.Packs)}
	for _, s := range m.Streams {
		s.Chunks = slices.Clone(s.Chunks)
		out.Streams = append(out.Streams, s)
	}
	rng := rand.New(rand.NewPCG(uint64(tables), uint64(perTable)))
	n := 0
	for r := range rounds {
		p := manifest.Pack{Name: packName(99, r)}
		for range tables {
			s := &out.Streams[rng.IntN(len(out.Streams))]
			for range perTable {
				c := &s.Chunks[rng.IntN(len(s.Chunks))]
				c.ID = numID(99, n)
				n++
				p.Chunks = append(p.Chunks, manifest.PackChunk{ID: c.ID, SealedLen: c.Len/4 + 40})
			}
		}
		out.Packs = append(out.Packs, p)
	}
	slices.SortFunc(out.Packs, func(a, b manifest.Pack) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// smallFiles returns a manifest of n one-chunk files packed perPack to a pack.
func smallFiles(n, perPack int) *manifest.Manifest {
	m := &manifest.Manifest{Created: 1}
	for i := range n {
		if i%perPack == 0 {
			m.Packs = append(m.Packs, manifest.Pack{Name: packName(5, i/perPack)})
		}
		c := manifest.Ref{ID: numID(5, i), Len: 3000 + uint32(i%5000)}
		p := &m.Packs[len(m.Packs)-1]
		p.Chunks = append(p.Chunks, manifest.PackChunk{ID: c.ID, SealedLen: c.Len/2 + 40})
		m.Streams = append(m.Streams, manifest.Stream{
			Path: fmt.Sprintf("Data/Persistent/Resources/%02x/file-%06d.jpg", i/perPack, i), Kind: manifest.KindFile,
			Class: chunkstore.ClassFile, Mode: 0o644, MTime: 1_760_000_000_000_000_000 + int64(i)*1e9,
			Size: uint64(c.Len), Hash: numID(6, i), Chunks: []manifest.Ref{c},
		})
	}
	slices.SortFunc(m.Packs, func(a, b manifest.Pack) int { return strings.Compare(a.Name, b.Name) })
	return m
}

func refs(m *manifest.Manifest) int {
	n := 0
	for _, s := range m.Streams {
		n += len(s.Chunks)
	}
	return n
}

func mustEncode(t *testing.T, m *manifest.Manifest) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cdc splits b into content-defined chunks with a fixed polynomial.
func cdc(t *testing.T, b []byte, min, max uint, bits int) [][]byte {
	t.Helper()
	c := chunker.NewWithBoundaries(bytes.NewReader(b), chunker.Pol(0x3DA3358B4DC173), min, max)
	c.SetAverageBits(bits)
	var out [][]byte
	for {
		ch, err := c.Next(nil)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ch.Data)
	}
}

// TestEncodeToLarge: EncodeTo writes what Encode returns, in pieces, and Decode
// (which compares its re-encoding piece by piece) rejects a non-canonical end
// of a manifest larger than one piece.
func TestEncodeToLarge(t *testing.T) {
	m := withVariants(big(3, 20_000, 500, 1), 7, 500)
	want := mustEncode(t, m)
	if len(want) < 4*64<<10 {
		t.Fatalf("manifest of %d bytes: too small to need pieces", len(want))
	}
	var w pieces
	if err := m.EncodeTo(&w); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.b, want) {
		t.Fatalf("EncodeTo wrote %d bytes unlike Encode's %d", len(w.b), len(want))
	}
	if w.n < 4 {
		t.Errorf("EncodeTo wrote %d pieces, want several", w.n)
	}
	if _, err := manifest.Decode(want); err != nil {
		t.Fatal(err)
	}
	// The last varint (the last variant's slot) written with a needless zero
	// byte: the same value, not canonical, found in the last piece compared.
	last := want[len(want)-1]
	bad := append(bytes.Clone(want[:len(want)-1]), last|0x80, 0)
	if _, err := manifest.Decode(bad); err == nil {
		t.Error("Decode accepted a non-canonical varint at the end")
	}
	if _, err := manifest.Decode(append(bytes.Clone(want), 0)); err == nil {
		t.Error("Decode accepted a trailing byte")
	}
}

type pieces struct {
	b []byte
	n int
}

func (p *pieces) Write(b []byte) (int, error) {
	p.b = append(p.b, b...)
	p.n++
	return len(b), nil
}
