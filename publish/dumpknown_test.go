package publish_test

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"synco/dumpers"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
	"synco/publish/exposetest"
)

// TestRepublishedDumpChunksAsCold: a republished dump stream is split by its
// last version's chunk list (chunkstore.SplitKnown), into exactly the chunks a
// store with the same keys and no history cuts.
func TestRepublishedDumpChunksAsCold(t *testing.T) {
	v1 := sqlText(11, 3<<20)
	v2 := bytes.Clone(v1)
	for i := range 20 {
		copy(v2[100_000+i*150_000:], "'EDITED ROW'")
	}
	v2 = slices.Insert(v2, 1<<20, []byte("(424242,'an inserted row'),\n")...)
	v2 = v2[:len(v2)-70_000]

	warm := t.TempDir()
	build(t, warm, publish.Inputs{Dumps: []publish.Dump{dumpOf(map[string][]byte{"posts": v1})}})
	_, pub := build(t, warm, publish.Inputs{Dumps: []publish.Dump{dumpOf(map[string][]byte{"posts": v2})}})
	got := dumpChunks(t, warm, pub)

	cold := t.TempDir()
	master, err := os.ReadFile(filepath.Join(warm, "master"))
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(cold, 0o700)
	if err := os.WriteFile(filepath.Join(cold, "master"), master, 0o600); err != nil {
		t.Fatal(err)
	}
	_, pub = build(t, cold, publish.Inputs{Dumps: []publish.Dump{dumpOf(map[string][]byte{"posts": v2})}})
	want := dumpChunks(t, cold, pub)
	if len(want.Chunks) < 100 {
		t.Fatalf("%d chunks: the test covers little", len(want.Chunks))
	}
	if got.Hash != want.Hash || got.Size != want.Size || !slices.Equal(got.Chunks, want.Chunks) {
		t.Errorf("republished: %d chunks, size %d; cold: %d chunks, size %d", len(got.Chunks), got.Size, len(want.Chunks), want.Size)
	}
}

// dumpChunks returns the stream db/data/posts.sql of pub, built in state.
func dumpChunks(t *testing.T, state string, pub *publish.Publication) manifest.Stream {
	t.Helper()
	st, err := publish.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	tok := st.Token("")
	st.Close()
	srv := httptest.NewServer(httpsrv.Handler(pub.Prefix, pub))
	defer srv.Close()
	tok.URL = srv.URL + "/" + pub.Prefix
	rep := exposetest.Check(t, tok, exposetest.HTTP{Base: tok.URL})
	for _, s := range rep.Manifest.Streams {
		if s.Path == "db/"+dumpers.DataStream("posts") {
			return s
		}
	}
	t.Fatal("no stream db/data/posts.sql")
	return manifest.Stream{}
}

// TestDumpNotSplitByFileChunks: a dump stream at a path where the last publish
// had a file (chunked as ClassFile) is not split by that file's chunks, whose
// cuts a dump's chunker would not make.
func TestDumpNotSplitByFileChunks(t *testing.T) {
	data := sqlText(12, 2<<20)
	files := t.TempDir()
	os.MkdirAll(filepath.Join(files, "data"), 0o755)
	if err := os.WriteFile(filepath.Join(files, "data", "posts.sql"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	build(t, state, publish.Inputs{FileSets: []publish.FileSet{{Name: "db", Dir: files}}})
	_, pub := build(t, state, publish.Inputs{Dumps: []publish.Dump{dumpOf(map[string][]byte{"posts": data})}})
	got := dumpChunks(t, state, pub)

	cold := t.TempDir()
	master, err := os.ReadFile(filepath.Join(state, "master"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cold, "master"), master, 0o600); err != nil {
		t.Fatal(err)
	}
	_, pub = build(t, cold, publish.Inputs{Dumps: []publish.Dump{dumpOf(map[string][]byte{"posts": data})}})
	if want := dumpChunks(t, cold, pub); !slices.Equal(got.Chunks, want.Chunks) {
		t.Errorf("after a file at its path: %d chunks; cold: %d", len(got.Chunks), len(want.Chunks))
	}
}
