package publish

import (
	"os"
	"path/filepath"
	"testing"
)

// readSmall reads a file of the scanned size with its stat after, and says
// when the file has another size now (grown or shrunk since the scan).
func TestReadSmall(t *testing.T) {
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	want := statOf(fi, 0)
	for _, tc := range []struct {
		size int64
		ok   bool
	}{{10, true}, {9, false}, {11, false}, {0, false}} {
		data, after, ok, err := readSmall(src, tc.size, make([]byte, tc.size+1))
		if err != nil || ok != tc.ok {
			t.Fatalf("scanned size %d: ok %v, %v; want ok %v", tc.size, ok, err, tc.ok)
		}
		if ok && (string(data) != "0123456789" || !after.sameFile(want)) {
			t.Errorf("scanned size %d: %q, stat %+v; want the file and %+v", tc.size, data, after, want)
		}
	}
	if _, _, _, err := readSmall(filepath.Join(t.TempDir(), "gone"), 1, make([]byte, 2)); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want not exist", err)
	}
}
