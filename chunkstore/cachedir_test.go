package chunkstore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"synco/chunkstore"
	"synco/chunkstore/storetest"
)

func TestDirConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chunkstore.Store {
		d, err := chunkstore.OpenDir(filepath.Join(t.TempDir(), "chunks"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestDirLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	d, err := chunkstore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	id := testKeys().ID([]byte("x"))
	if err := d.Put(t.Context(), id, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, id.String()[:2], id.String())
	if d.Path(id) != want {
		t.Errorf("Path = %s, want %s", d.Path(id), want)
	}
	for path, mode := range map[string]os.FileMode{root: 0o700 | os.ModeDir, filepath.Dir(want): 0o700 | os.ModeDir, want: 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode() != mode {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode(), err, mode)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(want))
	if len(ents) != 1 {
		t.Errorf("%d files in shard dir, want 1 (no temp files left)", len(ents))
	}

	if err := d.Remove(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.Has(t.Context(), id); ok {
		t.Error("chunk still there after Remove")
	}
	if err := d.Remove(t.Context(), id); err != nil {
		t.Errorf("Remove(absent) = %v", err)
	}
}

// TestDirShared writes the same chunks through two Dirs on one root, as two
// processes would.
func TestDirShared(t *testing.T) {
	root := t.TempDir()
	a, _ := chunkstore.OpenDir(root)
	b, _ := chunkstore.OpenDir(root)
	k := testKeys()
	var wg sync.WaitGroup
	for _, d := range []*chunkstore.Dir{a, b, a, b} {
		wg.Go(func() {
			for i := range 50 {
				plain := []byte{byte(i)}
				id := k.ID(plain)
				if err := d.Put(t.Context(), id, k.Seal(nil, id, plain)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i := range 50 {
		plain := []byte{byte(i)}
		id := k.ID(plain)
		sealed, err := b.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := k.Open(nil, id, sealed); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
}
