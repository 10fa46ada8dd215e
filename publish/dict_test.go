package publish_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
	"synco/publish"
)

// sqlText returns n bytes of seeded SQL-like text with a small vocabulary.
func sqlText(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	words := strings.Fields("INSERT INTO `node` VALUES published draft article page the of and to in is for on with as by at from admin editor 2025-03-10 NULL")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString("(")
		for range 8 + r.IntN(8) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteString("),\n")
	}
	return b.Bytes()[:n]
}

// openAll opens every chunk of the state's packs with the store's read key but no
// dictionary and counts those that need one. Splices (which do not open as
// chunks) are counted apart.
func openAll(t *testing.T, stateDir string) (chunks, needDict, splices int) {
	t.Helper()
	eachChunk(t, stateDir, func(_ []byte, err error) {
		switch {
		case errors.Is(err, chunkstore.ErrNoDict):
			needDict++
		case errors.Is(err, chunkstore.ErrCorrupt):
			splices++ // stored under its splice ID, not the ID it authenticates
			return
		case err != nil:
			t.Fatal(err)
		}
		chunks++
	})
	return chunks, needDict, splices
}

// eachChunk opens every chunk stored in the state in stateDir with its keys
// and no dictionary, and calls fn with what Open returned.
func eachChunk(t *testing.T, stateDir string, fn func(plain []byte, err error)) {
	t.Helper()
	st, err := publish.OpenState(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k := chunkstore.NewKeys(st.Token("http://x/").ReadKey)
	contents, err := st.Packs().Contents()
	if err != nil {
		t.Fatal(err)
	}
	for _, entries := range contents {
		for _, e := range entries {
			sealed, err := st.Packs().Get(t.Context(), e.ID)
			if err != nil {
				t.Fatal(err)
			}
			fn(k.Open(nil, e.ID, sealed))
		}
	}
}

func TestDictTrainedOnceAndUsed(t *testing.T) {
	state, src := t.TempDir(), filepath.Join(t.TempDir(), "dump.sql")
	in := publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: src, Class: chunkstore.ClassDB}}}

	os.WriteFile(src, sqlText(1, 300<<10), 0o600) // too little to train on
	if res, _ := build(t, state, in); res.DictTrained {
		t.Fatal("trained a dictionary on 300 kB")
	}
	before, need, _ := openAll(t, state)
	if need != 0 {
		t.Fatalf("%d chunks sealed with a dictionary the store does not have", need)
	}
	// The first publish with enough database data trains the dictionary before
	// it seals, and seals its database chunks with it.
	data := sqlText(2, 2<<20)
	os.WriteFile(src, data, 0o600)
	res, _ := build(t, state, in)
	if !res.DictTrained {
		t.Fatal("no dictionary trained on 2 MB of database data")
	}
	splices := res.Splices
	dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*"))
	if len(dicts) != 1 {
		t.Fatalf("state has dictionaries %v, want one", dicts)
	}
	after, need, sp := openAll(t, state)
	if plain := after - before - need; need < 100 || plain > 8 || sp > splices { // ≈ 200 database chunks; the rest is manifest and dictionary stream
		t.Fatalf("%d new chunks sealed with the dictionary, %d without; %d entries are not chunks, %d splices", need, plain, sp, splices)
	}

	// The next publish seals its new database chunks with it, and keeps it.
	data = append(sqlText(3, 100<<10), data...)
	os.WriteFile(src, data, 0o600)
	if res, _ = build(t, state, in); res.DictTrained || res.NewChunks == 0 {
		t.Fatalf("third publish: %+v", res)
	}
	splices += res.Splices
	if _, need2, sp := openAll(t, state); need2 <= need || sp > splices {
		t.Fatalf("%d chunks sealed with the dictionary, %d before; %d entries are not chunks, %d splices", need2, need, sp, splices)
	}
	again, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*"))
	if len(again) != 1 || again[0] != dicts[0] {
		t.Fatalf("dictionaries after: %v, before: %v", again, dicts)
	}

	// A damaged dictionary must stop the store from opening.
	os.WriteFile(dicts[0], []byte("damaged"), 0o600)
	if st, err := publish.OpenState(state); err == nil {
		st.Close()
		t.Fatal("OpenState accepted a damaged dictionary")
	}
}

func TestReservedNames(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	os.WriteFile(file, []byte("x"), 0o644)
	noop := func(context.Context, dumpers.Sink) error { return nil }
	for name, in := range map[string]publish.Inputs{
		"stream":        {Streams: []publish.StreamFile{{Name: ".synco", Path: file, Class: chunkstore.ClassDB}}},
		"stream inside": {Streams: []publish.StreamFile{{Name: ".synco/zstd-dict-0011223344556677", Path: file, Class: chunkstore.ClassDB}}},
		"file set":      {FileSets: []publish.FileSet{{Name: ".synco", Dir: dir}}},
		"dump":          {Dumps: []publish.Dump{{Prefix: ".synco", Engine: "mysql", Run: noop}}},
	} {
		st, err := publish.OpenState(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := publish.NewPublication(st)
		if _, err := publish.Build(t.Context(), pub, in, 2, nil); !errors.Is(err, publish.ErrReservedName) {
			t.Errorf("%s: %v, want ErrReservedName", name, err)
		}
		st.Close()
	}
	// Only the top level is reserved.
	in := publish.Inputs{Streams: []publish.StreamFile{{Name: "a/.synco", Path: file, Class: chunkstore.ClassDB}}}
	build(t, t.TempDir(), in)
}

// TestSelectRotatesADictionaryStore: the dictionary is trained on earlier content
// and travels with every publication, so a changed selection (a table excluded)
// must not keep it: the store rotates, and the dictionary and sealed chunks of the
// old keys are gone. An unchanged selection keeps everything.
func TestSelectRotatesADictionaryStore(t *testing.T) {
	state, src := t.TempDir(), filepath.Join(t.TempDir(), "dump.sql")
	in := publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: src, Class: chunkstore.ClassDB}}}
	selectAs := func(sel string) bool {
		t.Helper()
		st, err := publish.OpenState(state)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rotated, err := st.Select(sel)
		if err != nil {
			t.Fatal(err)
		}
		return rotated
	}
	if selectAs("all tables") {
		t.Fatal("rotated an empty store")
	}
	os.WriteFile(src, sqlText(2, 2<<20), 0o600)
	if res, _ := build(t, state, in); !res.DictTrained {
		t.Fatal("no dictionary trained")
	}
	if selectAs("all tables") {
		t.Fatal("rotated for an unchanged selection")
	}
	if dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*")); len(dicts) != 1 {
		t.Fatalf("dictionaries %v after an unchanged selection, want the one", dicts)
	}
	if !selectAs("users excluded") {
		t.Fatal("a changed selection kept the dictionary's keys")
	}
	if dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*")); len(dicts) != 0 {
		t.Fatalf("dictionaries %v survived the rotation", dicts)
	}
	if chunks, need, splices := openAll(t, state); chunks+need+splices != 0 {
		t.Fatalf("%d chunks of the old keys survived the rotation", chunks+need+splices)
	}
}

// TestFirstDumpSealedWithDictionary: a store's first publish of a database dump
// (table streams through pipes, as the dumpers write them) that is larger than
// what the gate holds back trains the dictionary on the dump's own chunks when
// trainAt bytes arrived, and seals every table chunk with it; here the streams
// hold only 64 KiB more while it trains, then wait for it, so the dump cannot
// end first.
func TestFirstDumpSealedWithDictionary(t *testing.T) {
	defer publish.SetTrainAhead(64 << 10)()
	state := t.TempDir()
	res, _ := build(t, state, publish.Inputs{Dumps: []publish.Dump{dumpOf(threeTables(0, 12<<20))}})
	if !res.DictTrained || !res.DictSealed {
		t.Fatalf("first dump: dictionary trained %v, sealed with it %v", res.DictTrained, res.DictSealed)
	}
	if withDict, without := tableChunks(t, state); withDict < (12<<20)/(16<<10) || without != 0 {
		t.Fatalf("table chunks: %d sealed with the dictionary, %d without", withDict, without)
	}
}

// TestSmallFirstDumpReadyBeforeTraining: a store's first dump that ends before
// its dictionary is trained — smaller than what the gate holds back (it trains
// when trainAt bytes arrived), or ended while the training ran — does not wait
// for it: its chunks are sealed without a dictionary, the publication does not
// ship one (a cold fetch downloads no dictionary), and it is Ready before the
// training is done. The dictionary is trained after Ready, from the same
// chunks, and the next publish seals its new chunks with it and ships it.
func TestSmallFirstDumpReadyBeforeTraining(t *testing.T) {
	for name, size := range map[string]int{"small": 3 << 20, "ended-while-training": 12 << 20} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			tables := threeTables(0, size)
			s, err := publish.OpenSession(publish.SessionConfig{StateDir: state})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pub := s.Publication()
			// A training goroutine (started by trainAt bytes) waits until the
			// publication is Ready: the dump ends first. (Before, Ready waited for
			// the training: the test's time limit ends the wait.)
			readyFirst := make(chan bool, 1)
			defer publish.SetBeforeTrain(func() {
				limit := time.Now().Add(5 * time.Second)
				for time.Now().Before(limit) {
					if st, _ := pub.State(); st == manifest.StateReady {
						readyFirst <- true
						return
					}
					time.Sleep(2 * time.Millisecond)
				}
				readyFirst <- false
			})()
			res, err := s.Build(t.Context(), publish.Inputs{Dumps: []publish.Dump{dumpOf(tables)}}, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if name == "ended-while-training" {
				select {
				case ok := <-readyFirst:
					if !ok {
						t.Fatal("Ready waited for the training")
					}
				default:
					t.Fatal("no training started by trainAt bytes: the test does not cover it")
				}
			}
			if !res.DictTrained || res.DictSealed || res.StateErr != nil {
				t.Fatalf("first dump: dictionary trained %v, sealed with it %v, state %v; want trained after Ready, not sealed", res.DictTrained, res.DictSealed, res.StateErr)
			}
			if withDict, without := tableChunks(t, state); withDict != 0 || without < size/(16<<10) {
				t.Fatalf("table chunks: %d sealed with the dictionary, %d without", withDict, without)
			}
			if paths := streamPaths(t, pub); slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "zstd-dict") }) {
				t.Fatalf("the first publication ships a dictionary nothing needs: %v", paths)
			}
			dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*"))
			if len(dicts) != 1 {
				t.Fatalf("dictionaries %v after Ready, want the one trained", dicts)
			}

			// The next publish (new rows in one table) seals its new chunks with
			// it and ships it.
			tables["posts"] = append(tableRows(7, 20000, nil, func(int) bool { return false }), tables["posts"]...)
			res2, pub2 := build(t, state, publish.Inputs{Dumps: []publish.Dump{dumpOf(tables)}})
			if res2.DictTrained || !res2.DictSealed || res2.NewChunks == 0 {
				t.Fatalf("second publish: %+v", res2.Result)
			}
			if withDict, _ := tableChunks(t, state); withDict < 50 {
				t.Fatalf("second publish: %d new table chunks sealed with the dictionary", withDict)
			}
			if paths := streamPaths(t, pub2); !slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "zstd-dict") }) {
				t.Fatalf("the second publication does not ship its dictionary: %v", paths)
			}
		})
	}
}

// threeTables is a dump of about size bytes in three tables.
func threeTables(seed uint64, size int) map[string][]byte {
	tables := map[string][]byte{}
	for i, n := range []string{"posts", "users", "comments"} {
		tables[n] = tableRows(seed+uint64(i+1), size/3/70, nil, func(int) bool { return false })
	}
	return tables
}

// tableChunks counts the table chunks (rows of tableRows) in the store, sealed
// with its dictionary and without.
func tableChunks(t *testing.T, state string) (withDict, without int) {
	t.Helper()
	var dict []byte
	if dicts, _ := filepath.Glob(filepath.Join(state, "zstd-dict-*")); len(dicts) == 1 {
		dict, _ = os.ReadFile(dicts[0])
	}
	eachChunk(t, state, func(plain []byte, err error) {
		switch {
		case errors.Is(err, chunkstore.ErrNoDict):
			withDict++
		case errors.Is(err, chunkstore.ErrCorrupt):
			// a splice: stored under its splice ID, not the ID it authenticates
		case err != nil:
			t.Fatal(err)
		case dict != nil && bytes.Contains(dict, plain): // the dictionary's own stream
		case bytes.Contains(plain, []byte("published")) || bytes.Contains(plain, []byte("editor")):
			without++ // table rows sealed without the dictionary
		}
	})
	return withDict, without
}

// streamPaths reads the manifest of a Ready publication, as a fetch does, and
// returns its streams' paths.
func streamPaths(t *testing.T, pub *publish.Publication) []string {
	t.Helper()
	tok := pub.Token("")
	root, err := manifest.OpenRoot(pub.Root(), tok.ReadKey, tok.SignPub)
	if err != nil {
		t.Fatalf("open root: %v", err)
	}
	k := chunkstore.NewKeys(tok.ReadKey)
	var enc []byte
	for _, l := range root.Manifest {
		p, err := pub.OpenPack(l.Pack)
		if err != nil {
			t.Fatal(err)
		}
		sealed := make([]byte, l.SealedLen)
		_, err = p.ReadAt(sealed, int64(l.Off))
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		plain, err := k.Open(nil, l.ID, sealed)
		if err != nil {
			t.Fatalf("open manifest chunk: %v", err)
		}
		enc = append(enc, plain...)
	}
	m, err := manifest.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range m.Streams {
		paths = append(paths, s.Path)
	}
	return paths
}
