package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Magic starts the agent's hello on its standard output.
const Magic = "\x00SYNCO\x01\x00"

// EndPath is the path the destination GETs to stop the agent; PingPath the one it
// GETs first, to open the connection.
const (
	EndPath  = "/.synco-end"
	PingPath = "/.synco-ping"
)

// Host is the host of a publication's URL served over a channel: the token's URL
// is "http://stdio/<prefix>".
const Host = "stdio"

// maxGarbage bounds what ReadHello skips before the hello (a login shell's greeting).
const maxGarbage = 64 << 10

// ErrNoHello means the agent's output ended (or had too much else) before its hello.
var ErrNoHello = errors.New("remote: the agent ended without starting")

// WriteHello writes the hello with token (the token's text) to w.
func WriteHello(w io.Writer, token string) error {
	if len(token) > 0xffff {
		return errors.New("remote: token too long for the hello")
	}
	b := make([]byte, 0, len(Magic)+2+len(token))
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(token)))
	b = append(b, token...)
	_, err := w.Write(b)
	return err
}

// ReadHello skips up to 64 KiB of anything, then reads the hello from r and returns
// its token text; r is then positioned at the first byte after it. It returns
// ErrNoHello when r ends first (or the garbage is longer).
func ReadHello(r *bufio.Reader) (string, error) {
	skipped := 0
	for {
		b, err := r.Peek(len(Magic))
		if err != nil {
			return "", ErrNoHello
		}
		if string(b) == Magic {
			break
		}
		i := bytes.IndexByte(b[1:], Magic[0])
		n := len(b)
		if i >= 0 {
			n = i + 1
		}
		r.Discard(n)
		if skipped += n; skipped > maxGarbage {
			return "", ErrNoHello
		}
	}
	r.Discard(len(Magic))
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", ErrNoHello
	}
	tok := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(r, tok); err != nil {
		return "", ErrNoHello
	}
	return string(tok), nil
}

// Conn makes a net.Conn of a reader and a writer (a process's stdin and stdout).
// Close closes both (when they are io.Closers) and is safe to call more than once.
// Deadlines are not supported and are ignored.
type Conn struct {
	r    io.Reader
	w    io.Writer
	once sync.Once
	done chan struct{}
}

// NewConn returns a Conn reading from r and writing to w.
func NewConn(r io.Reader, w io.Writer) *Conn {
	return &Conn{r: r, w: w, done: make(chan struct{})}
}

func (c *Conn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *Conn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Close closes both directions.
func (c *Conn) Close() error {
	c.once.Do(func() {
		close(c.done)
		if cl, ok := c.w.(io.Closer); ok {
			cl.Close()
		}
		if cl, ok := c.r.(io.Closer); ok {
			cl.Close()
		}
	})
	return nil
}

// Done is closed when Close was called.
func (c *Conn) Done() <-chan struct{} { return c.done }

func (c *Conn) LocalAddr() net.Addr                { return stdioAddr{} }
func (c *Conn) RemoteAddr() net.Addr               { return stdioAddr{} }
func (c *Conn) SetDeadline(t time.Time) error      { return nil }
func (c *Conn) SetReadDeadline(t time.Time) error  { return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }

var _ net.Conn = (*Conn)(nil)

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return Host }

// h2Only are the protocols on a channel: HTTP/2 without TLS, nothing else.
func h2Only() *http.Protocols {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &p
}

// Serve serves h as HTTP/2 without TLS on the one connection c until ctx is done (then
// it stops gracefully, at most 5 s), the connection ends, or it stays idle for idle
// (no request in flight). A GET of EndPath is answered and then ends the serving. It
// closes c before returning.
func Serve(ctx context.Context, c *Conn, h http.Handler, idle time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case EndPath:
			w.WriteHeader(http.StatusNoContent)
			cancel()
			return
		case PingPath:
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:        mux,
		Protocols:      h2Only(),
		IdleTimeout:    idle,
		MaxHeaderBytes: 16 << 10,
		HTTP2:          &http.HTTP2Config{MaxConcurrentStreams: 64},
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	ln := &oneConnListener{c: c}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc: // cannot happen before the connection ends
		c.Close()
		if errors.Is(err, errConnDone) {
			return nil
		}
		return err
	case <-c.Done():
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	c.Close()
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && !errors.Is(serr, errConnDone) {
		return serr
	}
	return err
}

var errConnDone = errors.New("remote: connection done")

// oneConnListener accepts c once; the next Accept waits until c is closed.
type oneConnListener struct {
	c    *Conn
	once sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.c })
	if c != nil {
		return c, nil
	}
	<-l.c.Done()
	return nil, errConnDone
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return stdioAddr{} }

// Transport is the destination's http.RoundTripper for a channel: requests for
// http://stdio/… are streams of the one HTTP/2 connection over the channel, all
// others (files published by their public URL) go through base.
type Transport struct {
	h2   *http.Transport
	base http.RoundTripper
}

// Dial returns a Transport over c, with its HTTP/2 connection open (one request
// answered). base may be nil for http.DefaultTransport.
func Dial(ctx context.Context, c net.Conn, base http.RoundTripper) (*Transport, error) {
	t := newTransport(c, base)
	// The first request dials, alone: concurrent first requests would each dial,
	// and there is only one connection.
	if err := t.get(ctx, PingPath); err != nil {
		return nil, fmt.Errorf("open the channel's connection: %w", err)
	}
	return t, nil
}

func newTransport(c net.Conn, base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	var once sync.Once
	t := &http.Transport{
		Protocols: h2Only(),
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var conn net.Conn
			once.Do(func() { conn = c })
			if conn == nil {
				return nil, errors.New("remote: the channel's connection ended")
			}
			return conn, nil
		},
		DisableCompression: true,
		// One connection, never a second: requests beyond the server's stream
		// limit wait for a stream. The receive windows are net/http's defaults
		// (4 MiB per stream, more per connection).
		HTTP2: &http.HTTP2Config{StrictMaxConcurrentRequests: true, MaxReadFrameSize: 1 << 20},
	}
	return &Transport{h2: t, base: base}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && r.URL.Host == Host {
		return t.h2.RoundTrip(r)
	}
	return t.base.RoundTrip(r)
}

// End asks the agent to stop (a GET of EndPath), waiting at most until ctx is done.
func (t *Transport) End(ctx context.Context) error {
	if err := t.get(ctx, EndPath); err != nil {
		return fmt.Errorf("stop the agent: %w", err)
	}
	return nil
}

func (t *Transport) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+Host+path, nil)
	if err != nil {
		return err
	}
	resp, err := t.h2.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	return nil
}

// CloseIdleConnections closes the idle connections of the base transport (remote
// files), not the channel's one connection: an http.Client closes its idle
// connections when a fetch is done, and the end request (End) still has to
// reach the agent over it — a channel whose stdin never ends (kwok's exec, some
// kubelets) gives the agent no other sign. Session.Close closes it after End.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
