package chunkstore_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/chunkstore/storetest"
)

func TestCacheConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chunkstore.Store {
		c, err := chunkstore.OpenCache(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

func TestCacheTouch(t *testing.T) {
	c, _ := chunkstore.OpenCache(t.TempDir())
	ctx := t.Context()
	id := chunkstore.ID{1}
	if err := c.Put(ctx, id, []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	path := c.Path(id)

	recent := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	os.Chtimes(path, time.Time{}, recent)
	c.Has(ctx, id)
	c.Get(ctx, id)
	if got := mtime(t, path); !got.Equal(recent) {
		t.Errorf("use within the hour rewrote mtime: %v", got)
	}

	for _, use := range []func() error{
		func() error { _, err := c.Has(ctx, id); return err },
		func() error { _, err := c.Get(ctx, id); return err },
	} {
		old := time.Now().Add(-2 * time.Hour)
		os.Chtimes(path, time.Time{}, old)
		if err := use(); err != nil {
			t.Fatal(err)
		}
		if got := mtime(t, path); time.Since(got) > time.Minute {
			t.Errorf("use after 2h did not bump mtime: %v", got)
		}
	}
}

func TestCacheGC(t *testing.T) {
	c, _ := chunkstore.OpenCache(t.TempDir())
	ctx := t.Context()
	base := time.Now().Add(-100 * time.Hour)
	var ids []chunkstore.ID
	for i := range 6 {
		id := chunkstore.ID{byte(i), 0xcc} // shards 00..05
		ids = append(ids, id)
		if err := c.Put(ctx, id, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(c.Path(id), time.Time{}, base.Add(time.Duration(i)*time.Hour))
	}
	// Using the oldest chunk makes it the newest.
	if _, err := c.Get(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	// A stale temp file of a crashed writer goes, a fresh one stays.
	shard := filepath.Dir(c.Path(ids[1]))
	stale, fresh := filepath.Join(shard, ".tmp-stale"), filepath.Join(shard, ".tmp-fresh")
	os.WriteFile(stale, make([]byte, 50), 0o600)
	os.WriteFile(fresh, make([]byte, 70), 0o600)
	os.Chtimes(stale, time.Time{}, time.Now().Add(-2*time.Hour))
	// Unrelated files are not touched.
	foreign := filepath.Join(shard, "README")
	os.WriteFile(foreign, make([]byte, 5000), 0o600)

	if size, err := c.Size(ctx); err != nil || size != 6000 {
		t.Fatalf("Size = %d, %v; want 6000", size, err)
	}
	removed, freed, err := c.GC(ctx, 3500)
	if err != nil || removed != 4 || freed != 3050 {
		t.Fatalf("GC = %d, %d, %v; want 4 files (3 chunks + stale temp), 3050 bytes", removed, freed, err)
	}
	for i, want := range []bool{true, false, false, false, true, true} {
		if ok, _ := c.Has(ctx, ids[i]); ok != want {
			t.Errorf("chunk %d (age rank %d): present %v, want %v", i, i, ok, want)
		}
	}
	for path, want := range map[string]bool{stale: false, fresh: true, foreign: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	if size, _ := c.Size(ctx); size != 3000 {
		t.Errorf("Size after GC = %d, want 3000", size)
	}
	if removed, _, _ := c.GC(ctx, 0); removed != 3 {
		t.Errorf("GC(0) removed %d, want 3", removed)
	}
}
