package fetch_test

import (
	"context"
	crand "crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"synco/fetch"
	"synco/publish"
)

// TestSeedFromLocalFiles: files here that hold the published content but not
// its times (a copy that did not keep them), fetched with an empty cache, are
// not downloaded again: their chunks are read from them at the published
// offsets. A local file with a byte changed gets only the chunk around it.
// The result is the published files, times included.
func TestSeedFromLocalFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{"a.bin": make([]byte, 9<<20), "b.bin": make([]byte, 12<<20)}
	for _, b := range files {
		crand.Read(b)
	}
	writeTree(t, dir, files)
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, _ := publish.NewPublication(st)
	if _, err := publish.Build(context.Background(), pub, publish.Inputs{FileSets: []publish.FileSet{{Name: "files", Dir: dir}}}, 2, nil); err != nil {
		t.Fatal(err)
	}
	tok, _ := serve(t, st, pub)

	to := filepath.Join(t.TempDir(), "out")
	if _, err := fetch.Run(t.Context(), options(t, &source{token: tok}, to, nil)); err != nil {
		t.Fatal(err)
	}
	// The copy here loses its times, and one byte of b.bin changes.
	now := time.Now()
	for n := range files {
		p := filepath.Join(to, "files", n)
		if err := os.Chtimes(p, now, now); err != nil {
			t.Fatal(err)
		}
	}
	bad := append([]byte(nil), files["b.bin"]...)
	bad[len(bad)-100] ^= 0xff
	if err := os.WriteFile(filepath.Join(to, "files", "b.bin"), bad, 0o640); err != nil {
		t.Fatal(err)
	}

	s, err := fetch.Run(t.Context(), options(t, &source{token: tok}, to, nil)) // an empty cache
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, filepath.Join(to, "files"), files)
	fi, err := os.Stat(filepath.Join(dir, "a.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.Stat(filepath.Join(to, "files", "a.bin")); err != nil || !got.ModTime().Equal(fi.ModTime()) {
		t.Errorf("a.bin's time is not the published one: %v", err)
	}
	t.Logf("%d bytes downloaded, %d chunks from the local files of %d", s.BytesDownloaded, s.ChunksLocal, s.ChunksTotal)
	if s.ChunksLocal == 0 || s.BytesDownloaded > 9<<20 {
		t.Errorf("downloaded %d bytes (%d chunks from the local files) where 21 MiB are here but one chunk", s.BytesDownloaded, s.ChunksLocal)
	}
}
