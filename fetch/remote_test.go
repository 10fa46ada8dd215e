package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"synco/fetch"
	"synco/fetch/remotetest"
	"synco/httpsrv"
)

// writeDir writes pub as publish --out lays it out: root and p/<pack>.
func writeDir(t *testing.T, pub remotetest.Publication) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	if pub.Root != nil {
		if err := os.WriteFile(filepath.Join(dir, "root"), pub.Root, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range pub.Packs {
		if err := os.WriteFile(filepath.Join(dir, "p", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func serveDir(t *testing.T, pub remotetest.Publication) fetch.Remote {
	return fetch.DirRemote(writeDir(t, pub))
}

// memPub is an httpsrv.Publication in memory.
type memPub struct{ p remotetest.Publication }

func (m memPub) Root() []byte { return m.p.Root }

func (m memPub) OpenPack(name string) (httpsrv.Pack, error) {
	b, ok := m.p.Packs[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return memPack{bytes.NewReader(b)}, nil
}

type memPack struct{ *bytes.Reader }

func (memPack) Close() error { return nil }

func httpClient(t *testing.T, base string) *httpsrv.Client {
	c, err := httpsrv.NewClientWith(base, httpsrv.ClientOptions{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// serveEmbedded serves pub with the embedded server on loopback.
func serveEmbedded(t *testing.T, pub remotetest.Publication) fetch.Remote {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { httpsrv.Serve(ctx, ln, httpsrv.Handler("pubprefix", memPub{pub})); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return httpClient(t, "http://"+ln.Addr().String()+"/pubprefix")
}

// serveStatic serves pub as publish --out writes it, with a plain static file
// server (net/http.FileServer, as e2e/internal/staticsrv: a stand-in for nginx
// or a bucket).
func serveStatic(t *testing.T, pub remotetest.Publication) fetch.Remote {
	dir := writeDir(t, pub)
	srv := httptest.NewServer(http.StripPrefix("/sync", http.FileServer(http.Dir(dir))))
	t.Cleanup(srv.Close)
	return httpClient(t, srv.URL+"/sync")
}

func TestRemoteDir(t *testing.T)      { remotetest.Run(t, serveDir) }
func TestRemoteEmbedded(t *testing.T) { remotetest.Run(t, serveEmbedded) }
func TestRemoteStatic(t *testing.T)   { remotetest.Run(t, serveStatic) }

var quick = httpsrv.Backoff{Attempts: 4, Initial: time.Millisecond, Max: 2 * time.Millisecond}

// TestRemoteWrappers: the wrappers a fetch reads through, and the fault
// injector doing nothing, keep the contract.
func TestRemoteWrappers(t *testing.T) {
	t.Run("retry(counting(faulty(dir)))", func(t *testing.T) {
		remotetest.Run(t, func(t *testing.T, pub remotetest.Publication) fetch.Remote {
			c, _ := fetch.CountingRemote(remotetest.NewFaulty(serveDir(t, pub)))
			return fetch.RetryRemote(c, quick)
		})
	})
	// Every third call fails, every body is cut short: retries and resumption
	// still deliver exactly what the contract says.
	t.Run("retry(faulty(embedded))", func(t *testing.T) {
		remotetest.Run(t, func(t *testing.T, pub remotetest.Publication) fetch.Remote {
			f := remotetest.NewFaulty(serveEmbedded(t, pub))
			for n := 2; n < 10_000; n += 3 {
				f.FailNth(n)
			}
			f.Truncate(50_000, io.ErrUnexpectedEOF)
			return fetch.RetryRemote(f, httpsrv.Backoff{Attempts: 20, Initial: time.Millisecond, Max: time.Millisecond})
		})
	})
}

// TestRetryResumes: a body cut short is resumed where it stopped, a try that
// delivered bytes does not count against the attempts, and a remote that keeps
// failing without progress is given up on.
func TestRetryResumes(t *testing.T) {
	pub := remotetest.Sample()
	big := pub.Packs["0big"]
	f := remotetest.NewFaulty(serveDir(t, pub))
	f.Truncate(1000, nil) // a clean EOF: the proxy hid the error
	counted, counts := fetch.CountingRemote(f)
	r := fetch.RetryRemote(counted, httpsrv.Backoff{Attempts: 2, Initial: time.Millisecond, Max: time.Millisecond})
	body, err := r.Range(t.Context(), "0big", 10, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, big[10:100_010]) {
		t.Fatalf("resumed range: %d bytes, %v", len(got), err)
	}
	if req, n := counts(); req != 100 || n != 100_000 {
		t.Errorf("%d requests, %d bytes; want 100 and 100000", req, n)
	}

	f.Reset()
	f.FailFrom(f.Calls() + 1)
	if _, err := r.Range(t.Context(), "0big", 0, 10); !errors.Is(err, remotetest.ErrInjected) {
		t.Errorf("a remote that keeps failing: %v", err)
	}
	f.Reset()
	f.FlipByte(3)
	got, err = io.ReadAll(must(r.Range(t.Context(), "0big", 0, 10)))
	if err != nil || got[3] != ^big[3] {
		t.Errorf("flipped byte: %x, %v (a retry cannot tell; the fetch does)", got, err)
	}
}

func must(rc io.ReadCloser, err error) io.ReadCloser {
	if err != nil {
		panic(err)
	}
	return rc
}

// TestFetchFromDir fetches a publication from the directory publish --out
// writes (root and p/<pack>), through DirRemote: no server.
func TestFetchFromDir(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root"), src.pub.Root(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range src.pub.Packs() {
		if err := v.WriteFile(filepath.Join(dir, "p", v.Name())); err != nil {
			t.Fatal(err)
		}
	}
	src.stop() // the directory alone
	to := filepath.Join(t.TempDir(), "out")
	st, err := fetch.Run(t.Context(), options(t, src, to, fetch.DirRemote(dir)))
	if err != nil {
		t.Fatal(err)
	}
	sameTree(t, to, files, dump)
	if st.BytesDownloaded == 0 || st.Requests == 0 || st.ChunksDownloaded != st.ChunksTotal {
		t.Errorf("stats %+v", st)
	}
}
