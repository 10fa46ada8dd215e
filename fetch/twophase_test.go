package fetch_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"synco/fetch"
)

// TestPlanAgain: one opened publication is planned twice, as synco fetch does
// when the user selects at the prompt; the first plan changes nothing, the
// second runs with its own selection, and a second Run is refused.
func TestPlanAgain(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := filepath.Join(t.TempDir(), "out")
	pub, err := fetch.Open(t.Context(), options(t, src, to, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	all, err := pub.Plan(t.Context(), fetch.Selection{To: to})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := all.Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(files)+1 || sum.DownloadBytes == 0 || len(sum.Skipped) != 0 {
		t.Errorf("summary of everything: %+v", sum)
	}
	all.Close()
	onlyFiles := fetch.Selection{To: to, Map: func(top string) (string, bool) { return top, top == "files" }}
	some, err := pub.Plan(t.Context(), onlyFiles)
	if err != nil {
		t.Fatal(err)
	}
	sum, err = some.Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != len(files) || len(sum.Skipped) != 1 || sum.Skipped[0] != "dump.sql" {
		t.Errorf("summary of the files: %+v", sum)
	}
	if _, err := os.Stat(to); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("planning changed the target: %v", err)
	}
	st, err := some.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.FilesWritten != len(files) || st.ChunksDownloaded != st.ChunksTotal {
		t.Errorf("stats: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(to, "dump.sql")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dump.sql written though the plan left it out: %v", err)
	}
	again, err := pub.Plan(t.Context(), fetch.Selection{To: to})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Run(t.Context()); err == nil {
		t.Error("a second plan of one publication ran")
	}
}
