package publish

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPackView(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i%251 + 1) // never zero
	}
	path := filepath.Join(dir, "pack")
	os.WriteFile(path, data, 0o600)
	// Out of order, overlapping, adjacent, empty and past the end.
	v := newPackView("pack", path, int64(len(data)), []span{{500, 600}, {10, 20}, {15, 30}, {30, 40}, {700, 700}, {990, 1200}})
	want := make([]byte, len(data))
	for _, s := range []span{{10, 40}, {500, 600}, {990, 1000}} {
		copy(want[s.off:s.end], data[s.off:s.end])
	}
	if got := v.Referenced(); got != 30+100+10 {
		t.Errorf("Referenced = %d, want 140", got)
	}
	if v.Whole() {
		t.Error("a partly referenced view is Whole")
	}
	r, err := v.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tt := range []struct{ off, n int64 }{
		{0, 1000}, {0, 10}, {0, 11}, {9, 2}, {39, 2}, {40, 1}, {499, 102}, {550, 10}, {999, 1}, {995, 20}, {1000, 5}, {0, 0},
	} {
		p := bytes.Repeat([]byte{0xff}, int(tt.n))
		n, err := r.ReadAt(p, tt.off)
		wantN := min(tt.n, max(0, 1000-tt.off))
		if int64(n) != wantN || (wantN < tt.n) != (err == io.EOF) || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d bytes, %d) = %d, %v", tt.n, tt.off, n, err)
			continue
		}
		if !bytes.Equal(p[:n], want[tt.off:tt.off+int64(n)]) {
			t.Errorf("ReadAt(%d bytes, %d): wrong bytes", tt.n, tt.off)
		}
	}

	out := filepath.Join(dir, "out")
	if err := v.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Error("WriteFile of a partial view: wrong content")
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 || os.SameFile(fi, mustStat(t, path)) {
		t.Errorf("partial view written as mode %v, linked %v", fi.Mode().Perm(), os.SameFile(fi, mustStat(t, path)))
	}

	whole := newPackView("pack", path, int64(len(data)), []span{{0, 400}, {400, 1000}})
	if !whole.Whole() {
		t.Fatal("a fully referenced view is not Whole")
	}
	if err := whole.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	if fi := mustStat(t, out); !os.SameFile(fi, mustStat(t, path)) {
		t.Error("a whole view is not hard-linked")
	}
	if st, ok := mustStat(t, out).Sys().(*syscall.Stat_t); ok && st.Nlink != 2 {
		t.Errorf("%d links", st.Nlink)
	}
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
