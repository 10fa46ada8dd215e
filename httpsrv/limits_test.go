package httpsrv_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"synco/httpsrv"
)

// zeroPack is a pack of size zero bytes that needs no disk.
type zeroPack int64

func (z zeroPack) Size() int64  { return int64(z) }
func (z zeroPack) Close() error { return nil }
func (z zeroPack) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(z) {
		return 0, io.EOF
	}
	n := min(int64(len(p)), int64(z)-off)
	clear(p[:n])
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

type bigPub struct{}

func (bigPub) Root() []byte { return []byte("sealed-root") }
func (bigPub) OpenPack(name string) (httpsrv.Pack, error) {
	return zeroPack(1 << 40), nil
}

// openConns counts the server's open connections and the most at once.
type openConns struct {
	net.Listener
	mu              sync.Mutex
	open, most, all int
}

func (l *openConns) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.all++
	l.most = max(l.most, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *openConns) counts() (open, most, all int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.most, l.all
}

type countedConn struct {
	net.Conn
	l    *openConns
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// stuckClient requests a huge pack and never reads the answer; its receive
// buffer is small, so the server's writes soon block.
func stuckClient(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "GET /k/p/abc HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStuckReadersAreDropped: clients that request a pack and never read hold at
// most MaxConns connections, are dropped once a write makes no progress for
// WriteIdle, and a normal client is served meanwhile (issue 10 §4: 500 such
// clients held 1,012 descriptors for ever).
func TestStuckReadersAreDropped(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &openConns{Listener: raw}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpsrv.ServeWith(ctx, ln, httpsrv.Handler("k", bigPub{}), httpsrv.Options{MaxConns: 8, WriteIdle: 200 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := raw.Addr().String()
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(what string) {
		t.Helper()
		resp, err := client.Get("http://" + addr + "/k/root")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "sealed-root" {
			t.Fatalf("%s: %s %q", what, resp.Status, b)
		}
	}

	// Fewer stuck clients than the cap: a normal client is served beside them.
	for range 5 {
		stuckClient(t, addr)
	}
	waitUntil(t, "5 stuck connections accepted", func() bool { _, _, all := ln.counts(); return all >= 5 })
	get("beside 5 stuck clients")

	// Many more than the cap: never more than 8 open, every one dropped.
	const stuck = 40
	for range stuck {
		stuckClient(t, addr)
	}
	waitUntil(t, "every stuck client to be dropped", func() bool {
		open, _, all := ln.counts()
		return all >= 5+1+stuck && open <= 1 // at most the normal client's idle keep-alive
	})
	if _, most, _ := ln.counts(); most > 8 {
		t.Errorf("%d connections open at once, want at most MaxConns = 8", most)
	}
	get("after the stuck clients")
}

// waitUntil polls cond until it holds; the bound only stops a hung test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
