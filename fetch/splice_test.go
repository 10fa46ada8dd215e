package fetch_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/manifest"
	"synco/publish"
)

// A dump republished with a few rows edited: a destination that fetched the
// first version downloads splices of its cached chunks instead of the changed
// chunks; a cold one downloads the chunks; one whose cached bases are damaged
// downloads the chunks too, and its fetch still succeeds.
func TestFetchSplices(t *testing.T) {
	day1 := sqlish(7, 400_000)
	day2 := bytes.Clone(day1)
	const edits = 10
	for i := range edits {
		copy(day2[20_000+i*38_000:], "'EDITED ROW'")
	}
	dump := filepath.Join(t.TempDir(), "dump.sql")
	if err := os.WriteFile(dump, day1, 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	st1, pub1 := publishDump(t, stateDir, dump)
	tok1, stop1 := serve(t, st1, pub1)
	warm := openCache(t)
	run := func(cache *chunkstore.Cache, tok manifest.Token, want []byte) *fetch.Stats {
		t.Helper()
		to := filepath.Join(t.TempDir(), "out")
		stats, err := fetch.Run(t.Context(), fetch.Options{Token: tok, To: to, Cache: cache, Parallel: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(to, "dump.sql")); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("fetched dump differs (%v)", err)
		}
		return stats
	}
	run(warm, tok1, day1)
	stop1()
	st1.Close()
	// A copy of the warm cache, opened after copying (a cache reads other
	// processes' additions at most once a second).
	damagedRoot := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(damagedRoot, os.DirFS(warm.Root())); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(dump, day2, 0o600); err != nil {
		t.Fatal(err)
	}
	st2, pub2 := publishDump(t, stateDir, dump)
	t.Cleanup(func() { st2.Close() })
	tok2, _ := serve(t, st2, pub2)

	cold := openCache(t)
	c := run(cold, tok2, day2)
	if c.ChunksSpliced != 0 {
		t.Errorf("cold fetch: %d chunks spliced, want 0", c.ChunksSpliced)
	}

	w := run(warm, tok2, day2)
	t.Logf("cold: %d chunks, %d bytes; warm: %d chunks (%d spliced), %d bytes (%d besides the manifest)",
		c.ChunksDownloaded, c.BytesDownloaded, w.ChunksDownloaded, w.ChunksSpliced, w.BytesDownloaded, w.BytesDownloaded-w.ManifestBytes)
	if w.ChunksSpliced < edits/2 || w.ChunksSpliced > w.ChunksDownloaded {
		t.Errorf("warm fetch: %d of %d downloaded chunks spliced, want most of them", w.ChunksSpliced, w.ChunksDownloaded)
	}

	// Damage every chunk the warm cache had and the cold one lacks: the bases.
	need := cacheIDs(t, cold.Root())
	n := 0
	for id, at := range cacheIDs(t, damagedRoot) {
		if _, ok := need[id]; ok {
			continue
		}
		b, err := os.ReadFile(at.file)
		if err != nil {
			t.Fatal(err)
		}
		b[at.off+at.len/2] ^= 1
		if err := os.WriteFile(at.file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < edits/2 {
		t.Fatalf("only %d bases to damage", n)
	}
	damaged, err := chunkstore.OpenCache(damagedRoot)
	if err != nil {
		t.Fatal(err)
	}
	d := run(damaged, tok2, day2)
	t.Logf("damaged %d bases: %d chunks (%d spliced), %d bytes", n, d.ChunksDownloaded, d.ChunksSpliced, d.BytesDownloaded)
	if d.ChunksSpliced != 0 || d.ChunksDownloaded != w.ChunksDownloaded || d.Requests <= w.Requests {
		t.Errorf("damaged bases: %d of %d chunks spliced in %d requests, want none of %d, and a request for each chunk",
			d.ChunksSpliced, d.ChunksDownloaded, d.Requests, w.ChunksDownloaded)
	}
	// The damaged run downloaded the splices and then the chunks: what a splice
	// saves is the rest, at least 1 KB a chunk here (a sealed chunk is ≈ 2.5 KB,
	// a splice of one edited row ≈ 0.3 KB).
	if saved := d.BytesDownloaded - w.BytesDownloaded; saved < int64(w.ChunksSpliced)*1000 {
		t.Errorf("splices saved %d bytes for %d chunks", saved, w.ChunksSpliced)
	}
}

func openCache(t *testing.T) *chunkstore.Cache {
	t.Helper()
	c, err := chunkstore.OpenCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type cached struct {
	file     string
	off, len int
}

// cacheIDs lists the chunks in a cache's packs (chunkstore's cache pack index:
// 48-byte records of ID, offset, length and CRC).
func cacheIDs(t *testing.T, root string) map[chunkstore.ID]cached {
	t.Helper()
	m := map[chunkstore.ID]cached{}
	idx, _ := filepath.Glob(filepath.Join(root, "packs", "*.idx"))
	for _, p := range idx {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for ; len(b) >= 48; b = b[48:] {
			var id chunkstore.ID
			copy(id[:], b)
			m[id] = cached{strings.TrimSuffix(p, ".idx") + ".dat", int(binary.LittleEndian.Uint64(b[32:])), int(binary.LittleEndian.Uint32(b[40:]))}
		}
	}
	return m
}

// Files changed in place or appended to are published as splices of their last
// version's chunk at the same offset (the last version being what was published
// under the same name, from whatever directory); a destination that has that
// version downloads the splices and writes the same files.
func TestFetchFileSplices(t *testing.T) {
	src := t.TempDir()
	files := map[string][]byte{}
	for i, name := range []string{"patched.bin", "appended.bin", "rewritten.bin"} {
		files[name] = bytes.Repeat(randomish(uint64(i), 50_000), 8) // 400 kB, several file chunks
		if err := os.WriteFile(filepath.Join(src, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: src}}}
	stateDir, cache := t.TempDir(), openCache(t)
	fetchTree := func(st *publish.State, pub *publish.Publication) *fetch.Stats {
		t.Helper()
		tok, stop := serve(t, st, pub)
		defer stop()
		to := filepath.Join(t.TempDir(), "out")
		stats, err := fetch.Run(t.Context(), fetch.Options{Token: tok, To: to, Cache: cache, Parallel: 2})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range files {
			if got, err := os.ReadFile(filepath.Join(to, "up", name)); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s differs after the fetch (%v)", name, err)
			}
		}
		return stats
	}
	st1, pub1 := publishInputs(t, stateDir, in)
	fetchTree(st1, pub1)
	st1.Close()

	copy(files["patched.bin"][1000:], "patched in place")
	files["appended.bin"] = append(files["appended.bin"], randomish(9, 3000)...)
	files["rewritten.bin"] = randomish(10, 400_000)
	// Day 2 comes from another directory (a new release's, say): the last
	// version is what was published under the same name.
	src = t.TempDir()
	in.FileSets[0].Dir = src
	later := time.Now().Add(time.Hour)
	for name, b := range files {
		path := filepath.Join(src, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, later, later) // changed for the stat cache whatever the clock's resolution
	}
	st2, pub2 := publishInputs(t, stateDir, in)
	t.Cleanup(func() { st2.Close() })
	s := fetchTree(st2, pub2)
	t.Logf("day 2: %d chunks downloaded, %d spliced, %d bytes", s.ChunksDownloaded, s.ChunksSpliced, s.BytesDownloaded)
	// The patched file's chunk always splices (1,000 bytes before the patch and
	// the rest of its chunk after it are shared). The appended file's does when
	// its old last chunk is at least as long as what was appended, which depends
	// on the store's random polynomial.
	if s.ChunksSpliced < 1 {
		t.Errorf("%d chunks spliced, want at least the patched file's", s.ChunksSpliced)
	}
	if s.BytesDownloaded > 400_000+100_000 {
		t.Errorf("%d bytes downloaded: more than the rewritten file and two small edits", s.BytesDownloaded)
	}
}

// randomish is n incompressible bytes from seed.
func randomish(seed uint64, n int) []byte {
	b := make([]byte, n+8)
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := 0; i < n; i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(b[i:], x)
	}
	return b[:n]
}
