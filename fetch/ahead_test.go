package fetch_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/fetch"
	"synco/publish"
)

// TestDownloadAhead: a cold fetch downloads the packs the source lists as
// finished while the source still builds (here: a dump that does not end until
// the fetch has done so), serves the plan's reads of them from those files, so
// nothing is downloaded twice, installs what was published, and leaves no file
// behind. A fetch whose cache already holds the store does not download ahead.
func TestDownloadAhead(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, n := range []string{"a.bin", "b.bin", "c.bin"} {
		b := make([]byte, 9<<20) // incompressible: ≈ 27 MiB, 3 packs filled
		crand.Read(b)
		files[n] = b
	}
	writeTree(t, dir, files)
	stateDir := t.TempDir()
	st, err := publish.OpenState(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, err := publish.NewPublication(st)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := serve(t, st, pub)

	release, built := buildHeld(pub, dir)

	to := filepath.Join(t.TempDir(), "out")
	opt := options(t, &source{token: tok}, to, nil)
	opt.Ahead = true
	var sawAhead bool
	opt.Progress = func(p fetch.Progress) {
		if p.Phase == "waiting" && p.Ahead >= 16<<20 {
			sawAhead = true
			release()
		}
	}
	stats, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if !sawAhead || stats.AheadBytes < 16<<20 {
		t.Fatalf("downloaded %d bytes ahead (seen while waiting: %v), want ≥ 2 packs", stats.AheadBytes, sawAhead)
	}
	if stats.BytesDownloaded > 30<<20 {
		t.Errorf("downloaded %d bytes for ≈ 27 MiB: the packs downloaded ahead were downloaded again", stats.BytesDownloaded)
	}
	if stats.ManifestBytes == 0 || stats.ManifestBytes > 64<<10 { // four files: a few KB, whatever came ahead meanwhile
		t.Errorf("manifest: %d bytes", stats.ManifestBytes)
	}
	checkFiles(t, filepath.Join(to, "files"), files)
	ents, _ := os.ReadDir(opt.Cache.Root())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "ahead-") {
			t.Errorf("download-ahead directory %s left in the cache", e.Name())
		}
	}

	// Warm: the same cache, a new publication of the same store: bytes edited
	// in place in two files (their chunks come as splices, the whole chunks go
	// to packs listed only at Ready) and a new file (finished packs: the run's
	// first three hold 1 + 2 + 4 MiB, chunkstore.FirstPack). The fetch downloads
	// them ahead and not the whole forms of the spliced chunks.
	for _, n := range []string{"a.bin", "b.bin"} {
		for off := 0; off < len(files[n]); off += 1 << 20 {
			files[n][off] ^= 0xff
		}
	}
	files["d.bin"] = make([]byte, 9<<20)
	crand.Read(files["d.bin"])
	writeTree(t, dir, files)
	pub2, err := publish.NewPublication(st)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _ := serve(t, st, pub2)
	release, built = buildHeld(pub2, dir)
	opt.Token, opt.Remote = tok2, nil
	opt.Progress = func(p fetch.Progress) {
		if p.Phase == "waiting" && p.Ahead >= 7*chunkstore.FirstPack {
			release()
		}
	}
	again, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	t.Logf("warm: %d bytes, %d ahead, %d spliced", again.BytesDownloaded, again.AheadBytes, again.ChunksSpliced)
	if again.AheadBytes < 7*chunkstore.FirstPack || again.ChunksSpliced == 0 {
		t.Fatalf("warm cache: %d bytes downloaded ahead, %d chunks spliced; want ≥ 3 packs and splices", again.AheadBytes, again.ChunksSpliced)
	}
	if again.BytesDownloaded > 11<<20 {
		t.Errorf("warm cache: downloaded %d bytes for a new 9 MiB file and splices", again.BytesDownloaded)
	}
	checkFiles(t, filepath.Join(to, "files"), files)
}

// buildHeld builds pub from the files in dir and a database dump that holds
// the build until release is called (or 30 s passed): the source keeps
// building while a fetch downloads ahead. built gets the build's error.
func buildHeld(pub *publish.Publication, dir string) (release func(), built <-chan error) {
	held := make(chan struct{})
	var once sync.Once
	slowDump := publish.Dump{Prefix: "db", Engine: "mysql", Run: func(ctx context.Context, sink dumpers.Sink) error {
		w, err := sink.Create(ctx, dumpers.SchemaStream)
		if err != nil {
			return err
		}
		w.Write([]byte("CREATE TABLE t (id int);\n"))
		select {
		case <-held:
		case <-time.After(30 * time.Second):
		case <-ctx.Done():
		}
		return w.Close()
	}}
	done := make(chan error, 1)
	go func() {
		_, err := publish.Build(context.Background(), pub, publish.Inputs{
			FileSets: []publish.FileSet{{Name: "files", Dir: dir}},
			Dumps:    []publish.Dump{slowDump},
		}, 2, nil)
		done <- err
	}()
	return func() { once.Do(func() { close(held) }) }, done
}

// checkFiles checks that dir holds files, byte for byte.
func checkFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for n, b := range files {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s differs after the fetch (%v)", n, err)
		}
	}
}

// TestAheadKeptInCache: a fetch from a store new to the cache (another store
// of the same files: after --rotate, or pull after publish) downloads ahead
// what the source finished, though the files here are already up to date;
// those chunks are kept in the cache, so a later change of one file at that
// store downloads only what changed (it downloaded the whole file again).
func TestAheadKeptInCache(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, n := range []string{"a.bin", "b.bin", "c.bin"} {
		b := make([]byte, 9<<20)
		crand.Read(b)
		files[n] = b
	}
	writeTree(t, dir, files)
	to := filepath.Join(t.TempDir(), "out")

	// The files arrive here from a first store.
	st1, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st1.Close()
	pub1, _ := publish.NewPublication(st1)
	release, built := buildHeld(pub1, dir)
	release()
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	tok1, _ := serve(t, st1, pub1)
	if _, err := fetch.Run(t.Context(), options(t, &source{token: tok1}, to, nil)); err != nil {
		t.Fatal(err)
	}

	// A second store of the same files, fetched with downloading ahead: the
	// files here are up to date, the plan takes nothing of them.
	st2, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	pub2, _ := publish.NewPublication(st2)
	tok2, _ := serve(t, st2, pub2)
	release, built = buildHeld(pub2, dir)
	opt := options(t, &source{token: tok2}, to, nil)
	opt.Ahead = true
	opt.Progress = func(p fetch.Progress) {
		if p.Phase == "waiting" && p.Ahead >= 16<<20 {
			release()
		}
	}
	s2, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if s2.AheadBytes < 16<<20 {
		t.Fatalf("downloaded %d bytes ahead, want ≥ 2 packs", s2.AheadBytes)
	}

	// The second store publishes again: one MiB of a.bin changed.
	for off := 0; off < 1<<20; off += 4096 {
		files["a.bin"][off] ^= 0xff
	}
	writeTree(t, dir, files)
	pub3, _ := publish.NewPublication(st2)
	release, built = buildHeld(pub3, dir)
	release()
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	tok3, _ := serve(t, st2, pub3)
	opt.Token, opt.Remote, opt.Progress, opt.Ahead = tok3, nil, nil, false
	s3, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, filepath.Join(to, "files"), files)
	// the changed chunks of a.bin (files' chunks are MBs), not the 27 MiB
	// that every file rewritten at the source (new mtimes) would need without
	if s3.BytesDownloaded > 8<<20 {
		t.Errorf("a change in the first MiB of a.bin downloaded %d bytes: the chunks downloaded ahead were not kept", s3.BytesDownloaded)
	}
}
