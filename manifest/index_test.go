package manifest

import (
	"reflect"
	"testing"

	"synco/chunkstore"
)

// TestIDPrefixCollision covers IDs that share the 8-byte prefix idIndex hashes.
func TestIDPrefixCollision(t *testing.T) {
	var a, b, c chunkstore.ID
	for i := range a {
		a[i], b[i], c[i] = 1, 1, 1
	}
	b[31], c[31] = 2, 3
	m := &Manifest{
		Packs: []Pack{{Name: "p", Chunks: []PackChunk{{a, 10}, {b, 20}, {a, 30}, {c, 40}}}},
		Streams: []Stream{{Path: "f", Kind: KindFile, Class: chunkstore.ClassFile, Size: 3,
			Chunks: []Ref{{b, 1}, {a, 1}, {b, 1}}}},
	}
	x := newIDIndex(m.Packs, 0)
	for i, pc := range m.Packs[0].Chunks {
		x.add(pc.ID, slot{0, int32(i)})
	}
	for id, want := range map[chunkstore.ID]slot{a: {0, 0}, b: {0, 1}, c: {0, 3}} {
		if got, ok := x.get(id); !ok || got != want {
			t.Errorf("get(%s) = %v, %v; want %v", id, got, ok, want)
		}
	}
	var d chunkstore.ID
	d[0] = 1
	if _, ok := x.get(d); ok {
		t.Error("get found an ID that was never added")
	}
	enc, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, m)
	}
	if l := got.Locate()[a]; l.Off != 0 || l.Len != 1 {
		t.Fatalf("Locate(a) = %+v, want the first slot", l)
	}
}
