package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"synco/chunkstore"
)

// outPublication publishes src with --out into a directory served by the static
// helper server started with serverArgs (e.g. "-rate", "4000000"), waits until it is
// ready, and returns the publisher, the server and the size of the publication
// (root and packs: what one cold fetch downloads).
func outPublication(t *testing.T, src string, serverArgs ...string) (*publisher, *staticServer, int64) {
	t.Helper()
	www := t.TempDir()
	srv := serveStatic(t, www, serverArgs...)
	pub := publish(t, append(sourceArgs(src), "--out", www, "--url", srv.url, "--state-dir", t.TempDir())...)
	pub.waitReady()
	dir := filepath.Join(www, pub.prefix())
	return pub, srv, dirSize(t, dir) + dirSize(t, filepath.Join(dir, "p"))
}

// TestResumeAfterKill kills fetches with SIGKILL part way through a throttled
// download, at several points, and checks that nothing partial that looks complete
// appears in --to (requireNoPartial), that
// the last run completes, and that it downloads only what the killed runs did not
// keep. Counted in bytes, not time: each run is killed once the cache grew by its
// share of the publication (what a kill cannot take back), and the last run must
// download no more than the rest. (What a killed run had in flight, sent by the
// server but not yet stored, is lost with it: it depends on timing and is only
// logged.)
func TestResumeAfterKill(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 3, 25) // ≈ 4 MB in chunks of ≤ 200 KB
	pub, srv, full := outPublication(t, src, "-rate", "4000000")
	defer pub.stop()
	to, cache := filepath.Join(t.TempDir(), "sync"), t.TempDir()

	start0 := srv.served()
	// Kill right at the start, then after 15 %, 25 % and 25 % more of a full
	// transfer was stored in the cache.
	for i, share := range []float64{0, 0.15, 0.25, 0.25} {
		base, kept := srv.served(), cacheSize(t, cache)
		p := startFetch(t, pub.token, to, cache)
		if share > 0 {
			waitFor(t, 30*time.Second, "the fetch to store its share", func() bool {
				if p.exited() {
					t.Fatalf("run %d: fetch ended (exit %d) before it could be killed\n%s", i, p.code, p.stderr.String())
				}
				return cacheSize(t, cache)-kept >= int64(share*float64(full))
			})
		}
		p.signal(syscall.SIGKILL)
		p.wait(10 * time.Second)
		requireNoPartial(t, src, to)
		t.Logf("run %d killed after %d bytes served, %d stored", i, srv.served()-base, cacheSize(t, cache)-kept)
	}
	kept := cacheSize(t, cache)
	if kept < int64(0.65*float64(full)) {
		t.Fatalf("the killed runs kept %d bytes of %d, want at least 65 %%", kept, full)
	}
	base := srv.served()
	s := mustFetch(t, pub.token, to, cache)
	requireSameTree(t, src, to)
	requireNoStaging(t, to)
	last, total := srv.served()-base, srv.served()-start0
	t.Logf("final run: %+v, %d bytes; all runs: %d bytes for a %d byte publication (%.2f×)", s, last, total, full, float64(total)/float64(full))
	if s.ChunksFromCache == 0 || s.ChunksFromCache+s.ChunksDownloaded != s.ChunksTotal {
		t.Errorf("final run: %d chunks from the cache, %d downloaded, of %d: the killed runs' work was lost", s.ChunksFromCache, s.ChunksDownloaded, s.ChunksTotal)
	}
	// What the last run stored is what it lacked; it may download that, plus what
	// coalesced requests span between missing chunks (at most 1/8 of what they
	// want) and the root. (Not full−kept: a killed run's torn pack tail counts in
	// the cache's size but holds no usable chunk.)
	grown := cacheSize(t, cache) - kept
	if limit := grown*9/8 + full/50; last > limit {
		t.Errorf("final run downloaded %d bytes and stored %d: at most %d expected", last, grown, limit)
	}
	if grown > full-kept/2 {
		t.Errorf("final run stored %d of %d bytes after the killed runs kept %d: their work was lost", grown, full, kept)
	}
}

// cacheSize is the size of the chunks stored in the cache at dir.
func cacheSize(t *testing.T, dir string) int64 {
	t.Helper()
	c, err := chunkstore.OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Size(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKillAtTimes kills unthrottled fetches from the embedded server after growing
// delays: first with a cold cache (the kills land while downloading), then into a
// new directory with a warm cache (they land while writing into --to). Each kill
// must leave nothing partial, and the next complete run must clean up.
func TestKillAtTimes(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeApp(t, src, 4)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	defer pub.stop()
	pub.waitReady()
	cache := t.TempDir()
	killAt := func(to string, delays ...time.Duration) {
		for _, d := range delays {
			p := startFetch(t, pub.token, to, cache)
			time.Sleep(d)
			if p.exited() {
				if p.code != 0 {
					t.Fatalf("fetch: exit %d\n%s", p.code, p.stderr.String())
				}
				return // it finished before the kill; the later delays are longer
			}
			p.signal(syscall.SIGKILL)
			p.wait(10 * time.Second)
			complete := requireNoPartial(t, src, to)
			t.Logf("killed after %v: --to holds %v and %d complete files", d, listDir(t, to), len(complete))
		}
	}
	ms := time.Millisecond
	cold := filepath.Join(t.TempDir(), "sync")
	killAt(cold, 20*ms, 40*ms, 60*ms, 80*ms, 100*ms, 130*ms, 160*ms, 200*ms)
	mustFetch(t, pub.token, cold, cache)
	requireSameTree(t, src, cold)
	requireNoStaging(t, cold)

	// A killed fetch may have written a file whole while the chunks it wrote
	// it from were still in its cache writer's buffer (up to 50 ms); the last
	// fetch into cold then had no reason to read them. A fetch into a new
	// directory puts every chunk into the cache: from there, no kill may cost
	// a download.
	if s := mustFetch(t, pub.token, filepath.Join(t.TempDir(), "fill"), cache); s.ChunksDownloaded > 0 {
		t.Logf("%d chunks were not cached after the killed cold fetches", s.ChunksDownloaded)
	}
	warm := filepath.Join(t.TempDir(), "sync")
	killAt(warm, 5*ms, 10*ms, 15*ms, 20*ms, 25*ms, 30*ms, 40*ms, 50*ms, 70*ms)
	if s := mustFetch(t, pub.token, warm, cache); s.ChunksDownloaded != 0 {
		t.Errorf("warm fetch downloaded %d chunks, want 0", s.ChunksDownloaded)
	}
	requireSameTree(t, src, warm)
	requireNoStaging(t, warm)
}

// TestPublicationRemovedMidFetch stops the publisher, which removes its --out
// directory, while a throttled fetch runs: the fetch must fail with exit 4 and
// write nothing. The static server cuts the running response when its file goes
// (-abort-removed); the retry then finds the publication gone.
func TestPublicationRemovedMidFetch(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 7, 25)
	pub, srv, full := outPublication(t, src, "-rate", "4000000", "-abort-removed")
	to := filepath.Join(t.TempDir(), "sync")
	base := srv.served()
	p := startFetch(t, pub.token, to, t.TempDir())
	waitFor(t, 30*time.Second, "the fetch to start downloading", func() bool {
		if p.exited() {
			t.Fatalf("fetch ended (exit %d) before the publication was removed\n%s", p.code, p.stderr.String())
		}
		return srv.served()-base > full/5
	})
	pub.stop()
	if _, err := os.Stat(filepath.Join(srv.dir, pub.prefix())); !os.IsNotExist(err) {
		t.Fatalf("publish stopped but its --out directory is still there (%v)", err)
	}
	r := fetchResult{code: p.wait(60 * time.Second), stdout: p.stdout.String(), stderr: p.stderr.String()}
	r.wantFailure(t, 4, pub.token, "the publication is gone")
	if got := listDir(t, to); got != nil {
		t.Errorf("--to after the failed fetch holds %v, want nothing", got)
	}
}

// TestFetchInterrupted sends SIGINT to a running fetch: exit 130, a hint to run it
// again, nothing in --to; running it again completes.
func TestFetchInterrupted(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 5, 15)
	pub, srv, full := outPublication(t, src, "-rate", "3000000")
	defer pub.stop()
	to, cache := filepath.Join(t.TempDir(), "sync"), t.TempDir()
	base := srv.served()
	p := startFetch(t, pub.token, to, cache)
	waitFor(t, 30*time.Second, "the fetch to start downloading", func() bool {
		if p.exited() {
			t.Fatalf("fetch ended (exit %d) before it could be interrupted\n%s", p.code, p.stderr.String())
		}
		return srv.served()-base > full/3
	})
	p.signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Fatalf("fetch after SIGINT: exit %d, want 130\n%s", code, p.stderr.String())
	}
	stderr := p.stderr.String()
	if !strings.Contains(stderr, "synco: interrupted") || !strings.Contains(stderr, "synco: hint: run the same command again") {
		t.Errorf("stderr after SIGINT:\n%s", stderr)
	}
	noSecrets(t, stderr, pub.token)
	if got := listDir(t, to); got != nil {
		t.Errorf("--to after the interrupted fetch holds %v, want nothing", got)
	}
	s := mustFetch(t, pub.token, to, cache)
	requireSameTree(t, src, to)
	if s.ChunksFromCache == 0 {
		t.Errorf("the run after the interruption took no chunks from the cache: %+v", s)
	}
}
