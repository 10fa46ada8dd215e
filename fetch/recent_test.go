package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"synco/chunkstore"
)

// TestChunkOpenedOnce: a chunk read twice in a row (the old and the new
// snapshot of a table share it) is read from the cache and opened once; the
// plaintexts kept stay within recentBytes, the oldest going first; a damaged
// chunk that was not kept is still found.
func TestChunkOpenedOnce(t *testing.T) {
	cache, err := chunkstore.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var key [32]byte
	f := &fetcher{opt: Options{Cache: cache}, keys: chunkstore.NewKeys(key)}
	put := func(i int) chunkstore.ID {
		plain := bytes.Repeat([]byte(fmt.Sprintf("(%d,'row'),", i)), 100_000/12)
		id := f.keys.ID(plain)
		if err := cache.Put(t.Context(), id, f.keys.Seal(nil, id, plain)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := put(1)
	p1, err := f.chunk(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	cache.Remove(t.Context(), a) // read again from the cache, it would fail
	if p2, err := f.chunk(t.Context(), a); err != nil || &p2[0] != &p1[0] {
		t.Fatalf("second read of a chunk: %v, same plaintext %v", err, err == nil && &p2[0] == &p1[0])
	}
	for i := range 2 * recentBytes / 100_000 { // push a out
		if _, err := f.chunk(t.Context(), put(100+i)); err != nil {
			t.Fatal(err)
		}
		if f.recent.bytes > recentBytes {
			t.Fatalf("%d bytes kept, more than %d", f.recent.bytes, recentBytes)
		}
	}
	if _, err := f.chunk(t.Context(), a); !errors.Is(err, chunkstore.ErrNotFound) {
		t.Fatalf("a chunk pushed out and gone from the cache: %v, want not found", err)
	}
	if len(f.recent.at) != len(f.recent.ring)-f.recent.head {
		t.Fatalf("index of %d, ring of %d live slots", len(f.recent.at), len(f.recent.ring)-f.recent.head)
	}
}
