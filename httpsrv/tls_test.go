package httpsrv_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"synco/httpsrv"
)

// serveTLS serves h over TLS with a new self-signed certificate on a loopback
// socket; it returns the https base URL, the pin, and a count of connections.
func serveTLS(t *testing.T, h http.Handler) (string, []byte, *atomic.Int64) {
	t.Helper()
	cfg, pin, err := httpsrv.SelfSigned("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := &atomic.Int64{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpsrv.ServeWith(ctx, countConns{ln, conns}, h, httpsrv.Options{TLS: cfg}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "https://" + ln.Addr().String(), pin, conns
}

type countConns struct {
	net.Listener
	n *atomic.Int64
}

func (l countConns) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func TestPinnedTLS(t *testing.T) {
	p, data := fixture(t)
	base, pin, _ := serveTLS(t, httpsrv.Handler("k", p))
	c, err := httpsrv.NewClient(base+"/k", pin, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.Root(t.Context())
	if err != nil || string(root) != "sealed-root" {
		t.Fatalf("Root over pinned TLS = %q, %v", root, err)
	}
	rc, err := c.Range(t.Context(), "abc123", 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != string(data[100:150]) {
		t.Fatalf("Range over pinned TLS = %q, %v", got, err)
	}
}

// TestPinMismatch: a server with another certificate at the URL (an interceptor,
// or another run) is refused at once, without a retry and before any request.
func TestPinMismatch(t *testing.T) {
	served := atomic.Int64{}
	base, pin, conns := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	_, other, err := httpsrv.SelfSigned("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if string(other) == string(pin) {
		t.Fatal("two certificates with one pin")
	}
	c, err := httpsrv.NewClient(base+"/secretpath", other, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := httpsrv.Backoff{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond}
	err = httpsrv.Retry(t.Context(), b, func(int) error { _, err := c.Root(t.Context()); return err })
	if !errors.Is(err, httpsrv.ErrCertPin) || httpsrv.IsTransient(err) {
		t.Fatalf("wrong pin: %v, want permanent ErrCertPin", err)
	}
	if n := conns.Load(); n != 1 || served.Load() != 0 {
		t.Errorf("wrong pin: %d connections, %d requests served; want 1 and 0", n, served.Load())
	}
	if strings.Contains(err.Error(), "secretpath") {
		t.Errorf("error leaks the publication path: %v", err)
	}
}

// TestUntrusted: without a pin, an https URL is checked against the system's
// authorities, which do not know a self-signed certificate: ErrUntrusted at once,
// not a transport error worth a minute of retries.
func TestUntrusted(t *testing.T) {
	base, _, conns := serveTLS(t, http.NotFoundHandler())
	c, _ := httpsrv.NewClient(base+"/secretpath", nil, 1, nil)
	b := httpsrv.Backoff{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond}
	err := httpsrv.Retry(t.Context(), b, func(int) error { _, err := c.Root(t.Context()); return err })
	if !errors.Is(err, httpsrv.ErrUntrusted) || errors.Is(err, httpsrv.ErrCertPin) || httpsrv.IsTransient(err) {
		t.Fatalf("self-signed certificate, no pin: %v, want permanent ErrUntrusted", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retries)", n)
	}
	if strings.Contains(err.Error(), "secretpath") {
		t.Errorf("error leaks the publication path: %v", err)
	}
}

func TestPinNeedsHTTPS(t *testing.T) {
	pin := make([]byte, 32)
	for _, c := range []struct {
		url string
		rt  http.RoundTripper
	}{
		{"http://127.0.0.1:1/k", nil},
		{"https://127.0.0.1:1/k", http.DefaultTransport},
	} {
		if _, err := httpsrv.NewClient(c.url, pin, 1, c.rt); err == nil {
			t.Errorf("NewClient(%s, pin, transport %v) accepted", c.url, c.rt != nil)
		}
	}
}
