package manifest_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

// noVariants returns m's encoding without its variants section.
func noVariants(t *testing.T, m *manifest.Manifest) []byte {
	t.Helper()
	c := *m
	c.Variants = nil
	return mustEncode(t, &c)
}

// TestVariantsAreASuffix checks that the variants section is optional-trailing:
// the same manifest without variants encodes as the bytes before it.
func TestVariantsAreASuffix(t *testing.T) {
	for name, m := range map[string]*manifest.Manifest{
		"sample":      sampleVariants(),
		"big":         withVariants(big(7, 90, 25, 1), 3, 40),
		"every chunk": withVariants(big(3, 200, 150, 2), 1, 200),
	} {
		t.Run(name, func(t *testing.T) {
			b, prefix := mustEncode(t, m), noVariants(t, m)
			if !bytes.HasPrefix(b, prefix) {
				t.Fatal("the encoding without variants is not a prefix of the encoding with them")
			}
			got, err := manifest.Decode(b)
			if err != nil || !reflect.DeepEqual(got, m) {
				t.Fatalf("Decode = %+v, %v; want the manifest", got, err)
			}
			t.Logf("%d variants in %d bytes", len(m.Variants), len(b)-len(prefix))
		})
	}
}

func TestEncodeVariantsInvalid(t *testing.T) {
	one := func(v manifest.Variant) func(m *manifest.Manifest) {
		return func(m *manifest.Manifest) { m.Variants = []manifest.Variant{v} }
	}
	for _, tc := range []struct {
		name   string
		change func(m *manifest.Manifest)
	}{
		{"unsorted", func(m *manifest.Manifest) { m.Variants[0], m.Variants[1] = m.Variants[1], m.Variants[0] }},
		{"duplicate ID", func(m *manifest.Manifest) { m.Variants[1].ID = m.Variants[0].ID }},
		{"ID of an orphan", one(manifest.Variant{ID: id("orphan1"), Base: id("c0"), Obj: id("c2~c0")})},
		{"ID in no pack", one(manifest.Variant{ID: id("nowhere"), Base: id("c0"), Obj: id("c2~c0")})},
		{"Obj in no pack", one(manifest.Variant{ID: id("c2"), Base: id("c0"), Obj: id("nowhere")})},
		{"Obj is the chunk", one(manifest.Variant{ID: id("c2"), Base: id("c0"), Obj: id("c2")})},
		{"Base is the chunk", one(manifest.Variant{ID: id("c2"), Base: id("c2"), Obj: id("c2~c0")})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleVariants()
			tc.change(m)
			_, err := m.Encode()
			t.Log(err)
			if !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Encode error %v, want ErrFormat", err)
			}
		})
	}
}

// variant is one entry of a hand-made variants section: pack and slot are
// encoded as one byte each (a uvarint below 128).
type variant struct {
	id, base   chunkstore.ID
	pack, slot byte
}

func TestDecodeVariantsRejects(t *testing.T) {
	m := sampleVariants()
	good, prefix := mustEncode(t, m), noVariants(t, m)
	// section returns the manifest of sampleVariants() with a variants section of
	// count n and the given entries. In its packs, 0a1b (index 0) holds c1, c2,
	// orphan1, c3 and the orphan c2~c0; zzz (index 2) holds s1~s0, c3~c1 and c2~c0.
	section := func(n byte, vs ...variant) []byte {
		b := append(slices.Clone(prefix), n)
		for _, v := range vs {
			b = append(append(append(b, v.id[:]...), v.base[:]...), v.pack, v.slot)
		}
		return b
	}
	c2, c3, base := id("c2"), id("c3"), id("c0")
	valid := variant{c2, base, 0, 4}
	if _, err := manifest.Decode(section(1, valid)); err != nil {
		t.Fatalf("Decode of a valid hand-made section: %v", err)
	}
	if !bytes.HasPrefix(c2[:], []byte{0x83}) || !bytes.HasPrefix(c3[:], []byte{0x57}) {
		t.Fatal("IDs changed: c3 must sort before c2")
	}
	var ff chunkstore.ID
	for i := range ff {
		ff[i] = 0xff
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"count 0", section(0)},
		{"count beyond the input", section(2, valid)},
		{"huge count", append(slices.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"unsorted", section(2, valid, variant{c3, base, 2, 1})},
		{"duplicate ID", section(2, variant{c3, base, 2, 1}, variant{c3, base, 0, 4})},
		{"ID of an orphan", section(1, variant{id("orphan1"), base, 0, 4})},
		{"ID in no pack", section(2, valid, variant{ff, base, 2, 0})},
		{"Obj is the chunk", section(1, variant{c2, base, 0, 1})},
		{"Base is the chunk", section(1, variant{c2, c2, 0, 4})},
		{"Obj not at its first slot", section(1, variant{c2, base, 2, 2})},
		{"slot beyond the pack", section(1, variant{c2, base, 0, 5})},
		{"pack beyond the packs", section(1, variant{c2, base, 3, 0})},
		{"non-minimal slot", append(section(1, valid)[:len(prefix)+1+65], 0x84, 0)},
		{"trailing bytes", append(slices.Clone(good), 0)},
		{"trailing bytes after a hand-made section", append(section(1, valid), 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := manifest.Decode(tc.b)
			t.Log(err)
			if !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Decode error %v, want ErrFormat", err)
			}
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(good) {
			got, err := manifest.Decode(good[:n])
			if n == len(prefix) {
				if err != nil || len(got.Variants) != 0 {
					t.Fatalf("Decode without the variants section: %d variants, error %v", len(got.Variants), err)
				}
			} else if !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Decode of %d/%d bytes: error %v, want ErrFormat", n, len(good), err)
			}
		}
	})
}

// TestDecodeVariantsCountBound checks that a count that cannot fit (n variants in
// less than n × 66 bytes) is rejected before anything is allocated for it.
func TestDecodeVariantsCountBound(t *testing.T) {
	const n = 1 << 16
	b := binary.AppendUvarint(noVariants(t, sampleVariants()), n)
	b = append(b, make([]byte, n*65)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := manifest.Decode(b)
	runtime.ReadMemStats(&after)
	t.Log(err)
	if !errors.Is(err, manifest.ErrFormat) {
		t.Fatalf("Decode error %v, want ErrFormat", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("Decode of a %d-byte input allocated %d bytes", len(b), alloc)
	}
}

func TestLocateVariants(t *testing.T) {
	locs := sampleVariants().Locate()
	for _, want := range []manifest.Loc{
		{ID: id("c2~c0"), Pack: "0a1b", Off: 650, SealedLen: 40}, // not zzz: the first slot wins
		{ID: id("s1~s0"), Pack: "zzz", Off: 0, SealedLen: 20},
		{ID: id("c3~c1"), Pack: "zzz", Off: 20, SealedLen: 30},
		{ID: id("c2"), Len: 2000, Pack: "0a1b", Off: 100, SealedLen: 200},
	} {
		if got := locs[want.ID]; got != want {
			t.Errorf("Locate()[%s] = %+v, want %+v", want.ID, got, want)
		}
	}
}
