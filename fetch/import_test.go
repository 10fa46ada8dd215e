package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/fetch"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
)

// TestImportWhileDownloading publishes a database dump and fetches it with an
// importer: the importer gets every stream by name, byte-identical, and a slow import
// is reported as phase "import" after the download.
func TestImportWhileDownloading(t *testing.T) {
	streams := map[string]string{
		dumpers.SchemaStream:      "CREATE TABLE t (id INT);\n",
		dumpers.DataStream("t"):   strings.Repeat("INSERT INTO t VALUES (1);\n", 20000),
		dumpers.DataStream("t 2"): strings.Repeat("INSERT INTO `t 2` VALUES (2);\n", 100),
		dumpers.PostStream:        "CREATE INDEX i ON t (id);\n",
	}
	token := servedDump(t, streams)
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))

	var mu sync.Mutex
	got := map[string]string{}
	var phases []fetch.Progress
	_, err := fetch.Run(t.Context(), fetch.Options{
		Token: token, Cache: cache, Parallel: 2,
		Progress: func(p fetch.Progress) { mu.Lock(); phases = append(phases, p); mu.Unlock() },
		Import: func(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
			if d.Engine != "mysql" || d.Prefix != "db" || d.Tables != 2 {
				t.Errorf("dump %+v", d)
			}
			for _, name := range src.Names() {
				r, err := src.Open(ctx, name)
				if err != nil {
					return err
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil {
					return err
				}
				mu.Lock()
				got[name] = string(b)
				mu.Unlock()
			}
			time.Sleep(500 * time.Millisecond) // a slow import: progress must say so
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range streams {
		if got[name] != want {
			t.Errorf("stream %s: got %d bytes, want %d", name, len(got[name]), len(want))
		}
	}
	if len(got) != len(streams) {
		t.Errorf("importer saw %d streams, want %d", len(got), len(streams))
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.ContainsFunc(phases, func(p fetch.Progress) bool { return p.Phase == "import" && p.Done == p.Total && p.Total > 0 }) {
		t.Errorf("no complete \"import\" progress among %d reports", len(phases))
	}
}

// servedDump publishes a MySQL dump "db" of streams (written in name order,
// sealed by one worker: a stream's chunks lie in its pack in order) and serves
// it until the end of the test.
func servedDump(t *testing.T, streams map[string]string) manifest.Token {
	t.Helper()
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, _ := publish.NewPublication(st)
	dump := publish.Dump{Prefix: "db", Engine: "mysql", Run: func(ctx context.Context, sink dumpers.Sink) error {
		for _, name := range slices.Sorted(maps.Keys(streams)) {
			w, err := sink.Create(ctx, name)
			if err != nil {
				return err
			}
			io.WriteString(w, streams[name])
			if err := w.Close(); err != nil {
				return err
			}
		}
		return nil
	}}
	if _, err := publish.Build(t.Context(), pub, publish.Inputs{Dumps: []publish.Dump{dump}}, 1, nil); err != nil {
		t.Fatal(err)
	}
	token, _ := serve(t, st, pub)
	return token
}

// TestDumpOnlyFromDumpStreams publishes a file set shaped exactly like a database
// dump (dump.json, schema.sql, data/…, post.sql), as a hostile source would with
// plain `publish --files db=DIR`: the destination must treat it as files, never hand
// it to the importer.
func TestDumpOnlyFromDumpStreams(t *testing.T) {
	dir := t.TempDir()
	fake := map[string][]byte{
		"dump.json":   []byte(`{"engine":"postgres","format":1}` + "\n"),
		"schema.sql":  []byte("CREATE ROLE evil SUPERUSER;\n"),
		"data/t.sql":  []byte("COPY t FROM PROGRAM 'id > /tmp/proof';\n"),
		"post.sql":    []byte("DROP DATABASE victim;\n"),
		"uploads.txt": []byte("an ordinary file\n"),
	}
	writeTree(t, dir, fake)
	st, pub := publishInputs(t, t.TempDir(), publish.Inputs{FileSets: []publish.FileSet{{Name: "db", Dir: dir}}})
	defer st.Close()
	token, _ := serve(t, st, pub)
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
	to := t.TempDir()
	_, err := fetch.Run(t.Context(), fetch.Options{
		Token: token, Cache: cache, To: to, Parallel: 2,
		Import: func(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
			t.Errorf("a file set was handed to the importer as a %s dump %s", d.Engine, d.Prefix)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range fake {
		got, err := os.ReadFile(filepath.Join(to, "db", filepath.FromSlash(name)))
		if err != nil || string(got) != string(want) {
			t.Errorf("db/%s: got %q, %v; want it written as a plain file", name, got, err)
		}
	}
}

// TestUnchangedDumpFileNotRewritten: a dump written into --to as NAME.sql is left
// alone by the next fetch of the same content (a daily fetch of an unchanged
// database rewrites nothing), and rewritten when the local copy differs.
func TestUnchangedDumpFileNotRewritten(t *testing.T) {
	token := servedDump(t, map[string]string{
		dumpers.SchemaStream:    "CREATE TABLE t (id INT);\n",
		dumpers.DataStream("t"): strings.Repeat("INSERT INTO t VALUES (1);\n", 5000),
		dumpers.PostStream:      "",
	})
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
	to := t.TempDir()
	sql := filepath.Join(to, "db.sql")
	fetchTo := func() *fetch.Stats {
		t.Helper()
		s, err := fetch.Run(t.Context(), fetch.Options{Token: token, Cache: cache, To: to, Parallel: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fetchTo()
	before, err := os.Stat(sql)
	if err != nil {
		t.Fatal(err)
	}
	if s := fetchTo(); s.FilesUnchanged != 1 || s.FilesWritten != 0 {
		t.Errorf("second fetch: %d unchanged, %d written; want the .sql left alone", s.FilesUnchanged, s.FilesWritten)
	}
	if after, _ := os.Stat(sql); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("the unchanged db.sql was rewritten")
	}
	want, _ := os.ReadFile(sql)
	changed := bytes.Clone(want)
	changed[len(changed)/2] ^= 1 // a local change of the same size
	os.WriteFile(sql, changed, 0o600)
	if s := fetchTo(); s.FilesWritten != 1 {
		t.Errorf("fetch after a local change: %d written, want the .sql rewritten", s.FilesWritten)
	}
	if got, _ := os.ReadFile(sql); !bytes.Equal(got, want) {
		t.Error("the local change survived")
	}
}

// gatedRemote holds the range requests longer than the first pack of a run
// (chunkstore.FirstPack and one database chunk, ≤ 64 KiB) until open is
// closed or wait has passed (then held is set): a stream sealed in order comes
// with the request of its first pack and its rest waits. Smaller requests (the
// manifest, the dump's marker, the first pack) pass.
type gatedRemote struct {
	fetch.Remote
	open  chan struct{}
	wait  time.Duration
	calls atomic.Int32
	held  atomic.Bool
}

func (g *gatedRemote) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	if n > chunkstore.FirstPack*3/2 {
		g.calls.Add(1)
		select {
		case <-g.open:
		case <-time.After(g.wait):
			g.held.Store(true)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Remote.Range(ctx, pack, off, n)
}

// TestImportReadsAsChunksArrive: an importer reads a stream as far as its
// chunks have arrived, not only once all of them have (a delta install then
// works while the rest of a big table downloads). The download is held after
// its first request until the importer has read the stream's first bytes.
func TestImportReadsAsChunksArrive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var big strings.Builder
	for big.Len() < 12<<20 { // ≈ 6 MB sealed: packs of 1, 2 and 3 MiB (chunkstore.FirstPack), a request each
		fmt.Fprintf(&big, "INSERT INTO t VALUES (%d, '%x%x%x');\n", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
	}
	streams := map[string]string{dumpers.SchemaStream: "CREATE TABLE t (id INT);\n", dumpers.DataStream("t"): big.String()}
	token := servedDump(t, streams)
	client, err := httpsrv.NewClientWith(token.URL, httpsrv.ClientOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	gate := &gatedRemote{Remote: client, open: make(chan struct{}), wait: 10 * time.Second}
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
	var got []byte
	_, err = fetch.Run(t.Context(), fetch.Options{
		Token: token, Cache: cache, Parallel: 2, Remote: gate,
		Import: func(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
			r, err := src.Open(ctx, dumpers.DataStream("t"))
			if err != nil {
				return err
			}
			defer r.Close()
			first := make([]byte, 1024)
			if _, err := io.ReadFull(r, first); err != nil {
				return err
			}
			close(gate.open)
			rest, err := io.ReadAll(r)
			got = append(first, rest...)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if gate.calls.Load() == 0 {
		t.Fatal("no range request was held: the test needs the stream in more than the first pack")
	}
	if gate.held.Load() {
		t.Error("the importer read nothing of the stream until every chunk of it had arrived")
	}
	if string(got) != streams[dumpers.DataStream("t")] {
		t.Errorf("stream: got %d bytes, want %d", len(got), len(streams[dumpers.DataStream("t")]))
	}
}

// endedRemote fails every range request made once ended is set: the source
// is gone (synco pull ended its agent).
type endedRemote struct {
	fetch.Remote
	ended atomic.Bool
	after atomic.Int32 // requests made once ended
}

func (e *endedRemote) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	if e.ended.Load() {
		e.after.Add(1)
		return nil, errors.New("the source has ended")
	}
	return e.Remote.Range(ctx, pack, off, n)
}

// TestDownloadedBeforeImportEnds: Options.Downloaded is called once, while the
// import still runs, and the fetch reads nothing from the source after it (the
// importer and the files read the cache).
func TestDownloadedBeforeImportEnds(t *testing.T) {
	streams := map[string]string{
		dumpers.SchemaStream:    "CREATE TABLE t (id INT);\n",
		dumpers.DataStream("t"): strings.Repeat("INSERT INTO t VALUES (1);\n", 20000),
	}
	token := servedDump(t, streams)
	client, err := httpsrv.NewClientWith(token.URL, httpsrv.ClientOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	src := &endedRemote{Remote: client}
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
	downloaded := make(chan struct{})
	var calls atomic.Int32
	var got string
	_, err = fetch.Run(t.Context(), fetch.Options{
		Token: token, Cache: cache, Parallel: 2, Remote: src,
		Downloaded: func() {
			if calls.Add(1) == 1 {
				src.ended.Store(true)
				close(downloaded)
			}
		},
		Import: func(ctx context.Context, d fetch.Dump, s dumpers.Source) error {
			select { // the import ends only after the hook
			case <-downloaded:
			case <-time.After(10 * time.Second):
				return errors.New("Downloaded not called while the import ran")
			}
			r, err := s.Open(ctx, dumpers.DataStream("t"))
			if err != nil {
				return err
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			got = string(b)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("Downloaded called %d times, want 1", n)
	}
	if n := src.after.Load(); n != 0 {
		t.Errorf("%d requests to the source after Downloaded", n)
	}
	if got != streams[dumpers.DataStream("t")] {
		t.Errorf("stream: got %d bytes, want %d", len(got), len(streams[dumpers.DataStream("t")]))
	}
}
