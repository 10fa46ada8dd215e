package httpsrv_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"synco/httpsrv"
)

// rawServer accepts connections on loopback and hands each to handle; it
// counts them. Connections are held until the end of the test.
type rawServer struct {
	addr     string
	accepted atomic.Int64
}

func newRawServer(t *testing.T, handle func(n int64, c net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{addr: ln.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(s.accepted.Add(1), c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}

// readRequest reads one request's header from c.
func readRequest(c net.Conn) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(c))
}

// stallAfterHalf answers every request with headers and half of a 1000-byte
// body, then sends nothing more.
func stallAfterHalf(_ int64, c net.Conn) {
	if _, err := readRequest(c); err != nil {
		return
	}
	fmt.Fprintf(c, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-999/1000\r\nContent-Length: 1000\r\n\r\n")
	c.Write(make([]byte, 500))
}

// silent accepts and never answers.
func silent(int64, net.Conn) {}

func TestClientIdleBody(t *testing.T) {
	srv := newRawServer(t, stallAfterHalf)
	c, err := httpsrv.NewClientWith("http://"+srv.addr+"/k", httpsrv.ClientOptions{Parallel: 1, Idle: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // only a guard against hanging forever
	defer cancel()
	rc, err := c.Range(ctx, "abc", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if !errors.Is(err, httpsrv.ErrIdle) || !httpsrv.IsTransient(err) || ctx.Err() != nil {
		t.Fatalf("stalled body: %d bytes, %v; want transient ErrIdle", n, err)
	}
	if n != 500 {
		t.Errorf("read %d bytes before the stall, want 500", n)
	}
}

func TestClientIdleNoAnswer(t *testing.T) {
	srv := newRawServer(t, silent)
	c, _ := httpsrv.NewClientWith("http://"+srv.addr+"/k", httpsrv.ClientOptions{Parallel: 1, Idle: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b := httpsrv.Backoff{Attempts: 8, Initial: time.Millisecond, Max: time.Millisecond}
	calls := 0
	err := httpsrv.Retry(ctx, b, func(int) error {
		calls++
		_, err := c.Root(ctx)
		return err
	})
	if !errors.Is(err, httpsrv.ErrIdle) || !httpsrv.IsTransient(err) || ctx.Err() != nil {
		t.Fatalf("silent server: %v; want transient ErrIdle", err)
	}
	// Three stalls and Retry gives up, although Attempts allows more.
	if calls != 3 || srv.accepted.Load() != 3 {
		t.Errorf("%d tries, %d connections; want 3 of each", calls, srv.accepted.Load())
	}
}

// A source that stalls once and then answers: the retry succeeds.
func TestClientIdleTransient(t *testing.T) {
	srv := newRawServer(t, func(n int64, c net.Conn) {
		if n == 1 {
			stallAfterHalf(n, c)
			return
		}
		if _, err := readRequest(c); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nroot")
	})
	c, _ := httpsrv.NewClientWith("http://"+srv.addr+"/k", httpsrv.ClientOptions{Parallel: 1, Idle: 200 * time.Millisecond})
	var got []byte
	err := httpsrv.Retry(t.Context(), httpsrv.Backoff{Attempts: 4, Initial: time.Millisecond}, func(int) (err error) {
		got, err = c.Root(t.Context())
		return err
	})
	if err != nil || string(got) != "root" {
		t.Fatalf("after one stall: %q, %v", got, err)
	}
}

// A body that arrives slowly but steadily is not idle, whatever its total time
// (here longer than the idle time; each gap is a tenth of it).
func TestClientSlowBodyIsNotIdle(t *testing.T) {
	srv := newRawServer(t, func(_ int64, c net.Conn) {
		if _, err := readRequest(c); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n")
		for range 12 {
			time.Sleep(100 * time.Millisecond)
			c.Write([]byte("x"))
		}
	})
	c, _ := httpsrv.NewClientWith("http://"+srv.addr+"/k", httpsrv.ClientOptions{Parallel: 1, Idle: time.Second})
	if got, err := c.Root(t.Context()); err != nil || len(got) != 12 {
		t.Fatalf("slow body: %q, %v", got, err)
	}
}

// The publication client follows no redirect to another origin.
func TestClientRefusesCrossOriginRedirect(t *testing.T) {
	var elsewhere atomic.Int64
	other := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+"/k/root", http.StatusFound)
	}))
	c, _ := httpsrv.NewClient(base+"/k", nil, 1, nil)
	_, err := c.Root(t.Context())
	if !errors.Is(err, httpsrv.ErrRedirect) || httpsrv.IsTransient(err) {
		t.Fatalf("redirect to another origin: %v, want permanent ErrRedirect", err)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other origin got %d requests", elsewhere.Load())
	}
	// Get refuses a URL on another origin before any request.
	if _, err := c.Get(t.Context(), "get x", other+"/x"); !errors.Is(err, httpsrv.ErrRedirect) || elsewhere.Load() != 0 {
		t.Fatalf("Get on another origin: %v (%d requests there)", err, elsewhere.Load())
	}
}

// Allow is asked with the resolved address before connecting: a refused one
// sees no connection at all.
func TestClientAllowRefusesBeforeConnecting(t *testing.T) {
	srv := newRawServer(t, silent)
	var asked []netip.Addr
	c, err := httpsrv.NewClientWith("http://"+srv.addr, httpsrv.ClientOptions{Parallel: 1, Allow: func(a netip.Addr) error {
		asked = append(asked, a)
		return errors.New("loopback")
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(t.Context(), "get img/a.jpg", "http://"+srv.addr+"/img/a.jpg")
	if !errors.Is(err, httpsrv.ErrForbiddenAddr) || httpsrv.IsTransient(err) {
		t.Fatalf("refused address: %v, want permanent ErrForbiddenAddr", err)
	}
	time.Sleep(20 * time.Millisecond)
	if srv.accepted.Load() != 0 || len(asked) != 1 || asked[0] != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("%d connections, Allow asked about %v", srv.accepted.Load(), asked)
	}
}
