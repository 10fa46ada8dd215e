package publish_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
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
	buildEarly(t, state, dir, false)
	// Day 2: bytes edited in place (their chunks come with splices), a file
	// deleted, a new one: the new packs again hold only what is published.
	for _, n := range []string{"a", "b"} {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		for off := 0; off < len(b); off += 1 << 20 {
			b[off] ^= 0xff
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	os.Remove(filepath.Join(dir, "c"))
	b := make([]byte, 9<<20)
	rand.Read(b)
	os.WriteFile(filepath.Join(dir, "d"), b, 0o644)
	buildEarly(t, state, dir, true)
}

// recordedSession opens a session on state that exposes to a rootRecorder.
func recordedSession(t *testing.T, state string) (*publish.Session, *rootRecorder) {
	t.Helper()
	s, err := publish.OpenSession(publish.SessionConfig{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	rec := &rootRecorder{packs: map[string]int64{}}
	if err := s.Expose(rec); err != nil {
		t.Fatal(err)
	}
	return s, rec
}

func buildEarly(t *testing.T, state, dir string, splices bool) {
	s, rec := recordedSession(t, state)
	res, err := s.Build(t.Context(), publish.Inputs{FileSets: []publish.FileSet{{Name: "up", Dir: dir}}}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if splices && res.Splices == 0 {
		t.Fatal("day 2 published no splices: the test would not cover them")
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
	if want := map[bool]int{false: 2, true: 1}[splices]; len(finished) < want { // ≈ 27 MiB, then ≈ 9
		t.Fatalf("%d packs listed as finished before Ready, want ≥ %d", len(finished), want)
	}
	for name, size := range finished {
		if size < publish.FirstPackForTest || !wholeAtReady[name] {
			t.Errorf("finished pack %s (%d bytes): whole in the Ready publication %v", name, size, wholeAtReady[name])
		}
	}
	if splices {
		checkSplicedAside(t, state, finished)
	}
}

// checkSplicedAside checks that no pack listed before Ready holds a chunk that
// also has a splice (a destination that synced last time wants every finished
// pack whole), and that such chunks exist in the store.
func checkSplicedAside(t *testing.T, state string, finished map[string]uint64) {
	st, err := publish.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k := chunkstore.NewKeys(st.Token("").ReadKey)
	contents, err := st.Packs().Contents()
	if err != nil {
		t.Fatal(err)
	}
	var ids []chunkstore.ID
	where := map[chunkstore.ID]string{}
	for name, entries := range contents {
		for _, e := range entries {
			ids = append(ids, e.ID)
			where[e.ID] = name
		}
	}
	spliced := 0
	for _, id := range ids {
		for _, base := range ids {
			if _, ok := where[k.SpliceID(id, base)]; !ok || id == base {
				continue
			}
			spliced++
			if _, early := finished[where[id]]; early {
				t.Errorf("chunk %s has a splice but is in pack %s, listed before Ready", id, where[id])
			}
		}
	}
	if spliced == 0 {
		t.Fatal("no chunk with a splice in the store: the test would not cover them")
	}
}

// TestFilledPackListedAtOnce: a pack the build fills is listed in a root at
// once, not at the next progress tick (here an hour away): a destination
// downloading ahead waits for it with the link idle. The second publish's dump
// (the first trained the dictionary, which holds a first dump's chunks back)
// stays open until a root lists a finished pack, so only a listing while it
// runs ends it.
func TestFilledPackListedAtOnce(t *testing.T) {
	defer publish.SetReportEvery(time.Hour)()
	state := t.TempDir()
	for day := 1; day <= 2; day++ {
		s, rec := recordedSession(t, state)
		tok := s.Publication().Token("")
		listed := func() bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, b := range rec.roots {
				if r, err := manifest.OpenRoot(b, tok.ReadKey, tok.SignPub); err == nil && len(r.Finished) > 0 {
					return true
				}
			}
			return false
		}
		run := func(ctx context.Context, sink dumpers.Sink) error {
			w, err := sink.Create(ctx, dumpers.DataStream("cache"))
			if err != nil {
				return err
			}
			b := make([]byte, 12<<20) // incompressible
			rand.Read(b)
			if _, err := w.Write(b); err != nil {
				return err
			}
			for deadline := time.Now().Add(20 * time.Second); day == 2 && !listed(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					return errors.New("no finished pack listed while the dump ran")
				}
			}
			return w.Close()
		}
		_, err := s.Build(t.Context(), publish.Inputs{Dumps: []publish.Dump{{Prefix: "db", Engine: "mysql", Run: run}}}, 2, nil)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
