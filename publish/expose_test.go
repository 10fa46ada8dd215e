package publish_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/httpsrv"
	"synco/publish"
	"synco/publish/exposetest"
)

// Secrets of the day-1 data that day 2 leaves out.
var (
	userSecret = []byte("USER-SECRET-4c1f")     // rows of a table day 2 excludes
	rowSecret  = []byte("DELETED-ROW-9a2e")     // rows day 2 deleted
	fileSecret = []byte("DELETED-FILE-77b0")    // a file deleted before day 2
	keepMarker = []byte("STILL-PUBLISHED-2d5a") // in a kept table: must be found
)

// tableRows returns n SQL rows of distinct, compressible text; rows whose number
// is in mark carry secret.
func tableRows(seed uint64, n int, secret []byte, mark func(i int) bool) []byte {
	r := rand.New(rand.NewPCG(seed, 9))
	words := []string{"the", "of", "published", "draft", "article", "admin", "2025-03-10", "NULL", "page", "editor"}
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "(%d,'", i)
		for range 6 + r.IntN(10) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		if mark(i) {
			b.Write(secret)
		}
		fmt.Fprintf(&b, "',%d),\n", r.Uint32())
	}
	return b.Bytes()
}

// dumpOf is a dumper writing the given tables, concurrently like a real one (so
// their chunks are interleaved in the packs).
func dumpOf(tables map[string][]byte) publish.Dump {
	return publish.Dump{Prefix: "db", Engine: "mysql", Run: func(ctx context.Context, sink dumpers.Sink) error {
		w, err := sink.Create(ctx, dumpers.SchemaStream)
		if err != nil {
			return err
		}
		w.Write([]byte("CREATE TABLE posts (id int);\nCREATE TABLE users (id int);\n"))
		if err := w.Close(); err != nil {
			return err
		}
		errs := make(chan error, len(tables))
		for name, data := range tables {
			w, err := sink.Create(ctx, dumpers.DataStream(name))
			if err != nil {
				return err
			}
			go func() {
				for b := data; len(b) > 0; {
					n := min(len(b), 4096)
					if _, err := w.Write(b[:n]); err != nil {
						errs <- err
						return
					}
					b = b[n:]
				}
				errs <- w.Close()
			}()
		}
		for range tables {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	}}
}

// TestRepublishExposesOnlyReferencedBytes: data a republish leaves out (an
// excluded table, deleted rows, a deleted file) is in the source's store, in packs
// the new publication still uses; none of it may be readable from the new
// publication with its token (DESIGN §4).
func TestRepublishExposesOnlyReferencedBytes(t *testing.T) {
	state, files := t.TempDir(), t.TempDir()
	posts := tableRows(1, 16000, rowSecret, func(i int) bool { return i%5000 == 500 })
	users := tableRows(2, 2000, userSecret, func(int) bool { return true })
	posts = append(posts, keepMarker...)
	var kept []byte // posts without the rows that carry rowSecret
	for line := range bytes.Lines(posts) {
		if !bytes.Contains(line, rowSecret) {
			kept = append(kept, line...)
		}
	}
	os.WriteFile(filepath.Join(files, "kept.txt"), bytes.Repeat([]byte("kept file "), 5000), 0o644)

	// Day 0 trains the store's dictionary on data without secrets (a dictionary
	// holds pieces of its samples: see the report of issue 10).
	day0, _ := build(t, state, publish.Inputs{
		FileSets: []publish.FileSet{{Name: "files", Dir: files}},
		Dumps:    []publish.Dump{dumpOf(map[string][]byte{"posts": kept})},
	})
	if !day0.DictTrained {
		t.Fatal("day 0 trained no dictionary: the test does not cover dictionary streams")
	}
	// Day 1 has the secrets, with a new table that day 2 keeps: their packs stay.
	comments := tableRows(3, 16000, nil, func(int) bool { return false })
	os.WriteFile(filepath.Join(files, "gone.txt"), append(bytes.Repeat([]byte("gone file "), 3000), fileSecret...), 0o644)
	build(t, state, publish.Inputs{
		FileSets: []publish.FileSet{{Name: "files", Dir: files}},
		Dumps:    []publish.Dump{dumpOf(map[string][]byte{"posts": posts, "users": users, "comments": comments})},
	})

	// Day 2: users excluded, the marked rows of posts deleted, gone.txt deleted,
	// and a few rows edited (splices).
	kept = bytes.Clone(kept)
	for i := range 2 {
		copy(kept[20_000+i*400_000:], "'EDITED ROW'")
	}
	os.Remove(filepath.Join(files, "gone.txt"))
	day2 := publish.Inputs{
		FileSets: []publish.FileSet{{Name: "files", Dir: files}},
		Dumps:    []publish.Dump{dumpOf(map[string][]byte{"posts": kept, "comments": comments})},
	}
	second, pub := build(t, state, day2)
	st, err := publish.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	tok := st.Token("")
	st.Close()

	// Make sure the test is not vacuous: the store still holds the left-out data
	// in packs day 2 serves.
	t.Logf("day 2 pruned: %+v", second.Pruned)

	srv := httptest.NewServer(httpsrv.Handler(pub.Prefix, pub))
	defer srv.Close()
	tok.URL = srv.URL + "/" + pub.Prefix
	rep := exposetest.Check(t, tok, exposetest.HTTP{Base: tok.URL}, userSecret, rowSecret, fileSecret)
	t.Logf("day 2 exposes %d packs, %d bytes (%d referenced), %d slots (%d open), %d variants",
		rep.Packs, rep.Bytes, rep.Referenced, rep.Slots, rep.Opened, len(rep.Manifest.Variants))
	if len(rep.Manifest.Variants) == 0 {
		t.Error("day 2 has no splices: the test does not cover variants")
	}
	if rep.Slots == rep.Opened {
		t.Error("every slot of day 2's packs is referenced: the test covers nothing left out")
	}
	// A slot the publication does not reference lists a stand-in, not the keyed ID
	// of the chunk in it (which would confirm a guess of left-out content).
	used := map[chunkstore.ID]bool{}
	for _, s := range rep.Manifest.Streams {
		for _, r := range s.Chunks {
			used[r.ID] = true
		}
	}
	for _, v := range rep.Manifest.Variants {
		used[v.Obj] = true
	}
	if st, err = publish.OpenState(state); err != nil {
		t.Fatal(err)
	}
	contents, err := st.Packs().Contents()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	stored := map[chunkstore.ID]bool{}
	for _, entries := range contents {
		for _, e := range entries {
			stored[e.ID] = true
		}
	}
	masked := 0
	for _, p := range rep.Manifest.Packs {
		for _, c := range p.Chunks {
			if !used[c.ID] {
				masked++
				if stored[c.ID] {
					t.Errorf("pack %s lists the real ID %s of a chunk the publication leaves out", p.Name, c.ID)
				}
			}
		}
	}
	if masked == 0 {
		t.Error("no unreferenced slot in day 2's manifest: the masking is not tested")
	}
	// The check sees what is published.
	if !bytes.Contains(rep.Streams["db/"+dumpers.DataStream("posts")], keepMarker) || !bytes.Contains(rep.Streams["files/kept.txt"], []byte("kept file")) {
		t.Errorf("day 2's streams do not read back: %d streams", len(rep.Streams))
	}
}
