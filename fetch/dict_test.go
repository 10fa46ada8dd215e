package fetch_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"synco/fetch"
	"synco/manifest"
)

// TestFetchWithDictionary: the first big dump trains the store's dictionary, the
// second publish seals new database chunks with it, and fetch loads it from the
// publication's reserved stream without writing that stream to the target.
func TestFetchWithDictionary(t *testing.T) {
	stateDir, dumpPath := t.TempDir(), filepath.Join(t.TempDir(), "dump.sql")
	day1 := sqlish(2, 2<<20)
	day2 := append(sqlish(3, 200<<10), day1[:1<<20]...)
	var src *source
	for i, dump := range [][]byte{day1, day2} {
		if err := os.WriteFile(dumpPath, dump, 0o600); err != nil {
			t.Fatal(err)
		}
		st, pub := publishDump(t, stateDir, dumpPath)
		trained, err := st.TrainDict() // as publish does once Ready
		if err != nil {
			t.Fatal(err)
		}
		if trained != (i == 0) {
			t.Fatalf("publish %d: dictionary trained: %v", i, trained)
		}
		if i == 0 {
			st.Close()
			continue
		}
		t.Cleanup(func() { st.Close() })
		src = &source{}
		src.token, src.stop = serve(t, st, pub)
	}

	to := filepath.Join(t.TempDir(), "out")
	stats, err := fetch.Run(t.Context(), options(t, src, to, nil))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(to, "dump.sql"))
	if err != nil || !bytes.Equal(got, day2) {
		t.Fatalf("dump.sql: %d bytes, %v; want %d", len(got), err, len(day2))
	}
	if _, err := os.Lstat(filepath.Join(to, manifest.ReservedDir)); !os.IsNotExist(err) {
		t.Errorf("%s written to the target: %v", manifest.ReservedDir, err)
	}
	if stats.FilesWritten != 1 {
		t.Errorf("stats %+v", stats)
	}
}
