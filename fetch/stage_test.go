package fetch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

// batch.deliver writes a chunk to all its places, each once; a plaintext whose
// length differs from the signed one is tampered, wherever the place is.
func TestBatchDeliver(t *testing.T) {
	ida, idb := chunkstore.ID{1}, chunkstore.ID{2}
	chunks := map[chunkstore.ID][]byte{ida: []byte("chunk-a"), idb: []byte("bb")}
	newBatch := func(t *testing.T, refs ...manifest.Ref) (*stage, *batch) {
		t.Helper()
		s := manifest.Stream{Path: "f", Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: 0o600, Chunks: refs}
		for _, r := range refs {
			s.Size += uint64(r.Len)
		}
		p, err := newPlan([]manifest.Stream{s}, nil, t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		locs := &locTable{ls: []cloc{{id: ida}, {id: idb}}} // sorted by ID
		st, err := (&fetcher{locs: locs}).newStage(&manifest.Root{}, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.cleanup)
		return st, st.newBatch(nil)
	}

	st, bt := newBatch(t, manifest.Ref{ID: ida, Len: 7}, manifest.Ref{ID: idb, Len: 2}, manifest.Ref{ID: ida, Len: 7})
	for _, id := range []chunkstore.ID{ida, idb, ida} { // a chunk delivered twice still lands where it belongs
		if err := bt.deliver(id, chunks[id]); err != nil {
			t.Fatal(err)
		}
	}
	if err := bt.flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.complete(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(st.p.to, "f")); err != nil || string(b) != "chunk-abbchunk-a" { // new: written in place
		t.Fatalf("written file = %q, %v", b, err)
	}

	for _, tc := range []struct {
		name string
		refs []manifest.Ref
	}{
		{"first place", []manifest.Ref{{ID: ida, Len: 6}, {ID: idb, Len: 2}}},
		{"later place", []manifest.Ref{{ID: ida, Len: 7}, {ID: idb, Len: 2}, {ID: ida, Len: 8}}},
	} {
		_, bt := newBatch(t, tc.refs...)
		if err := bt.deliver(ida, chunks[ida]); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: deliver = %v, want ErrTampered", tc.name, err)
		}
	}
}
