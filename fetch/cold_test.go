package fetch_test

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/httpsrv"
	"synco/manifest"
)

// TestFetchResumesAfterCancel cancels a cold fetch half way through the
// download: nothing may appear in --to, and the next run must take what the
// first one verified from the cache instead of downloading it again.
func TestFetchResumesAfterCancel(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := filepath.Join(t.TempDir(), "out")
	opt := options(t, src, to, nil)
	opt.Parallel = 1
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opt.Progress = func(p fetch.Progress) {
		if p.Phase == "download" && p.Done > p.Total/2 {
			cancel()
		}
	}
	first, err := fetch.Run(ctx, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fetch: %v", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("target exists after a cancelled fetch: %v", err)
	}
	opt.Progress = nil
	st, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, to, files, dump)
	if first.ChunksDownloaded == 0 || st.ChunksFromCache < first.ChunksDownloaded || st.ChunksDownloaded+st.ChunksFromCache != st.ChunksTotal {
		t.Errorf("first run %+v, second %+v: the first run's chunks were not reused", first, st)
	}
}

// TestFetchSharedCache runs fetches at the same time on one cache directory
// through separate Cache values (as separate processes would).
func TestFetchSharedCache(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	dir := filepath.Join(t.TempDir(), "cache")
	var wg sync.WaitGroup
	tos := make([]string, 3)
	errs := make([]error, 3)
	for i := range tos {
		tos[i] = filepath.Join(t.TempDir(), "out")
		cache, err := chunkstore.OpenCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		opt := options(t, src, tos[i], nil)
		opt.Cache = cache
		wg.Go(func() { _, errs[i] = fetch.Run(t.Context(), opt) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
		sameTree(t, tos[i], files, dump)
	}
	cache, _ := chunkstore.OpenCache(dir)
	opt := options(t, src, filepath.Join(t.TempDir(), "out"), nil)
	opt.Cache = cache
	st, err := fetch.Run(t.Context(), opt)
	if err != nil || st.ChunksDownloaded != 0 {
		t.Fatalf("after shared fetches: %+v, %v; want everything cached", st, err)
	}
	sameTree(t, opt.To, files, dump)
}

// TestFetchUnreachableGivesUpSoon: a source that never answered is given up on
// after FirstContact, not after the whole patient backoff.
func TestFetchUnreachableGivesUpSoon(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cache, _ := chunkstore.OpenCache(t.TempDir())
	tok := manifest.Token{URL: "http://" + addr + "/pub"}
	start := time.Now()
	_, err = fetch.Run(t.Context(), fetch.Options{
		Token: tok, To: filepath.Join(t.TempDir(), "out"), Cache: cache,
		Backoff:      httpsrv.Backoff{Attempts: 20, Initial: 50 * time.Millisecond, Max: 10 * time.Second},
		FirstContact: 200 * time.Millisecond,
	})
	if !errors.Is(err, httpsrv.ErrUnreachable) {
		t.Fatalf("unreachable source: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v, want soon after FirstContact", d)
	}
}

// TestFetchUsesParallelOnOnePack: a publication in one pack is still fetched
// with several range requests when Parallel allows.
func TestFetchUsesParallelOnOnePack(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	blob := make([]byte, 10<<20) // incompressible: ≈ 10 MB of sealed file chunks
	for i := range blob {
		blob[i] = byte(r.Uint32())
	}
	src := newSource(t, map[string][]byte{"blob": blob}, sqlish(3, 1000))
	requests := map[int]int64{}
	for _, parallel := range []int{1, 4} {
		opt := options(t, src, filepath.Join(t.TempDir(), "out"), nil)
		opt.Parallel = parallel
		st, err := fetch.Run(t.Context(), opt)
		if err != nil {
			t.Fatal(err)
		}
		requests[parallel] = st.Requests
	}
	if requests[4] <= requests[1] || requests[4] > requests[1]+4 {
		t.Errorf("range requests: %d with parallel 1, %d with parallel 4; want a few more", requests[1], requests[4])
	}
}
