package publish_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"synco/publish"
)

// TestProgressTotalWhileDumping: a dump's size is known only when it ends, so
// while one runs the build reports no total (a fetch showed "reading 72.9 MB of
// 64.5 MB (100 %)": the files' total, outgrown by the dump); once the dumps
// ended the total holds their bytes too.
func TestProgressTotalWhileDumping(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "small"), bytes.Repeat([]byte("x"), 1000), 0o644)
	rows := tableRows(7, 3<<20/70, nil, func(int) bool { return false })
	in := publish.Inputs{
		FileSets: []publish.FileSet{{Name: "up", Dir: dir}},
		Dumps:    []publish.Dump{dumpOf(map[string][]byte{"posts": rows})},
	}
	s, err := publish.OpenSession(publish.SessionConfig{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var seen []publish.Progress
	res, err := s.Build(t.Context(), in, 2, func(p publish.Progress) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range seen {
		if p.Total > 0 && p.Done > p.Total {
			t.Fatalf("progress %+v: more done than the total", p)
		}
	}
	last := seen[len(seen)-1]
	if last.Total < res.Bytes || last.Done > last.Total {
		t.Fatalf("last progress %+v, published %d bytes", last, res.Bytes)
	}
}
