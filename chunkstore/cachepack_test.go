package chunkstore_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/chunkstore"
)

func packChunk(i int) (chunkstore.ID, []byte) {
	id := chunkstore.ID{byte(i), byte(i >> 8), 0x77}
	return id, bytes.Repeat([]byte{byte(i)}, 100+i)
}

// writePack appends chunks lo..hi-1 through one PackWriter and returns the
// pack's .dat path.
func writePack(t *testing.T, c *chunkstore.Cache, lo, hi int) string {
	t.Helper()
	before, _ := filepath.Glob(filepath.Join(c.Root(), "packs", "*.dat"))
	w := c.NewPackWriter()
	var flushed []chunkstore.ID
	w.Flushed = func(ids []chunkstore.ID) { flushed = append(flushed, ids...) }
	for i := lo; i < hi; i++ {
		id, b := packChunk(i)
		if err := w.Add(t.Context(), id, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(flushed) != hi-lo || w.Pending() != 0 {
		t.Fatalf("flushed %d of %d chunks, %d pending", len(flushed), hi-lo, w.Pending())
	}
	after, _ := filepath.Glob(filepath.Join(c.Root(), "packs", "*.dat"))
	for _, p := range after {
		if !contains(before, p) {
			return p
		}
	}
	return after[len(after)-1]
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestCachePackWriter(t *testing.T) {
	dir := t.TempDir()
	c, _ := chunkstore.OpenCache(dir)
	writePack(t, c, 0, 50)
	other, _ := chunkstore.OpenCache(dir) // as another process, or the next run
	for _, cc := range []*chunkstore.Cache{c, other} {
		for i := range 50 {
			id, want := packChunk(i)
			if ok, err := cc.Has(t.Context(), id); !ok || err != nil {
				t.Fatalf("Has(%d) = %v, %v", i, ok, err)
			}
			got, err := cc.Get(t.Context(), id)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Get(%d) = %d bytes, %v", i, len(got), err)
			}
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "packs")); len(ents) != 2 {
		t.Errorf("50 chunks made %d files, want one pack (.dat + .idx)", len(ents))
	}
	// Removing one chunk (found damaged) drops its whole pack.
	id0, _ := packChunk(0)
	id1, _ := packChunk(1)
	if err := other.Remove(t.Context(), id0); err != nil {
		t.Fatal(err)
	}
	for _, cc := range []*chunkstore.Cache{other, mustOpen(t, dir)} {
		if ok, _ := cc.Has(t.Context(), id1); ok {
			t.Error("chunk of a removed pack still present")
		}
	}
}

func mustOpen(t *testing.T, dir string) *chunkstore.Cache {
	t.Helper()
	c, err := chunkstore.OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCachePackDamage(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir)
	dat := writePack(t, c, 0, 10)
	// A truncated data file (power loss) reads as corrupt, not as a short chunk.
	fi, _ := os.Stat(dat)
	os.Truncate(dat, fi.Size()-5)
	id9, _ := packChunk(9)
	if _, err := mustOpen(t, dir).Get(t.Context(), id9); !errors.Is(err, chunkstore.ErrCorrupt) {
		t.Errorf("truncated pack: %v, want ErrCorrupt", err)
	}
	// A damaged index record: it and the records after it are ignored.
	idx := strings.TrimSuffix(dat, ".dat") + ".idx"
	b, _ := os.ReadFile(idx)
	b[3*48+10] ^= 1
	os.WriteFile(idx, b, 0o600)
	d := mustOpen(t, dir)
	for i := range 10 {
		id, _ := packChunk(i)
		if ok, _ := d.Has(t.Context(), id); ok != (i < 3) {
			t.Errorf("chunk %d after a damaged record 3: present %v", i, ok)
		}
	}
}

func TestCachePackGC(t *testing.T) {
	dir := t.TempDir()
	var dats []string
	for i := range 3 {
		dats = append(dats, writePack(t, mustOpen(t, dir), i*10, i*10+10)) // one pack per writer process
	}
	base := time.Now().Add(-10 * time.Hour)
	for i, d := range dats {
		os.Chtimes(d, time.Time{}, base.Add(time.Duration(i)*time.Hour))
	}
	// Using a chunk of the oldest pack makes it the newest.
	c := mustOpen(t, dir)
	if _, err := c.Get(t.Context(), chunkstore.ID{0, 0, 0x77}); err != nil {
		t.Fatal(err)
	}
	size, err := c.Size(t.Context())
	if err != nil || size == 0 {
		t.Fatalf("Size = %d, %v", size, err)
	}
	removed, freed, err := c.GC(t.Context(), size-1)
	if err != nil || removed != 10 || freed == 0 {
		t.Fatalf("GC = %d chunks, %d bytes, %v; want the 10 chunks of one pack", removed, freed, err)
	}
	if _, err := os.Stat(dats[1]); err == nil {
		t.Error("GC kept the least recently used pack")
	}
	for _, d := range []string{dats[0], dats[2]} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("GC removed a more recently used pack: %v", err)
		}
	}
	if ok, _ := c.Has(t.Context(), chunkstore.ID{10, 0, 0x77}); ok {
		t.Error("chunk of a collected pack still present")
	}
	if removed, _, _ := c.GC(t.Context(), 0); removed != 20 {
		t.Errorf("GC(0) removed %d chunks, want 20", removed)
	}
}
