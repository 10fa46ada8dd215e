package publish_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
	"synco/publish"
)

// built is a Session's Build result and whether the training that follows it
// trained the store's dictionary.
type built struct {
	*publish.Result
	DictTrained bool
}

func build(t *testing.T, stateDir string, in publish.Inputs) (built, *publish.Publication) {
	t.Helper()
	var b built
	// Keep what the store was published with: a helper build does not change it.
	sel, _ := os.ReadFile(filepath.Join(stateDir, "selection"))
	s, err := publish.OpenSession(publish.SessionConfig{StateDir: stateDir, Selection: string(sel)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pub := s.Publication()
	if s, _ := pub.State(); s != manifest.StateCreated {
		t.Fatalf("new publication in state %v", s)
	}
	if b.Result, err = s.Build(t.Context(), in, 2, nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := pub.State(); s != manifest.StateReady {
		t.Fatalf("built publication in state %v", s)
	}
	if err := s.Close(); err != nil { // waits for the training
		t.Fatal(err)
	}
	b.DictTrained = b.Result.DictTrained
	return b, pub
}

func TestRepublishReusesUnchangedFiles(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	for i := range 10 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte(strings.Repeat(fmt.Sprint(i), 5000)), 0o644)
	}
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir}}}
	first, _ := build(t, state, in)
	if first.Reused != 0 || first.NewChunks == 0 || first.Streams != 11 {
		t.Fatalf("first build: %+v", first)
	}
	second, _ := build(t, state, in)
	if second.Reused != 10 || second.Chunks != first.Chunks {
		t.Fatalf("unchanged republish: %+v", second)
	}
	// Touch one file (new mtime, same content) and change another.
	future := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(dir, "f1"), future, future)
	os.WriteFile(filepath.Join(dir, "f2"), []byte("changed"), 0o644)
	third, _ := build(t, state, in)
	if third.Reused != 8 {
		t.Errorf("after touching two files: reused %d, want 8", third.Reused)
	}
	// Only the changed content is sealed anew (plus the manifest's own chunks).
	if third.NewChunks < 1 || third.NewChunks > 1+8 {
		t.Errorf("after one content change: %d new chunks", third.NewChunks)
	}
}

func TestStateIsLocked(t *testing.T) {
	dir := t.TempDir()
	st, err := publish.OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := publish.OpenState(dir); !errors.Is(err, publish.ErrLocked) {
		t.Fatalf("second OpenState: %v, want ErrLocked", err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestTokenStableAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	st, _ := publish.OpenState(dir)
	a := st.Token("http://x/p")
	st.Close()
	st, _ = publish.OpenState(dir)
	b := st.Token("http://x/p")
	st.Close()
	if a.String() != b.String() {
		t.Error("keys changed between runs of the same state dir")
	}
}

// fakeDump writes a schema and two data streams the way a dumper does, concurrently.
func fakeDump(ctx context.Context, sink dumpers.Sink) error {
	for _, name := range []string{dumpers.SchemaStream, dumpers.DataStream("t1"), dumpers.DataStream("t2")} {
		w, err := sink.Create(ctx, name)
		if err != nil {
			return err
		}
		io.WriteString(w, strings.Repeat("INSERT INTO x VALUES (1);\n", 1000))
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}

func TestDumpStreams(t *testing.T) {
	in := publish.Inputs{Dumps: []publish.Dump{{Prefix: "db", Engine: "mysql", Run: fakeDump}}}
	res, _ := build(t, t.TempDir(), in)
	marker := uint64(len(`{"engine":"mysql","format":1}` + "\n"))
	if res.Streams != 4 || res.Bytes != 3*26*1000+marker {
		t.Fatalf("dump: %+v", res)
	}
	bad := publish.Inputs{Dumps: []publish.Dump{{Prefix: "db", Run: func(ctx context.Context, sink dumpers.Sink) error {
		_, err := sink.Create(ctx, "../escape.sql")
		return err
	}}}}
	st, _ := publish.OpenState(t.TempDir())
	defer st.Close()
	pub, _ := publish.NewPublication(st)
	if _, err := publish.Build(t.Context(), pub, bad, 2, nil); err == nil {
		t.Fatal("a dump stream escaping its prefix was accepted")
	}
	failing := publish.Inputs{Dumps: []publish.Dump{{Prefix: "db", Run: func(ctx context.Context, sink dumpers.Sink) error {
		w, _ := sink.Create(ctx, "schema.sql")
		w.Write([]byte("partial"))
		return errors.New("connection lost")
	}}}}
	pub, _ = publish.NewPublication(st)
	if _, err := publish.Build(t.Context(), pub, failing, 2, nil); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Fatalf("failing dumper: %v", err)
	}
	if s, _ := pub.State(); s == manifest.StateReady {
		t.Error("publication Ready after a failed dump")
	}
}

func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	for name, in := range map[string]publish.Inputs{
		"duplicate name": {Streams: []publish.StreamFile{{Name: "a", Path: filepath.Join(dir, "x"), Class: chunkstore.ClassDB}, {Name: "a", Path: filepath.Join(dir, "x"), Class: chunkstore.ClassDB}}},
		"bad name":       {Streams: []publish.StreamFile{{Name: "../a", Path: filepath.Join(dir, "x"), Class: chunkstore.ClassDB}}},
		"missing file":   {Streams: []publish.StreamFile{{Name: "a", Path: filepath.Join(dir, "nope"), Class: chunkstore.ClassDB}}},
		"stream is dir":  {Streams: []publish.StreamFile{{Name: "a", Path: dir, Class: chunkstore.ClassDB}}},
		"missing dir":    {FileSets: []publish.FileSet{{Name: "a", Dir: filepath.Join(dir, "nope")}}},
	} {
		st, _ := publish.OpenState(t.TempDir())
		pub, _ := publish.NewPublication(st)
		if _, err := publish.Build(t.Context(), pub, in, 2, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
		st.Close()
	}
}

func TestRepublishPrunesWhatIsGone(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, compressible but distinct from small
	os.WriteFile(filepath.Join(dir, "big"), big, 0o644)
	os.WriteFile(filepath.Join(dir, "small"), []byte("small file"), 0o644)
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir}}}
	build(t, state, in)
	packs := func() int {
		names, _ := filepath.Glob(filepath.Join(state, "packs", "packs", "*"))
		return len(names)
	}
	before := packs()
	// The big file goes: its pack is mostly dead, so the small file's chunk moves out
	// and the old pack (and the old manifest's) is deleted.
	os.Remove(filepath.Join(dir, "big"))
	res, _ := build(t, state, in)
	if res.Pruned.Dropped == 0 || res.Pruned.Freed == 0 {
		t.Fatalf("republish without the big file pruned nothing: %+v (packs %d → %d)", res.Pruned, before, packs())
	}
	// Publishing the same again keeps the store the same size.
	after := packs()
	for range 3 {
		build(t, state, in)
	}
	if n := packs(); n > after+1 {
		t.Errorf("unchanged republishes grew the store from %d to %d packs", after, n)
	}
}

func TestFileDeletedWhilePublishing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("goes away"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("stays"), 0o644)
	// The scan lists a.txt, then (while it looks at b.txt) a.txt is deleted: an
	// upload directory that changes during a publish must not fail it.
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir, Skip: func(rel string) bool {
		if rel == "b.txt" {
			os.Remove(filepath.Join(dir, "a.txt"))
		}
		return false
	}}}}
	res, _ := build(t, t.TempDir(), in)
	if res.Streams != 2 || len(res.Skipped) != 1 || !strings.HasSuffix(res.Skipped[0], "a.txt") {
		t.Fatalf("publish with a file deleted midway: %+v", res.Result)
	}
}

// A dump with a row edited is published with a splice of the edited chunk, also
// when a publish of the unchanged dump (read from the stat cache, not chunked)
// came in between.
func TestRepublishSplicesEditedRows(t *testing.T) {
	state, src := t.TempDir(), filepath.Join(t.TempDir(), "dump.sql")
	in := publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: src, Class: chunkstore.ClassDB}}}
	data := sqlText(5, 400<<10)
	os.WriteFile(src, data, 0o600)
	if first, _ := build(t, state, in); first.Splices != 0 {
		t.Fatalf("first publish: %d splices", first.Splices)
	}
	if same, _ := build(t, state, in); same.Reused != 1 || same.Splices != 0 {
		t.Fatalf("unchanged republish: %+v", same)
	}
	for i := range 5 {
		copy(data[30_000+i*70_000:], "'EDITED ROW'")
	}
	os.WriteFile(src, data, 0o600)
	edited, _ := build(t, state, in)
	if edited.Splices < 3 || int64(edited.Splices) > edited.NewChunks {
		t.Fatalf("5 rows edited: %d splices for %d new chunks", edited.Splices, edited.NewChunks)
	}
}

// TestStateSaveFailureKeepsPublication: when what the next publish reuses cannot
// be saved (here: a directory where the stat cache goes), the publication stays
// Ready and complete; the failure is reported in Result.StateErr.
func TestStateSaveFailureKeepsPublication(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("content"), 0o644)
	blocker := filepath.Join(state, "files.cache")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir}}}
	res, _ := build(t, state, in) // fails the test unless the publication is Ready
	if res.StateErr == nil || !strings.Contains(res.StateErr.Error(), "stat cache") {
		t.Fatalf("StateErr = %v, want the failed stat cache save", res.StateErr)
	}
	if res.Ready.IsZero() || res.Streams != 2 {
		t.Errorf("result: %+v", res.Result)
	}
	os.RemoveAll(blocker)
	again, _ := build(t, state, in)
	if again.StateErr != nil || again.Reused != 0 {
		t.Errorf("next publish: StateErr %v, reused %d; want a full read and a saved state", again.StateErr, again.Reused)
	}
}
