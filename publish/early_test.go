package publish_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"synco/manifest"
	"synco/publish"
)

// rootRecorder is a Target that keeps every root it was given and the packs it holds.
type rootRecorder struct {
	mu    sync.Mutex
	roots [][]byte
	packs map[string]int64
}

func (r *rootRecorder) PutRoot(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.roots = append(r.roots, bytes.Clone(b))
	return nil
}

func (r *rootRecorder) PutPack(v *publish.PackView) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packs[v.Name()] = v.Size()
	return nil
}

func (r *rootRecorder) RemovePack(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.packs, name)
	return nil
}

func (r *rootRecorder) RemoveAll() error { return nil }

// TestFinishedPacksServedEarly: packs the build fills are served whole and listed
// in the Initializing root before the publication is Ready, and each of them is
// exposed whole by the Ready publication too (all of it is referenced: serving
// it early showed nothing the publication does not).
func TestFinishedPacksServedEarly(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		b := make([]byte, 9<<20) // incompressible: ≈ 27 MiB of packs
		rand.Read(b)
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	s, err := publish.OpenSession(publish.SessionConfig{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	rec := &rootRecorder{packs: map[string]int64{}}
	if err := s.Expose(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Build(t.Context(), publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir}}}, 2, nil); err != nil {
		t.Fatal(err)
	}
	finished := map[string]uint64{}
	wholeAtReady := map[string]bool{}
	for name := range rec.packs {
		v, ok := s.Publication().Pack(name)
		wholeAtReady[name] = ok && v.Whole()
	}
	s.Close()
	st, err := publish.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	tok := st.Token("")
	st.Close()

	var last *manifest.Root
	for _, b := range rec.roots {
		r, err := manifest.OpenRoot(b, tok.ReadKey, tok.SignPub)
		if err != nil {
			t.Fatal(err)
		}
		for _, fp := range r.Finished {
			finished[fp.Name] = fp.Size
		}
		last = r
	}
	if last.State != manifest.StateReady || len(last.Finished) != 0 {
		t.Fatalf("last root: %s with %d finished packs", last.State, len(last.Finished))
	}
	if len(finished) < 2 {
		t.Fatalf("%d packs listed as finished before Ready, want ≥ 2 of ≈ 27 MiB", len(finished))
	}
	for name, size := range finished {
		if size < publish.PackTargetForTest || !wholeAtReady[name] {
			t.Errorf("finished pack %s (%d bytes): whole in the Ready publication %v", name, size, wholeAtReady[name])
		}
	}
}
