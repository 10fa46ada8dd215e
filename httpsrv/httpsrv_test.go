package httpsrv_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/httpsrv"
)

type pub struct {
	root  []byte
	packs map[string]string
}

func (p *pub) Root() []byte { return p.root }
func (p *pub) OpenPack(name string) (httpsrv.Pack, error) {
	path, ok := p.packs[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return filePack{f, fi.Size()}, nil
}

type filePack struct {
	*os.File
	size int64
}

func (f filePack) Size() int64 { return f.size }

// serve starts a real server on a loopback socket and returns the publication URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpsrv.Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func fixture(t *testing.T) (*pub, []byte) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	path := filepath.Join(dir, "pack")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("not published"), 0o600)
	return &pub{root: []byte("sealed-root"), packs: map[string]string{"abc123": path}}, data
}

func TestServerServesOnlyThePublication(t *testing.T) {
	p, _ := fixture(t)
	base := serve(t, httpsrv.Handler("k3y", p))
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/k3y/root", 200},
		{"HEAD", "/k3y/root", 200},
		{"GET", "/k3y/p/abc123", 200},
		{"POST", "/k3y/root", 405},
		{"PUT", "/k3y/p/abc123", 405},
		{"GET", "/k3y/", 404},
		{"GET", "/k3y/p/", 404},
		{"GET", "/", 404},
		{"GET", "/other/root", 404},
		{"GET", "/k3y/p/nope", 404},
		{"GET", "/k3y/p/../root", 404},
		{"GET", "/k3y/p/ABC123", 404},
		{"GET", "/k3y/p/secret", 404},
		{"GET", "/k3y/root?x=1", 404},
		{"GET", "/k3y/p/abc123/", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestServerRootNotYetThere(t *testing.T) {
	p, _ := fixture(t)
	p.root = nil
	c, err := httpsrv.NewClient(serve(t, httpsrv.Handler("k", p))+"/k", nil, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Root(t.Context()); !errors.Is(err, httpsrv.ErrGone) {
		t.Fatalf("Root before publish = %v, want ErrGone", err)
	}
}

func TestClientRange(t *testing.T) {
	p, data := fixture(t)
	ranged := serve(t, httpsrv.Handler("k", p))
	// A static server that ignores Range and always sends the whole file.
	plain := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/k/p/abc123" {
			w.Write(data)
			return
		}
		http.NotFound(w, r)
	}))
	for name, base := range map[string]string{"range": ranged, "no-range": plain} {
		c, err := httpsrv.NewClient(base+"/k/", nil, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int64{{0, 1}, {0, int64(len(data))}, {17, 1000}, {int64(len(data)) - 1, 1}} {
			rc, err := c.Range(t.Context(), "abc123", r[0], r[1])
			if err != nil {
				t.Fatalf("%s: Range%v: %v", name, r, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data[r[0]:r[0]+r[1]]) {
				t.Fatalf("%s: Range%v = %d bytes, %v", name, r, len(got), err)
			}
		}
		if c.Downloaded() == 0 {
			t.Errorf("%s: Downloaded() = 0", name)
		}
		rc, err := c.Range(t.Context(), "abc123", int64(len(data))-10, 20)
		if err != nil {
			t.Fatalf("%s: range past the end: %v", name, err)
		}
		if _, err := io.ReadAll(rc); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: range past the end: %v, want ErrUnexpectedEOF", name, err)
		}
		rc.Close()
	}
}

func TestClientTruncatedBody(t *testing.T) {
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-99/100")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(make([]byte, 40))
		// handler returns: the connection is cut short of Content-Length
	}))
	c, _ := httpsrv.NewClient(base+"/k", nil, 1, nil)
	rc, err := c.Range(t.Context(), "abc", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || !httpsrv.IsTransient(err) {
		t.Fatalf("truncated body: %v, want transient ErrUnexpectedEOF", err)
	}
}

func TestClientErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c, _ := httpsrv.NewClient("http://"+addr+"/secretpath", nil, 1, nil)
	_, err := c.Root(t.Context())
	if !errors.Is(err, httpsrv.ErrUnreachable) || !httpsrv.IsTransient(err) {
		t.Fatalf("closed port: %v, want transient ErrUnreachable", err)
	}
	if strings.Contains(err.Error(), "secretpath") {
		t.Errorf("error leaks the publication path: %v", err)
	}
	flaky := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	}))
	c, _ = httpsrv.NewClient(flaky+"/k", nil, 1, nil)
	_, err = c.Root(t.Context())
	var se *httpsrv.StatusError
	if !errors.As(err, &se) || se.Code != 502 || !httpsrv.IsTransient(err) {
		t.Fatalf("502: %v", err)
	}
	for _, bad := range []string{"", "ftp://x/y", "http://", "not a url"} {
		if _, err := httpsrv.NewClient(bad, nil, 1, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}

func TestRetry(t *testing.T) {
	b := httpsrv.Backoff{Attempts: 4, Initial: time.Millisecond, Max: 4 * time.Millisecond}
	calls := 0
	err := httpsrv.Retry(t.Context(), b, func(int) error {
		calls++
		if calls < 3 {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("transient then ok: err=%v calls=%d", err, calls)
	}
	calls = 0
	err = httpsrv.Retry(t.Context(), b, func(int) error { calls++; return io.ErrUnexpectedEOF })
	if !errors.Is(err, io.ErrUnexpectedEOF) || calls != 4 {
		t.Fatalf("always transient: err=%v calls=%d", err, calls)
	}
	calls = 0
	err = httpsrv.Retry(t.Context(), b, func(int) error { calls++; return httpsrv.ErrGone })
	if !errors.Is(err, httpsrv.ErrGone) || calls != 1 {
		t.Fatalf("permanent: err=%v calls=%d", err, calls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	slow := httpsrv.Backoff{Attempts: 100, Initial: time.Hour, Max: time.Hour}
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	err = httpsrv.Retry(ctx, slow, func(int) error { return io.ErrUnexpectedEOF })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancel during backoff: err=%v after %v", err, time.Since(start))
	}
}
