package chunkstore_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/chunkstore/storetest"
)

func openPack(t *testing.T, dir string) *chunkstore.PackStore {
	t.Helper()
	p, err := chunkstore.OpenPackStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestPackStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chunkstore.Store { return openPack(t, t.TempDir()) })
	t.Run("SmallPacks", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) chunkstore.Store {
			p := openPack(t, t.TempDir())
			chunkstore.SetPackTarget(p, 3000)
			return p
		})
	})
}

// putSealed seals n SQL chunks into s and returns their IDs and sealed forms.
func putSealed(t *testing.T, s chunkstore.Store, seed uint64, n int) ([]chunkstore.ID, [][]byte) {
	t.Helper()
	k := testKeys()
	var ids []chunkstore.ID
	var sealed [][]byte
	for i := range n {
		plain := sqlDump(seed*1000+uint64(i), 2000+i*10)
		id := k.ID(plain)
		b := k.Seal(nil, id, plain)
		if err := s.Put(t.Context(), id, b); err != nil {
			t.Fatal(err)
		}
		ids, sealed = append(ids, id), append(sealed, b)
	}
	return ids, sealed
}

func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "packs"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPackStoreReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	p := openPack(t, dir)
	chunkstore.SetPackTarget(p, 20000)
	ids, sealed := putSealed(t, p, 1, 40)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	locs := map[chunkstore.ID]chunkstore.Loc{}
	for _, id := range ids {
		locs[id], _ = p.Locate(id)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(packFiles(t, dir)); n < 3 {
		t.Errorf("%d packs, want several at a 20000-byte target", n)
	}

	p = openPack(t, dir)
	for i, id := range ids {
		got, err := p.Get(t.Context(), id)
		if err != nil || !bytes.Equal(got, sealed[i]) {
			t.Fatalf("chunk %d after reopen: %v", i, err)
		}
		loc, ok := p.Locate(id)
		if !ok || loc != locs[id] {
			t.Fatalf("Locate %d = %+v, %v; before reopen %+v", i, loc, ok, locs[id])
		}
		path, ok := p.PackPath(loc.Pack)
		if !ok || !filepath.IsAbs(path) {
			t.Fatalf("PackPath(%s) = %q, %v", loc.Pack, path, ok)
		}
		b, _ := os.ReadFile(path)
		if !bytes.Equal(b[loc.Off:loc.Off+uint64(loc.Len)], sealed[i]) {
			t.Fatalf("pack bytes at %+v differ", loc)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "index")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("index: %v, %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir: %v, %v", fi.Mode(), err)
	}
}

// TestPackStoreAdjacent checks that a run's chunks lie back to back in new
// packs, and that PackPath serves only committed packs.
func TestPackStoreAdjacent(t *testing.T) {
	dir := t.TempDir()
	p := openPack(t, dir)
	first, _ := putSealed(t, p, 1, 5)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	ids, sealed := putSealed(t, p, 2, 10)
	var prev chunkstore.Loc
	for i, id := range ids {
		loc, ok := p.Locate(id)
		switch {
		case !ok:
			t.Fatalf("chunk %d not located", i)
		case i == 0 && loc.Off != 0:
			t.Errorf("first chunk of a run at offset %d, want a new pack", loc.Off)
		case i > 0 && (loc.Pack != prev.Pack || loc.Off != prev.Off+uint64(prev.Len)):
			t.Errorf("chunk %d at %+v, not right after %+v", i, loc, prev)
		}
		if loc.Len != uint32(len(sealed[i])) {
			t.Errorf("chunk %d: Len %d, want %d", i, loc.Len, len(sealed[i]))
		}
		prev = loc
	}
	old, _ := p.Locate(first[0])
	if old.Pack == prev.Pack {
		t.Error("a committed pack was appended to")
	}
	if _, ok := p.PackPath(prev.Pack); ok {
		t.Error("PackPath serves an uncommitted pack")
	}
	if _, ok := p.PackPath("../index"); ok {
		t.Error("PackPath accepts an unknown name")
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.PackPath(prev.Pack); !ok {
		t.Error("PackPath does not serve a committed pack")
	}
	// Putting a known ID again does not grow the pack.
	putSealed(t, p, 2, 10)
	if loc, _ := p.Locate(ids[0]); loc != (chunkstore.Loc{Pack: loc.Pack, Off: 0, Len: loc.Len}) || len(packFiles(t, dir)) != 2 {
		t.Errorf("re-put moved chunks or made packs: %d packs", len(packFiles(t, dir)))
	}
}

func TestPackStoreUncommittedVanish(t *testing.T) {
	dir := t.TempDir()
	p := openPack(t, dir)
	kept, _ := putSealed(t, p, 1, 3)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	lost, _ := putSealed(t, p, 2, 3)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(p *chunkstore.PackStore) {
		t.Helper()
		for _, id := range kept {
			if ok, _ := p.Has(t.Context(), id); !ok {
				t.Errorf("committed chunk %s lost", id)
			}
		}
		for _, id := range lost {
			if ok, _ := p.Has(t.Context(), id); ok {
				t.Errorf("uncommitted chunk %s survived", id)
			}
		}
		if n := len(packFiles(t, dir)); n != 1 {
			t.Errorf("%d pack files, want 1", n)
		}
	}
	p = openPack(t, dir)
	check(p)

	// A crash (no Close) leaves packs and a temp index behind; the next
	// open removes them.
	putSealed(t, p, 3, 3)
	chunkstore.Crash(p)
	os.WriteFile(filepath.Join(dir, "packs", "0123456789abcdef0123456789abcdef"), []byte("junk"), 0o600)
	os.WriteFile(filepath.Join(dir, "index.tmp-123"), []byte("junk"), 0o600)
	p = openPack(t, dir)
	check(p)
	if _, err := os.Stat(filepath.Join(dir, "index.tmp-123")); err == nil {
		t.Error("temp index not removed")
	}
}

// Finished packs are fsynced in the background while later chunks are put;
// Commit waits for every fsync and fails, for good, if one failed.
func TestPackStoreBackgroundSync(t *testing.T) {
	release := make(chan struct{})
	var synced atomic.Int32
	chunkstore.SetPackSync(t, func(f *os.File) error {
		<-release
		if synced.Add(1) == 3 {
			return errors.New("injected fsync failure")
		}
		return f.Sync()
	})
	p := openPack(t, t.TempDir())
	chunkstore.SetPackTarget(p, 1) // a pack per chunk
	putSealed(t, p, 1, 5)          // four packs finished, their fsyncs waiting

	committed := make(chan error, 1)
	go func() { committed <- p.Commit() }()
	select {
	case err := <-committed:
		t.Fatalf("Commit returned (%v) before the packs were fsynced", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-committed; err == nil || !strings.Contains(err.Error(), "injected fsync failure") {
		t.Fatalf("Commit = %v, want the fsync failure", err)
	}
	if err := p.Commit(); err == nil {
		t.Error("second Commit succeeded after a failed fsync")
	}
}

func TestPackStoreLocked(t *testing.T) {
	dir := t.TempDir()
	p := openPack(t, dir)
	if _, err := chunkstore.OpenPackStore(dir); !errors.Is(err, chunkstore.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	p.Close()
	if _, err := p.Has(t.Context(), chunkstore.ID{}); err == nil {
		t.Error("Has after Close: no error")
	}
	openPack(t, dir)
}

func TestPackStoreDamage(t *testing.T) {
	dir := t.TempDir()
	p := openPack(t, dir)
	chunkstore.SetPackTarget(p, 1) // one chunk per pack
	ids, sealed := putSealed(t, p, 1, 3)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	loc0, _ := p.Locate(ids[0])
	loc1, _ := p.Locate(ids[1])
	p.Close()

	// A missing or short pack drops its chunks; the others stay.
	os.Remove(filepath.Join(dir, "packs", loc0.Pack))
	os.Truncate(filepath.Join(dir, "packs", loc1.Pack), int64(loc1.Len)-1)
	p = openPack(t, dir)
	for i, want := range []bool{false, false, true} {
		if ok, _ := p.Has(t.Context(), ids[i]); ok != want {
			t.Errorf("chunk %d: present %v, want %v", i, ok, want)
		}
	}
	if got, err := p.Get(t.Context(), ids[2]); err != nil || !bytes.Equal(got, sealed[2]) {
		t.Errorf("intact chunk: %v", err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Close()

	// A damaged index is an error, not an empty store.
	index := filepath.Join(dir, "index")
	b, _ := os.ReadFile(index)
	flip := func(i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	for _, bad := range [][]byte{b[:len(b)-1], append([]byte("X"), b[1:]...), {}, flip(len(b) - 40), flip(len(b) - 1), append(bytes.Clone(b), 0)} {
		os.WriteFile(index, bad, 0o600)
		if p, err := chunkstore.OpenPackStore(dir); err == nil {
			p.Close()
			t.Errorf("open with a damaged index (%d bytes) succeeded", len(bad))
		}
	}
}

func TestPackStoreTooLarge(t *testing.T) {
	p := openPack(t, t.TempDir())
	if err := p.Put(t.Context(), chunkstore.ID{}, make([]byte, chunkstore.MaxSealedSize+1)); err == nil {
		t.Error("oversized Put accepted")
	}
}

func TestPackStoreContents(t *testing.T) {
	p := openPack(t, t.TempDir())
	chunkstore.SetPackTarget(p, 10000)
	ids, sealed := putSealed(t, p, 1, 12)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	pending, _ := putSealed(t, p, 2, 2)
	contents, err := p.Contents()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, id := range ids {
		loc, _ := p.Locate(id)
		var off uint64
		found := false
		for _, e := range contents[loc.Pack] {
			if e.ID == id {
				found = off == loc.Off && e.Len == uint32(len(sealed[i]))
				break
			}
			off += uint64(e.Len)
		}
		if !found {
			t.Errorf("chunk %d at %+v not listed there", i, loc)
		}
		seen++
	}
	total := 0
	for _, es := range contents {
		total += len(es)
	}
	if loc, _ := p.Locate(pending[0]); total != seen || contents[loc.Pack] != nil {
		t.Errorf("Contents lists %d chunks, want the %d committed ones", total, seen)
	}
}

// TestPutAside: chunks put aside go to packs of their own, which OnFull does not
// report; both kinds are readable before and after Commit and survive a reopen;
// a chunk the store holds is not put again in either lane.
func TestPutAside(t *testing.T) {
	dir := t.TempDir()
	p := openPack(t, dir)
	chunkstore.SetPackTarget(p, 5000)
	var full []string
	p.OnFull(func(name, _ string, _ int64) { full = append(full, name) })
	k := testKeys()
	main, aside := map[chunkstore.ID][]byte{}, map[chunkstore.ID][]byte{}
	for i := range 12 {
		plain := sqlDump(7000+uint64(i), 2000)
		id := k.ID(plain)
		b := k.Seal(nil, id, plain)
		put, m := p.PutNew, main
		if i%3 == 0 {
			put, m = p.PutAside, aside
		}
		if added, err := put(t.Context(), id, b); err != nil || !added {
			t.Fatalf("put %d: added %v, %v", i, added, err)
		}
		m[id] = b
		if got, err := p.Get(t.Context(), id); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("get %d before commit: %v", i, err)
		}
	}
	for id, b := range main {
		if added, err := p.PutAside(t.Context(), id, b); err != nil || added {
			t.Fatalf("PutAside of a held chunk: added %v, %v", added, err)
		}
		break
	}
	if len(full) == 0 {
		t.Fatal("no main pack reported full: the test would not cover OnFull")
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p = openPack(t, dir)
	contents, err := p.Contents()
	if err != nil {
		t.Fatal(err)
	}
	lane := map[string]string{}
	for name, entries := range contents {
		for _, e := range entries {
			kind := "main"
			if _, ok := aside[e.ID]; ok {
				kind = "aside"
			} else if _, ok := main[e.ID]; !ok {
				t.Fatalf("pack %s holds an unknown chunk", name)
			}
			if lane[name] != "" && lane[name] != kind {
				t.Fatalf("pack %s holds chunks of both lanes", name)
			}
			lane[name] = kind
		}
	}
	for _, name := range full {
		if lane[name] != "main" {
			t.Errorf("OnFull reported pack %s of lane %q", name, lane[name])
		}
	}
	for id, b := range aside {
		if got, err := p.Get(t.Context(), id); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("aside chunk after reopen: %v", err)
		}
	}
}

// TestFirstPacksOfARun: the first packs of a run are closed early (1, 2, 4 MiB,
// then PackTarget) and reported full, so a destination downloading ahead starts
// after the first MiB of new chunks; a commit starts a new run.
func TestFirstPacksOfARun(t *testing.T) {
	p := openPack(t, t.TempDir())
	var full []int64
	p.OnFull(func(_, _ string, size int64) { full = append(full, size) })
	const chunk = 64 << 10
	put := func(n int64) {
		for range n / chunk {
			b := make([]byte, chunk)
			rand.Read(b)
			if err := p.Put(t.Context(), chunkstore.ID(sha256.Sum256(b)), b); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(24 << 20)
	want := []int64{1 << 20, 2 << 20, 4 << 20, chunkstore.PackTarget, chunkstore.PackTarget}
	if len(full) != len(want) {
		t.Fatalf("packs reported full: %v, want sizes %v", full, want)
	}
	for i, w := range want {
		if full[i] < w || full[i] >= w+chunk {
			t.Fatalf("pack %d closed at %d bytes, want %d (packs %v)", i, full[i], w, full)
		}
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	full = nil
	put(2 << 20)
	if len(full) != 1 || full[0] != chunkstore.FirstPack {
		t.Fatalf("after a commit: packs reported full %v, want one of %d bytes", full, chunkstore.FirstPack)
	}
}
