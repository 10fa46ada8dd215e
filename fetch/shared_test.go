package fetch

import (
	"testing"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// Shared counts the bytes of the new stream in chunks the old one also has,
// from the refs alone; a ref that is not a fetch's is not ok.
func TestShared(t *testing.T) {
	id := func(b byte) chunkstore.ID { var i chunkstore.ID; i[0] = b; return i }
	ref := func(chunks ...manifest.Ref) dumpers.StreamRef {
		st := manifest.Stream{Chunks: chunks}
		for _, c := range chunks {
			st.Size += uint64(c.Len)
		}
		return dumpers.StreamRef{Loc: encodeLoc(st)}
	}
	a, b, c, d := manifest.Ref{ID: id(1), Len: 10}, manifest.Ref{ID: id(2), Len: 20}, manifest.Ref{ID: id(3), Len: 30}, manifest.Ref{ID: id(4), Len: 5}
	var s dumpSource
	if shared, size, ok := s.Shared(ref(a, b, c), ref(b, d, c, b)); !ok || shared != 70 || size != 75 {
		t.Errorf("Shared = %d, %d, %v; want 70, 75, true", shared, size, ok)
	}
	if shared, size, ok := s.Shared(ref(a, b), ref(c, d)); !ok || shared != 0 || size != 35 {
		t.Errorf("Shared of disjoint streams = %d, %d, %v; want 0, 35, true", shared, size, ok)
	}
	if _, _, ok := s.Shared(dumpers.StreamRef{Loc: []byte("not a location")}, ref(a)); ok {
		t.Error("Shared of a malformed ref: ok")
	}
}
