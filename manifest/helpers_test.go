package manifest_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zeebo/blake3"

	"synco/chunkstore"
	"synco/manifest"
)

// id returns a fixed chunk ID named s.
func id(s string) chunkstore.ID { return chunkstore.ID(blake3.Sum256([]byte(s))) }

// sample is a small manifest that uses every encoding form: continuation and
// explicit slots, a chunk referenced twice, a duplicate ID in a second slot, orphans,
// an inherited and a two-entry pack table, directories and an empty file.
func sample() *manifest.Manifest {
	return &manifest.Manifest{
		Created: 1_790_000_000_123_456_789,
		Chunking: []manifest.ClassParams{
			{Class: chunkstore.ClassFile, Min: 256 << 10, Max: 8 << 20, AvgBits: 20},
			{Class: chunkstore.ClassDB, Min: 2 << 10, Max: 64 << 10, AvgBits: 13},
			{Class: chunkstore.ClassMeta, Min: 8 << 10, Max: 256 << 10, AvgBits: 15},
		},
		Packs: []manifest.Pack{
			{Name: "0a1b", Chunks: []manifest.PackChunk{
				{ID: id("c1"), SealedLen: 100}, {ID: id("c2"), SealedLen: 200},
				{ID: id("orphan1"), SealedLen: 50}, {ID: id("c3"), SealedLen: 300},
			}},
			{Name: "zz9", Chunks: []manifest.PackChunk{
				{ID: id("s1"), SealedLen: 60}, {ID: id("s2"), SealedLen: 70},
				{ID: id("s3"), SealedLen: 80}, {ID: id("c2"), SealedLen: 200},
			}},
		},
		Streams: []manifest.Stream{
			{Path: "db/schema", Kind: manifest.KindFile, Class: chunkstore.ClassDB, Mode: 0o600,
				MTime: 1_790_000_000_000_000_000, Size: 7000, Hash: id("h-schema"),
				Chunks: []manifest.Ref{{id("c1"), 1000}, {id("c2"), 2000}, {id("c3"), 3000}, {id("c1"), 1000}}},
			{Path: "files", Kind: manifest.KindDir, Class: chunkstore.ClassFile, Mode: 0o755, MTime: -5},
			{Path: "files/a.txt", Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: 0o644,
				MTime: 1_700_000_000_000_000_001, Size: 10, Hash: id("h-a"),
				Chunks: []manifest.Ref{{id("s1"), 10}}},
			{Path: "files/b.txt", Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: 0o644,
				MTime: 1_700_000_000_000_000_002, Size: 20, Hash: id("h-b"),
				Chunks: []manifest.Ref{{id("s2"), 20}}},
			{Path: "files/empty", Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: 0o4755,
				Hash: id("h-empty")},
			{Path: "files/mixed", Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: 0o644,
				Size: 3030, Hash: id("h-mixed"),
				Chunks: []manifest.Ref{{id("s3"), 30}, {id("c3"), 3000}}},
			{Path: "z", Kind: manifest.KindDir, Class: chunkstore.ClassFile, Mode: 0o700},
		},
	}
}

// sampleVariants is sample() with variants of chunks in two packs: their Objs are
// orphans in pack 0a1b and in a new pack zzz, which also holds a second copy of one
// Obj (so the variant points at its first slot). One Base (c1) is in the
// publication, the others are not.
func sampleVariants() *manifest.Manifest {
	m := sample()
	m.Packs[0].Chunks = append(m.Packs[0].Chunks, manifest.PackChunk{ID: id("c2~c0"), SealedLen: 40})
	m.Packs = append(m.Packs, manifest.Pack{Name: "zzz", Chunks: []manifest.PackChunk{
		{ID: id("s1~s0"), SealedLen: 20}, {ID: id("c3~c1"), SealedLen: 30}, {ID: id("c2~c0"), SealedLen: 40},
	}})
	m.Variants = []manifest.Variant{
		{ID: id("c2"), Base: id("c0"), Obj: id("c2~c0")},
		{ID: id("c3"), Base: id("c1"), Obj: id("c3~c1")},
		{ID: id("s1"), Base: id("s0"), Obj: id("s1~s0")},
	}
	slices.SortFunc(m.Variants, func(a, b manifest.Variant) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return m
}

// big returns a manifest shaped like a DB dump: tables streams of refs chunks each,
// packed in order into packs of perPack chunks with 32-character names. Chunk sizes
// follow ClassDB's chunker (2 KiB + exponential with 8 KiB mean, at most 64 KiB),
// sealed to about a quarter.
func big(tables, refs, perPack int, seed uint64) *manifest.Manifest {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &manifest.Manifest{Created: 1, Chunking: []manifest.ClassParams{{Class: chunkstore.ClassDB, Min: 2048, Max: 65536, AvgBits: 13}}}
	n := 0
	for t := range tables {
		s := manifest.Stream{Path: fmt.Sprintf("db/table%05d", t), Kind: manifest.KindFile,
			Class: chunkstore.ClassDB, Mode: 0o600, MTime: 1, Hash: numID(seed, -1-t)}
		for range refs {
			if n%perPack == 0 {
				m.Packs = append(m.Packs, manifest.Pack{Name: packName(seed, n/perPack)})
			}
			c := manifest.Ref{ID: numID(seed, n), Len: uint32(min(2048+rng.ExpFloat64()*8192, 65536))}
			p := &m.Packs[len(m.Packs)-1]
			p.Chunks = append(p.Chunks, manifest.PackChunk{ID: c.ID, SealedLen: c.Len/4 + 40})
			s.Chunks = append(s.Chunks, c)
			s.Size += uint64(c.Len)
			n++
		}
		m.Streams = append(m.Streams, s)
	}
	slices.SortFunc(m.Packs, func(a, b manifest.Pack) int { return strings.Compare(a.Name, b.Name) })
	return m
}

// withVariants returns a copy of m with a variant of every nth distinct chunk that
// m's streams reference, the Objs orphans in new packs of perPack slots each.
func withVariants(m *manifest.Manifest, every, perPack int) *manifest.Manifest {
	out := *m
	out.Packs = slices.Clone(m.Packs)
	seen := make(map[chunkstore.ID]bool)
	n := 0
	for _, s := range m.Streams {
		for _, r := range s.Chunks {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			if n++; (n-1)%every != 0 {
				continue
			}
			k := len(out.Variants)
			if k%perPack == 0 {
				out.Packs = append(out.Packs, manifest.Pack{Name: packName(77, k/perPack)})
			}
			v := manifest.Variant{ID: r.ID, Base: numID(78, k), Obj: numID(77, k)}
			p := &out.Packs[len(out.Packs)-1]
			p.Chunks = append(p.Chunks, manifest.PackChunk{ID: v.Obj, SealedLen: r.Len/16 + 40})
			out.Variants = append(out.Variants, v)
		}
	}
	slices.SortFunc(out.Packs, func(a, b manifest.Pack) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(out.Variants, func(a, b manifest.Variant) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return &out
}

func numID(seed uint64, n int) chunkstore.ID {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	return chunkstore.ID(blake3.Sum256(b[:]))
}

// packName returns a random-looking 32-character name, like chunkstore's.
func packName(seed uint64, n int) string {
	h := numID(seed, -1<<40-n)
	return hex.EncodeToString(h[:16])
}
