package publish

import (
	"bytes"
	"slices"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

func TestBaseIndex(t *testing.T) {
	a, b, short := []byte("(1,'alpha','some text'),\n"), []byte("(2,'beta','other text'),\n"), []byte("tiny")
	var rec baseIndex
	rec.add(chunkstore.ID{1}, a)
	rec.add(chunkstore.ID{2}, b)
	rec.add(chunkstore.ID{3}, short) // too short to have fingers: not recorded
	x := decodeBases(rec.encode())   // as the next publish loads it
	if x == nil || len(x.recs) != 2 {
		t.Fatalf("decoded %v", x)
	}
	editedMiddle := bytes.Replace(a, []byte("alpha"), []byte("ALPHA"), 1)
	editedEnd := append(bytes.Clone(b[:len(b)-2]), "X\n"...)
	editedStart := append([]byte("(9,'"), a[4:]...)
	for _, tc := range []struct {
		name  string
		plain []byte
		want  []chunkstore.ID
	}{
		{"same first and last bytes", editedMiddle, []chunkstore.ID{{1}}},
		{"same first bytes", editedEnd, []chunkstore.ID{{2}}},
		{"same last bytes", editedStart, []chunkstore.ID{{1}}},
		{"new data", []byte("a row that was never there before;\n"), nil},
		{"too short", []byte("(1,'alpha'"), nil},
	} {
		if got := x.candidates(tc.plain); !slices.Equal(got, tc.want) {
			t.Errorf("%s: candidates %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *baseIndex // no db-chunks file: no splices
	if got := none.candidates(editedMiddle); got != nil {
		t.Errorf("nil index: %v", got)
	}
	if decodeBases([]byte("damaged")) != nil {
		t.Error("a damaged file decoded")
	}
}

// db-chunks is read back by the next publish: any bytes decode or are refused,
// and what decodes encodes to the same bytes.
func FuzzDecodeBases(f *testing.F) {
	var rec baseIndex
	rec.add(chunkstore.ID{1}, []byte("(1,'alpha','some text'),\n"))
	rec.add(chunkstore.ID{2}, []byte("(2,'beta','other text'),\n"))
	f.Add(rec.encode())
	f.Add([]byte{})
	f.Add([]byte("damaged"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x := decodeBases(b)
		if x == nil {
			return
		}
		if got := x.encode(); !bytes.Equal(got, b) {
			t.Fatalf("decode then encode: %x, want %x", got, b)
		}
		x.candidates(b) // no panic on any lookup
	})
}

func TestPrevChunks(t *testing.T) {
	id := func(b byte) chunkstore.ID { return chunkstore.ID{b} }
	at := prevChunks([]manifest.Ref{{ID: id(1), Len: 100}, {ID: id(2), Len: 50}, {ID: id(3), Len: 10}})
	for _, c := range []struct {
		off  uint64
		want []chunkstore.ID
	}{
		{0, []chunkstore.ID{id(1)}},
		{99, []chunkstore.ID{id(1)}},
		{100, []chunkstore.ID{id(2)}},
		{159, []chunkstore.ID{id(3)}},
		{160, nil}, // appended beyond the old end
		{1 << 40, nil},
	} {
		if got := at(c.off); !slices.Equal(got, c.want) {
			t.Errorf("chunk at %d: %v, want %v", c.off, got, c.want)
		}
	}
	if got := prevChunks(nil)(0); got != nil {
		t.Errorf("no last version: %v", got)
	}
}
