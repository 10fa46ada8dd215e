package fetch_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
	"synco/fetch"
	"synco/manifest"
	"synco/publish"
)

// TestFetchWithDictionary: a store's first big dump is sealed with the
// dictionary it trains before sealing, and so is the second publish's new data;
// fetch, with an empty cache each time, loads it from the publication's reserved
// stream without writing that stream to the target.
func TestFetchWithDictionary(t *testing.T) {
	stateDir, dumpPath := t.TempDir(), filepath.Join(t.TempDir(), "dump.sql")
	day1 := sqlish(2, 2<<20)
	day2 := append(sqlish(3, 200<<10), day1[:1<<20]...)
	for i, dump := range [][]byte{day1, day2} {
		if err := os.WriteFile(dumpPath, dump, 0o600); err != nil {
			t.Fatal(err)
		}
		st, pub := publishDump(t, stateDir, dumpPath)
		if i == 0 {
			dicts, _ := filepath.Glob(filepath.Join(stateDir, "zstd-dict-*"))
			if len(dicts) != 1 {
				t.Fatalf("first publish: dictionaries %v, want one trained before sealing", dicts)
			}
			if n := needDict(t, st); n < 100 {
				t.Fatalf("first publish: %d chunks sealed with the dictionary", n)
			}
		}
		src := &source{}
		src.token, src.stop = serve(t, st, pub)
		to := filepath.Join(t.TempDir(), "out")
		stats, err := fetch.Run(t.Context(), options(t, src, to, nil))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(to, "dump.sql"))
		if err != nil || !bytes.Equal(got, dump) {
			t.Fatalf("publish %d: dump.sql: %d bytes, %v; want %d", i, len(got), err, len(dump))
		}
		if _, err := os.Lstat(filepath.Join(to, manifest.ReservedDir)); !os.IsNotExist(err) {
			t.Errorf("%s written to the target: %v", manifest.ReservedDir, err)
		}
		if stats.FilesWritten != 1 {
			t.Errorf("stats %+v", stats)
		}
		src.stop()
		st.Close()
	}
}

// needDict counts the chunks of st that open only with a dictionary.
func needDict(t *testing.T, st *publish.State) int {
	t.Helper()
	k := chunkstore.NewKeys(st.Token("http://x/").ReadKey)
	contents, err := st.Packs().Contents()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, entries := range contents {
		for _, e := range entries {
			sealed, err := st.Packs().Get(t.Context(), e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Open(nil, e.ID, sealed); errors.Is(err, chunkstore.ErrNoDict) {
				n++
			}
		}
	}
	return n
}
