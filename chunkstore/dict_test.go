package chunkstore_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"synco/chunkstore"
)

// testDict is a dictionary trained on SQL of seed 11.
var testDict = sync.OnceValue(func() []byte {
	d, err := chunkstore.BuildDict(split(testSplitter(), chunkstore.ClassDB, sqlDump(11, 2<<20)))
	if err != nil {
		panic(err)
	}
	return d
})

func TestDictRoundTrip(t *testing.T) {
	k := testKeys()
	did, err := k.AddDict(testDict())
	if err != nil {
		t.Fatal(err)
	}
	full := k.ID(testDict())
	if !bytes.Equal(did[:], full[:8]) {
		t.Errorf("DictID %s is not the first 8 bytes of the ID %s", did, full)
	}
	if again, err := k.AddDict(testDict()); err != nil || again != did {
		t.Errorf("second AddDict = %s, %v", again, err)
	}
	var plainTotal, withTotal, withoutTotal int
	for i, plain := range [][]byte{nil, []byte("x"), randBytes(4, 5000), sqlDump(11, 9000), sqlDump(12, 30000), make([]byte, 20000)} {
		id := k.ID(plain)
		sealed := k.SealWith(nil, id, plain, did)
		if len(sealed) > len(plain)+chunkstore.Overhead {
			t.Errorf("plain %d: sealed %d bytes > raw form", i, len(sealed))
		}
		got, err := k.Open(nil, id, sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("plain %d: Open = %v (equal %v)", i, err, bytes.Equal(got, plain))
		}
		if i == 4 {
			plainTotal, withTotal, withoutTotal = len(plain), len(sealed), len(k.Seal(nil, id, plain))
		}
	}
	// SQL of another seed shares the vocabulary's shape, not its words.
	if withTotal >= withoutTotal {
		t.Errorf("30 kB of SQL: %d sealed with the dictionary, %d without", withTotal, withoutTotal)
	}
	t.Logf("30 kB of SQL: %d → %d with dictionary, %d without", plainTotal, withTotal, withoutTotal)
}

func TestOpenWithoutDict(t *testing.T) {
	k := testKeys()
	did, _ := k.AddDict(testDict())
	plain := sqlDump(13, 12000)
	id := k.ID(plain)
	sealed := k.SealWith(nil, id, plain, did)

	reader := testKeys() // same read key, no dictionary yet
	_, err := reader.Open(nil, id, sealed)
	if !errors.Is(err, chunkstore.ErrNoDict) || errors.Is(err, chunkstore.ErrCorrupt) {
		t.Fatalf("Open without the dictionary: %v; want ErrNoDict and not ErrCorrupt", err)
	}
	if _, err := reader.AddDict(testDict()); err != nil {
		t.Fatal(err)
	}
	if got, err := reader.Open(nil, id, sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open after AddDict: %v", err)
	}
	// Tampering is still tampering, dictionary or not.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x40
		_, err := testKeys().Open(nil, id, bad)
		wantCorrupt(t, err, id)
	}
}

func TestOpenAuthenticatedGarbageDict(t *testing.T) {
	k := testKeys()
	did, _ := k.AddDict(testDict())
	inner := func(b ...[]byte) []byte { return bytes.Join(append([][]byte{{2}}, b...), nil) }
	tests := []struct {
		name   string
		inner  []byte
		noDict bool
	}{
		{"no dict id", inner([]byte{1, 2, 3}), false},
		{"unknown dict", inner(make([]byte, 8), []byte("xx")), true},
		{"bad zstd", inner(did[:], []byte{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := k.ID([]byte("xx"))
			_, err := k.Open(nil, id, k.SealInner([chunkstore.NonceSize]byte{}, id, tt.inner))
			if tt.noDict {
				if !errors.Is(err, chunkstore.ErrNoDict) {
					t.Fatalf("error %v, want ErrNoDict", err)
				}
				return
			}
			wantCorrupt(t, err, id)
		})
	}
}

func TestAddDictRejects(t *testing.T) {
	k := testKeys()
	for name, b := range map[string][]byte{
		"empty":   nil,
		"garbage": []byte("not a zstd dictionary at all"),
		"huge":    make([]byte, chunkstore.MaxDictSize+1),
	} {
		if _, err := k.AddDict(b); err == nil {
			t.Errorf("%s: AddDict accepted it", name)
		}
	}
}

func TestSealWithUnknownDictPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	testKeys().SealWith(nil, chunkstore.ID{}, []byte("x"), chunkstore.DictID{1})
}

func TestBuildDictTooLittle(t *testing.T) {
	if _, err := chunkstore.BuildDict([][]byte{sqlDump(1, 3000)}); err == nil {
		t.Error("BuildDict on 3 kB succeeded")
	}
}

func TestParseDictID(t *testing.T) {
	d := chunkstore.DictID{0xab, 1, 2, 3, 4, 5, 6, 0xff}
	if got, err := chunkstore.ParseDictID(d.String()); err != nil || got != d {
		t.Errorf("ParseDictID(%s) = %s, %v", d, got, err)
	}
	for _, s := range []string{"", "ab01", "AB01020304050 6ff", "AB010203040506FF", "ab010203040506ffab"} {
		if _, err := chunkstore.ParseDictID(s); err == nil {
			t.Errorf("ParseDictID(%q) accepted", s)
		}
	}
}
