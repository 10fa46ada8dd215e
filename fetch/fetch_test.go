package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/fetch/remotetest"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
)

// source is an in-process publisher served over a real loopback socket.
type source struct {
	dir, stateDir string
	token         manifest.Token
	stop          func()
	pub           *publish.Publication
}

// sqlish returns n bytes of seeded SQL-like text (DB-class chunks are small, so a
// truncated response still delivers whole chunks).
func sqlish(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"INSERT", "INTO", "`page`", "VALUES", "lorem", "ipsum", "dolor", "sit", "amet", "'x'", "(1,", "2),"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(" \n"[r.IntN(10)/9])
	}
	return b.Bytes()[:n]
}

func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func newSource(t *testing.T, files map[string][]byte, dump []byte) *source {
	t.Helper()
	s := &source{dir: t.TempDir(), stateDir: t.TempDir()}
	writeTree(t, s.dir, files)
	dumpPath := filepath.Join(t.TempDir(), "dump.sql")
	if err := os.WriteFile(dumpPath, dump, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := publish.OpenState(s.stateDir)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := publish.NewPublication(st)
	if err != nil {
		t.Fatal(err)
	}
	in := publish.Inputs{
		FileSets: []publish.FileSet{{Name: "files", Dir: s.dir}},
		Streams:  []publish.StreamFile{{Name: "dump.sql", Path: dumpPath, Class: chunkstore.ClassDB}},
	}
	if _, err := publish.Build(t.Context(), pub, in, 2, nil); err != nil {
		t.Fatal(err)
	}
	s.token, s.stop = serve(t, st, pub)
	s.pub = pub
	t.Cleanup(func() { s.stop(); st.Close() })
	return s
}

// publishDump publishes the file path as the database stream dump.sql from the
// state directory stateDir; the caller closes the state.
func publishDump(tb testing.TB, stateDir, path string) (*publish.State, *publish.Publication) {
	tb.Helper()
	return publishInputs(tb, stateDir, publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: path, Class: chunkstore.ClassDB}}})
}

// publishInputs publishes in from the store in stateDir.
func publishInputs(tb testing.TB, stateDir string, in publish.Inputs) (*publish.State, *publish.Publication) {
	tb.Helper()
	st, err := publish.OpenState(stateDir)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := publish.NewPublication(st)
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	if _, err := publish.Build(tb.Context(), pub, in, 2, nil); err != nil {
		st.Close()
		tb.Fatal(err)
	}
	return st, pub
}

// serve serves pub over loopback until stop (or the end of the test) and returns
// its token.
func serve(tb testing.TB, st *publish.State, pub *publish.Publication) (tok manifest.Token, stop func()) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { httpsrv.Serve(ctx, ln, httpsrv.Handler(pub.Prefix, pub)); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(stop)
	return pub.Token("http://" + ln.Addr().String() + "/" + pub.Prefix), stop
}

// faulty returns a fault injector around the HTTP client of s's token.
func faulty(t *testing.T, s *source) *remotetest.Faulty {
	c, err := httpsrv.NewClientWith(s.token.URL, httpsrv.ClientOptions{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return remotetest.NewFaulty(c)
}

// options are the options of a fetch of s into to; r is the remote (nil: the
// token's).
func options(t *testing.T, s *source, to string, r fetch.Remote) fetch.Options {
	cache, err := chunkstore.OpenCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return fetch.Options{
		Token: s.token, To: to, Cache: cache, Parallel: 4, Remote: r,
		Backoff: httpsrv.Backoff{Attempts: 4, Initial: time.Millisecond, Max: 5 * time.Millisecond},
	}
}

func sample() (map[string][]byte, []byte) {
	r := rand.New(rand.NewPCG(7, 7))
	files := map[string][]byte{"a.txt": []byte("hello\n"), "empty": nil}
	for i := range 20 {
		b := make([]byte, 1000+r.IntN(50000))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		files[filepath.ToSlash(filepath.Join("img", string(rune('a'+i))+".bin"))] = b
	}
	return files, sqlish(1, 600_000)
}

// sameTree checks that to holds exactly files (content and modes) and the dump.
func sameTree(t *testing.T, to string, files map[string][]byte, dump []byte) {
	t.Helper()
	for name, want := range files {
		p := filepath.Join(to, "files", filepath.FromSlash(name))
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want 0640", name, fi.Mode().Perm())
		}
	}
	got, err := os.ReadFile(filepath.Join(to, "dump.sql"))
	if err != nil || !bytes.Equal(got, dump) {
		t.Fatalf("dump.sql: %d bytes, %v; want %d", len(got), err, len(dump))
	}
}

func TestFetchRoundTrip(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	for _, parallel := range []int{1, 8} {
		to := filepath.Join(t.TempDir(), "out")
		opt := options(t, src, to, nil)
		opt.Parallel = parallel
		st, err := fetch.Run(t.Context(), opt)
		if err != nil {
			t.Fatalf("parallel %d: %v", parallel, err)
		}
		sameTree(t, to, files, dump)
		if st.FilesWritten != len(files)+1 || st.ChunksFromCache != 0 || st.ChunksDownloaded != st.ChunksTotal {
			t.Errorf("parallel %d: stats %+v", parallel, st)
		}
		// Few requests: the chunks of one publish are adjacent in packs.
		if st.Requests > 4 {
			t.Errorf("parallel %d: %d range requests for %d chunks", parallel, st.Requests, st.ChunksTotal)
		}
		// Into another directory: everything comes from the cache.
		other := opt
		other.To = filepath.Join(t.TempDir(), "other")
		again, err := fetch.Run(t.Context(), other)
		if err != nil || again.ChunksDownloaded != 0 || again.ChunksFromCache != st.ChunksTotal {
			t.Fatalf("fetch into another directory: %+v, %v", again, err)
		}
		sameTree(t, other.To, files, dump)
		// Into the same directory: every file is already there as published, so
		// nothing but the manifest's few chunks is read from the cache (3–5 of
		// the publication's ≈ 90, by the store's chunking polynomial), nothing
		// written.
		again, err = fetch.Run(t.Context(), opt)
		if err != nil || again.FilesWritten != 0 || again.FilesUnchanged != len(files)+1 || again.ChunksFromCache > st.ChunksTotal/8 {
			t.Fatalf("fetch into the same directory: %+v, %v", again, err)
		}
		// A file changed locally (other size) is written again.
		os.WriteFile(filepath.Join(opt.To, "files", "a.txt"), []byte("local edit\n"), 0o640)
		again, err = fetch.Run(t.Context(), opt)
		if err != nil || again.FilesWritten != 1 || again.FilesUnchanged != len(files) {
			t.Fatalf("fetch after a local edit: %+v, %v", again, err)
		}
		sameTree(t, opt.To, files, dump)
	}
}

func TestFetchSurvivesTransientFaults(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	rt := faulty(t, src)
	rt.FailNth(1)             // root: connection error
	rt.StatusNth(3, 503)      // first range request: server error
	rt.FailNth(4)             // and a reset
	rt.Truncate(150_000, nil) // every body cut short (proxy hiding the error)
	to := filepath.Join(t.TempDir(), "out")
	opt := options(t, src, to, rt)
	opt.Parallel = 1
	// The root is tiny and survives truncation; every range request delivers ≈150 KB
	// and the fetch keeps going because each try makes progress.
	st, err := fetch.Run(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, to, files, dump)
	if st.Requests < 5 {
		t.Errorf("only %d range requests despite truncated bodies", st.Requests)
	}
}

func TestFetchTamperedPack(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	packs, _ := filepath.Glob(filepath.Join(src.stateDir, "packs", "packs", "*"))
	if len(packs) == 0 {
		packs, _ = filepath.Glob(filepath.Join(src.stateDir, "packs", "*"))
	}
	flipped := false
	for _, p := range packs {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 100 || filepath.Base(p) == "index" || filepath.Base(p) == "lock" {
			continue
		}
		b[len(b)/2] ^= 0x40
		os.WriteFile(p, b, 0o600)
		flipped = true
		break
	}
	if !flipped {
		t.Fatal("no pack file found to tamper with")
	}
	to := filepath.Join(t.TempDir(), "out")
	_, err := fetch.Run(t.Context(), options(t, src, to, nil))
	if !errors.Is(err, chunkstore.ErrCorrupt) {
		t.Fatalf("tampered pack: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a failed fetch: %v", err)
	}
}

func TestFetchTamperedRootAndWrongKey(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	rt := faulty(t, src)
	rt.FlipByte(30)
	to := filepath.Join(t.TempDir(), "out")
	if _, err := fetch.Run(t.Context(), options(t, src, to, rt)); !errors.Is(err, manifest.ErrRootAuth) {
		t.Fatalf("flipped root: %v, want ErrRootAuth", err)
	}
	wrong := *src
	wrong.token.ReadKey[0] ^= 1
	if _, err := fetch.Run(t.Context(), options(t, &wrong, to, nil)); !errors.Is(err, manifest.ErrRootAuth) {
		t.Fatalf("wrong read key: %v, want ErrRootAuth", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after failed fetches")
	}
}

func TestFetchSourceGone(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	rt := faulty(t, src)
	rt.Delay(20 * time.Millisecond)
	to := filepath.Join(t.TempDir(), "out")
	go func() { time.Sleep(30 * time.Millisecond); src.stop() }()
	opt := options(t, src, to, rt)
	opt.Parallel = 1
	_, err := fetch.Run(t.Context(), opt)
	if !errors.Is(err, httpsrv.ErrUnreachable) && !errors.Is(err, httpsrv.ErrGone) && !httpsrv.IsTransient(err) {
		t.Fatalf("source stopped mid-fetch: %v", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a failed fetch")
	}
}

func TestFetchCancelled(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	rt := faulty(t, src)
	rt.Delay(50 * time.Millisecond)
	to := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Millisecond)
	defer cancel()
	_, err := fetch.Run(ctx, options(t, src, to, rt))
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fetch: %v", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a cancelled fetch")
	}
}

func TestFetchRefusesSymlinkInTarget(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(to, "files")); err != nil {
		t.Fatal(err)
	}
	_, err := fetch.Run(t.Context(), options(t, src, to, nil))
	if !errors.Is(err, fetch.ErrUnsafePath) {
		t.Fatalf("symlinked target dir: %v, want ErrUnsafePath", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote through the symlink: %v", ents)
	}
	if ents, _ := os.ReadDir(to); len(ents) != 1 || strings.HasPrefix(ents[0].Name(), ".synco") {
		t.Errorf("target changed: %v", ents)
	}
}

func TestFetchDamagedCache(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	opt := options(t, src, filepath.Join(t.TempDir(), "out"), nil)
	if _, err := fetch.Run(t.Context(), opt); err != nil {
		t.Fatal(err)
	}
	// Damage one cached chunk on disk: a byte in the middle of the largest
	// file of the cache (chunk data, whether in a file of its own or a pack).
	var victim string
	var size int64
	filepath.WalkDir(opt.Cache.Root(), func(p string, d fs.DirEntry, err error) error {
		if fi, ierr := d.Info(); err == nil && ierr == nil && d.Type().IsRegular() && fi.Size() > size && !strings.HasSuffix(p, ".idx") {
			victim, size = p, fi.Size()
		}
		return nil
	})
	b, err := os.ReadFile(victim)
	if err != nil || len(b) == 0 {
		t.Fatalf("no cached chunk to damage: %v", err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(victim, b, 0o600)
	opt.To = filepath.Join(t.TempDir(), "out2")
	_, err = fetch.Run(t.Context(), opt)
	if !errors.Is(err, fetch.ErrCacheDamaged) {
		// The damaged chunk may belong to the manifest or a file: either way it must
		// be detected, removed, and re-fetched by the next run.
		t.Fatalf("damaged cache: %v, want ErrCacheDamaged", err)
	}
	if _, err := fetch.Run(t.Context(), opt); err != nil {
		t.Fatalf("run after cache damage: %v", err)
	}
	sameTree(t, opt.To, files, dump)
}

// TestFetchRepeatedChunks: a chunk that sits at several places (a block repeated in
// one file, the same file twice) is downloaded once and written to every place,
// also when those places are contiguous runs written with one write each.
func TestFetchRepeatedChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	block := make([]byte, 700_000)
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	rep := bytes.Repeat(block, 4)
	files := map[string][]byte{"rep.bin": rep, "copy/rep.bin": rep, "tail.bin": append(bytes.Clone(block[:100_000]), rep...)}
	src := newSource(t, files, []byte("-- empty dump\n"))
	for _, parallel := range []int{1, 4} {
		to := filepath.Join(t.TempDir(), "out")
		opt := options(t, src, to, nil)
		opt.Parallel = parallel
		st, err := fetch.Run(t.Context(), opt)
		if err != nil {
			t.Fatal(err)
		}
		sameTree(t, to, files, []byte("-- empty dump\n"))
		// Distinct content is one block; chunks that straddle a repetition, end a
		// file or join tail.bin's prefix to the block add at most four more chunks,
		// whatever the store's polynomial. Without dedupe inside a file it would be
		// ≥ len(rep).
		limit := int64(len(block)) + 4*int64(chunkstore.ClassFile.Params().Max) + 64<<10
		if total := 3*len(rep) + 100_000; st.BytesDownloaded > limit || st.BytesWritten != int64(total+len("-- empty dump\n")) {
			t.Errorf("parallel %d: downloaded %d bytes for %d of content (one block is %d), wrote %d", parallel, st.BytesDownloaded, total, len(block), st.BytesWritten)
		}
	}
}
