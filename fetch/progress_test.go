package fetch_test

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"synco/fetch"
)

// recorder keeps the Progress reports of a fetch.
type recorder struct {
	mu sync.Mutex
	ps []fetch.Progress
}

func (r *recorder) report(p fetch.Progress) {
	r.mu.Lock()
	r.ps = append(r.ps, p)
	r.mu.Unlock()
}

func (r *recorder) phases() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.ps {
		if len(out) == 0 || out[len(out)-1] != p.Phase {
			out = append(out, p.Phase)
		}
	}
	return out
}

// A retry is reported while it happens (phase "retrying", with the failed try
// and why), so the user sees why nothing moves; a written fetch reports
// "write".
func TestProgressReportsRetriesAndWrite(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	rt := faulty(t, src)
	rt.FailNth(1)        // root: connection error
	rt.StatusNth(2, 503) // again: the source's proxy answers 503
	rt.StatusNth(4, 503) // the first range request too
	var rec recorder
	opt := options(t, src, filepath.Join(t.TempDir(), "out"), rt)
	opt.Parallel = 1
	opt.Progress = rec.report
	if _, err := fetch.Run(t.Context(), opt); err != nil {
		t.Fatal(err)
	}
	var retries []fetch.Progress
	for _, p := range rec.ps {
		if p.Phase == "retrying" {
			retries = append(retries, p)
		}
	}
	want := []fetch.Progress{
		{Phase: "retrying", Attempt: 1, Reason: "lost"},
		{Phase: "retrying", Attempt: 2, Reason: "error"},
		{Phase: "retrying", Attempt: 1, Reason: "error"},
	}
	if !slices.Equal(retries, want) {
		t.Errorf("retry reports %+v, want %+v", retries, want)
	}
	ph := rec.phases()
	if ph[len(ph)-1] != "write" || !slices.Contains(ph, "download") {
		t.Errorf("phases %v: want download, …, write last", ph)
	}
}

// TestDownloadProgressAsBytesArrive: the download reports the bytes of each
// chunk as it arrives, not once per range request (a request of several MB
// takes seconds on a slow link: a fetch at 20 Mbit/s said "655 kB/s, 3 min 21 s
// left" for what took 55 s).
func TestDownloadProgressAsBytesArrive(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	var rec recorder
	opt := options(t, src, filepath.Join(t.TempDir(), "out"), nil)
	opt.Parallel = 1
	opt.Progress = rec.report
	st, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	var dl []fetch.Progress
	for _, p := range rec.ps {
		if p.Phase == "download" {
			dl = append(dl, p)
		}
	}
	if int64(len(dl)) <= st.Requests+1 || dl[len(dl)-1].Done != dl[len(dl)-1].Total {
		t.Fatalf("%d download reports for %d requests and %d chunks, the last %+v", len(dl), st.Requests, st.ChunksDownloaded, dl[len(dl)-1])
	}
}
