package manifest_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

func TestManifestRoundTrip(t *testing.T) {
	for name, m := range map[string]*manifest.Manifest{
		"empty":  {},
		"sample": sample(),
		"big":    big(7, 90, 25, 1),
		// Variants in two packs (one Obj twice), and with multi-byte pack indices and slots.
		"variants":     sampleVariants(),
		"big variants": withVariants(big(30, 200, 25, 1), 2, 150),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := manifest.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("decoded manifest differs:\n got %+v\nwant %+v", got, m)
			}
			again, err := got.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encode differs (err %v)", err)
			}
		})
	}
}

func TestEncodeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m *manifest.Manifest)
	}{
		{"unsorted streams", func(m *manifest.Manifest) { m.Streams[1], m.Streams[2] = m.Streams[2], m.Streams[1] }},
		{"duplicate path", func(m *manifest.Manifest) { m.Streams[6].Path = "files/mixed" }},
		{"bad path", func(m *manifest.Manifest) { m.Streams[6].Path = "z/../z" }},
		{"file as parent", func(m *manifest.Manifest) { m.Streams[6].Path = "files/mixed/z" }},
		{"size mismatch", func(m *manifest.Manifest) { m.Streams[0].Size++ }},
		{"chunk in no pack", func(m *manifest.Manifest) { m.Streams[2].Chunks[0].ID = id("nowhere") }},
		{"two lengths for one chunk", func(m *manifest.Manifest) { m.Streams[5].Chunks[1].Len--; m.Streams[5].Size-- }},
		{"dir with size", func(m *manifest.Manifest) { m.Streams[1].Size = 1 }},
		{"dir with hash", func(m *manifest.Manifest) { m.Streams[1].Hash = id("x") }},
		{"dir with chunks", func(m *manifest.Manifest) { m.Streams[1].Chunks = []manifest.Ref{{id("s1"), 0}} }},
		{"mode beyond 0o7777", func(m *manifest.Manifest) { m.Streams[2].Mode = 0o10644 }},
		{"kind 0", func(m *manifest.Manifest) { m.Streams[1].Kind = 0 }},
		{"class 0", func(m *manifest.Manifest) { m.Streams[1].Class = 0 }},
		{"unsorted packs", func(m *manifest.Manifest) { m.Packs[0].Name = "zzz" }},
		{"duplicate pack", func(m *manifest.Manifest) { m.Packs[0].Name = "zz9" }},
		{"pack name upper case", func(m *manifest.Manifest) { m.Packs[0].Name = "0A1B" }},
		{"pack name empty", func(m *manifest.Manifest) { m.Packs[0].Name = "" }},
		{"pack name too long", func(m *manifest.Manifest) { m.Packs[0].Name = string(bytes.Repeat([]byte("0"), 65)) }},
		{"sealed length 0", func(m *manifest.Manifest) { m.Packs[1].Chunks[2].SealedLen = 0 }},
		{"unsorted chunking", func(m *manifest.Manifest) { m.Chunking[0], m.Chunking[1] = m.Chunking[1], m.Chunking[0] }},
		{"chunking class 0", func(m *manifest.Manifest) { m.Chunking[0].Class = 0 }},
		{"chunking min > max", func(m *manifest.Manifest) { m.Chunking[0].Min = m.Chunking[0].Max + 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sample()
			tc.change(m)
			if _, err := m.Encode(); !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Encode error %v, want ErrFormat", err)
			}
		})
	}
}

// dirs encodes a manifest of directories at paths, bypassing no validation.
func dirs(t *testing.T, paths ...string) []byte {
	t.Helper()
	m := &manifest.Manifest{}
	for _, p := range paths {
		m.Streams = append(m.Streams, manifest.Stream{Path: p, Kind: manifest.KindDir, Class: chunkstore.ClassFile})
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func replace(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if bytes.Count(b, []byte(old)) != 1 {
		t.Fatalf("%q is not in the encoding exactly once", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestDecodeRejects(t *testing.T) {
	good, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	h := len("syncoM") // offset of the version
	// Offsets into the streams section of sample(), see SPEC.md for the codes.
	c1, c2 := id("c1"), id("c2")
	firstC1 := bytes.Index(good, c1[:]) + 32    // db/schema ref 0: 1000<<1|1, named 0a1b slot 0
	lastC1 := bytes.LastIndex(good, c1[:]) + 32 // db/schema ref 3: 1000<<1|1, mru[0] slot 0
	c2Len := bytes.LastIndex(good, c2[:]) + 32  // db/schema ref 1: 2000<<1, continuation
	if !bytes.Equal(good[firstC1:firstC1+8], []byte{0xd1, 0x0f, 0, 4, '0', 'a', '1', 'b'}) ||
		!bytes.Equal(good[lastC1:lastC1+3], []byte{0xd1, 0x0f, 1}) || !bytes.Equal(good[c2Len:c2Len+2], []byte{0xa0, 0x1f}) {
		t.Fatal("sample encoding changed; fix the offsets in this test")
	}
	firstLoc, lastLoc := firstC1+2, lastC1+2
	at := func(i, n int, b ...byte) []byte { return slices.Concat(good[:i], b, good[i+n:]) }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"unsorted streams", replace(t, dirs(t, "aa", "bb"), "aa", "cc")},
		{"duplicate paths", replace(t, dirs(t, "aa", "bb"), "bb", "aa")},
		{"dot-dot", replace(t, dirs(t, "qq/x"), "qq/x", "../x")},
		{"absolute", replace(t, dirs(t, "qabs"), "qabs", "/abs")},
		{"empty element", replace(t, dirs(t, "a/qb"), "a/qb", "a//b")},
		{"dot element", replace(t, dirs(t, "a/q/b"), "a/q/b", "a/./b")},
		{"dot", replace(t, dirs(t, "q"), "q", ".")},
		{"trailing slash", replace(t, dirs(t, "a/bq"), "a/bq", "a/b/")},
		{"backslash", replace(t, dirs(t, "aqb"), "aqb", `a\b`)},
		{"NUL", replace(t, dirs(t, "aqb"), "aqb", "a\x00b")},
		{"trailing bytes", append(dirs(t, "a"), 0)},
		{"non-minimal varint", slices.Concat(good[:h+1], []byte{0x80 | good[h+1], 0}, good[h+2:])},
		{"non-minimal count", slices.Concat(dirs(t)[:h+3], []byte{0x80, 0}, dirs(t)[h+4:])},
		{"huge count", slices.Concat(dirs(t)[:h+4], []byte{0xff, 0xff, 0xff, 0xff, 0x0f})},
		{"bad magic", replace(t, dirs(t), "syncoM", "syncoX")},
		{"root magic", replace(t, dirs(t), "syncoM", "syncoR")},
		{"explicit slot where a continuation fits", at(c2Len, 2, 0xa1, 0x1f, 1*4+1)},
		{"named pack that is remembered", at(lastLoc, 1, 0, 4, '0', 'a', '1', 'b')},
		{"continuation of nothing", at(firstC1, 8, 0xd0, 0x0f)},
		{"remembered pack beyond the list", at(firstLoc, 6, 1)},
		{"unknown pack", at(firstLoc, 6, 0, 4, '0', 'a', '1', 'c')},
		{"slot beyond the pack", at(lastLoc, 1, 4*4+1)},
		{"slot holds another chunk", at(lastLoc, 1, 1*4+1)},
		{"empty", nil},
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
			if _, err := manifest.Decode(good[:n]); !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Decode of %d/%d bytes: error %v, want ErrFormat", n, len(good), err)
			}
		}
	})
	t.Run("version 2", func(t *testing.T) {
		b := slices.Clone(good)
		b[h] = 2
		if _, err := manifest.Decode(b); !errors.Is(err, manifest.ErrVersion) {
			t.Fatalf("Decode error %v, want ErrVersion", err)
		}
	})
}

// TestDecodeMutations checks the canonical property on many damaged encodings:
// Decode either fails with ErrFormat/ErrVersion or its result encodes to the input.
func TestDecodeMutations(t *testing.T) {
	for name, m := range map[string]*manifest.Manifest{"sample": sample(), "variants": sampleVariants()} {
		t.Run(name, func(t *testing.T) {
			good, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			accepted := 0
			for range 20000 {
				b := mutate(rng, good)
				m, err := manifest.Decode(b)
				if err != nil {
					if !errors.Is(err, manifest.ErrFormat) && !errors.Is(err, manifest.ErrVersion) {
						t.Fatalf("Decode error %v wraps neither ErrFormat nor ErrVersion", err)
					}
					continue
				}
				accepted++
				again, err := m.Encode()
				if err != nil || !bytes.Equal(again, b) {
					t.Fatalf("Decode accepted a non-canonical input (re-encode err %v)", err)
				}
			}
			t.Logf("%d mutants decoded (all canonical)", accepted)
		})
	}
}

func mutate(rng *rand.Rand, in []byte) []byte {
	b := slices.Clone(in)
	for range 1 + rng.IntN(3) {
		i := rng.IntN(len(b))
		switch rng.IntN(4) {
		case 0:
			b[i] ^= byte(1 << rng.IntN(8))
		case 1:
			b[i] = byte(rng.IntN(256))
		case 2:
			b = slices.Insert(b, i, byte(rng.IntN(256)))
		case 3:
			b = slices.Delete(b, i, i+1)
		}
	}
	return b
}

func TestLocate(t *testing.T) {
	locs := sample().Locate()
	want := map[chunkstore.ID]manifest.Loc{
		id("c1"):      {ID: id("c1"), Len: 1000, Pack: "0a1b", Off: 0, SealedLen: 100},
		id("c2"):      {ID: id("c2"), Len: 2000, Pack: "0a1b", Off: 100, SealedLen: 200},
		id("orphan1"): {ID: id("orphan1"), Len: 0, Pack: "0a1b", Off: 300, SealedLen: 50},
		id("c3"):      {ID: id("c3"), Len: 3000, Pack: "0a1b", Off: 350, SealedLen: 300},
		id("s1"):      {ID: id("s1"), Len: 10, Pack: "zz9", Off: 0, SealedLen: 60},
		id("s2"):      {ID: id("s2"), Len: 20, Pack: "zz9", Off: 60, SealedLen: 70},
		id("s3"):      {ID: id("s3"), Len: 30, Pack: "zz9", Off: 130, SealedLen: 80},
	}
	if !reflect.DeepEqual(locs, want) {
		t.Fatalf("Locate:\n got %+v\nwant %+v", locs, want)
	}
}
