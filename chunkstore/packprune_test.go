package chunkstore_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
)

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	p, err := chunkstore.OpenPackStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	data := map[chunkstore.ID][]byte{}
	put := func(name string) chunkstore.ID {
		var id chunkstore.ID
		copy(id[:], fmt.Sprintf("%-32s", name))
		b := bytes.Repeat([]byte(name), 100)
		data[id] = b
		if err := p.Put(ctx, id, b); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Each Commit closes the current pack: pack A = a1..a3, B = b1..b2, C = c1.
	a1, a2, a3 := put("a1"), put("a2"), put("a3") // pack A, one third live below
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	b1, b2 := put("b1"), put("b2") // pack B, all live
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	c1 := put("c1") // pack C, dead
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	locA, _ := p.Locate(a1)
	locB, _ := p.Locate(b1)
	locC, _ := p.Locate(c1)
	for _, pk := range []string{locA.Pack, locC.Pack} {
		if _, err := os.Stat(filepath.Join(dir, "packs", pk)); err != nil {
			t.Fatalf("pack file %s before prune: %v", pk, err)
		}
	}
	live := map[chunkstore.ID]bool{a1: true, b1: true, b2: true}
	st, err := p.Prune(ctx, func(id chunkstore.ID) bool { return live[id] })
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 2 || st.Moved != 1 || st.Freed == 0 {
		t.Errorf("prune: %+v, want 2 packs dropped (A mostly dead, C dead), 1 chunk moved", st)
	}
	check := func(p *chunkstore.PackStore) {
		t.Helper()
		for id := range live {
			got, err := p.Get(ctx, id)
			if err != nil || !bytes.Equal(got, data[id]) {
				t.Errorf("live chunk %q after prune: %v", id[:2], err)
			}
		}
		for _, id := range []chunkstore.ID{a2, a3, c1} {
			if ok, _ := p.Has(ctx, id); ok {
				t.Errorf("dead chunk %q still in the store", id[:2])
			}
		}
		if _, ok := p.PackPath(locA.Pack); ok {
			t.Error("mostly dead pack A still served")
		}
		if _, ok := p.PackPath(locC.Pack); ok {
			t.Error("dead pack C still served")
		}
		if l, _ := p.Locate(b1); l != locB {
			t.Errorf("live pack B moved: %+v → %+v", locB, l)
		}
		if l, _ := p.Locate(a1); l.Pack == locA.Pack {
			t.Error("live chunk of pack A was not moved")
		}
		contents, err := p.Contents()
		if err != nil || len(contents) != 2 {
			t.Errorf("contents after prune: %d packs, %v", len(contents), err)
		}
	}
	check(p)
	for _, pk := range []string{locA.Pack, locC.Pack} {
		if _, err := os.Stat(filepath.Join(dir, "packs", pk)); !os.IsNotExist(err) {
			t.Errorf("pack file %s not deleted: %v", pk, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p, err = chunkstore.OpenPackStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	check(p)

	// Nothing live: the store empties.
	if st, err := p.Prune(ctx, func(chunkstore.ID) bool { return false }); err != nil || st.Remained != 0 {
		t.Fatalf("prune all: %+v, %v", st, err)
	}
}
