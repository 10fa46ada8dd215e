// Package httpsrv is the HTTP side of a publication: a server that exposes exactly one
// publication read-only, and the client the destination uses to read it.
//
// A publication lives under one unguessable base URL (manifest SPEC.md,
// "Publication layout"; the names are manifest.RootObject and manifest.PackObject):
//
//	<base>/root          the sealed root object (small, re-read while the source prepares)
//	<base>/p/<name>      packs: sealed chunks back to back, read with single-range GETs
//
// A pack is served as the publication exposes it (Publication.OpenPack): the source's
// packs are shared by its publications and may hold chunks this one does not
// reference, which read as zeros.
//
// Nothing else exists: no listings, no other methods than GET and HEAD, no query
// parameters. The same layout written into a directory (publish --out) works behind any
// static web server or bucket that honours Range requests; a server that ignores Range
// and answers 200 is tolerated by the client at the cost of the skipped bytes.
//
// The embedded server may speak TLS with a certificate made for the run (SelfSigned);
// the token then carries the certificate's pin, and a client given it accepts no other
// server certificate (ErrCertPin) and needs no certificate authority.
package httpsrv

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"synco/manifest"
)

// Publication is what a Handler serves. Implementations must be safe for concurrent use.
type Publication interface {
	// Root returns the current sealed root object, or nil while there is none.
	Root() []byte
	// OpenPack opens the named pack as the publication exposes it. An error
	// wrapping fs.ErrNotExist means the publication has no such pack (404).
	OpenPack(name string) (Pack, error)
}

// Pack is one pack as a publication exposes it: Size bytes, read with ReadAt.
type Pack interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Handler serves pub under "/<prefix>/". Every other path is 404.
func Handler(prefix string, pub Publication) http.Handler {
	base := "/" + strings.Trim(prefix, "/") + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, base)
		if !ok || r.URL.RawQuery != "" {
			http.NotFound(w, r)
			return
		}
		switch {
		case rest == manifest.RootObject:
			b := pub.Root()
			if b == nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
		case strings.HasPrefix(rest, manifest.PackPrefix) && validName(rest[len(manifest.PackPrefix):]):
			servePack(w, r, pub, rest[len(manifest.PackPrefix):])
		default:
			http.NotFound(w, r)
		}
	})
}

func servePack(w http.ResponseWriter, r *http.Request, pub Publication, name string) {
	pk, err := pub.OpenPack(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "pack unavailable", http.StatusInternalServerError)
		return
	}
	defer pk.Close()
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(pk, 0, pk.Size()))
}

// validName reports whether s can be a pack name: 1–64 characters of [0-9a-z].
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Options configure the embedded server: TLS, and limits on what clients can hold
// of it.
type Options struct {
	// TLS, if set, serves HTTPS with it (on the connections the limits count).
	TLS *tls.Config
	// MaxConns is the most connections open at once (0: DefaultMaxConns). Further
	// clients wait in the listen backlog until one closes.
	MaxConns int
	// WriteIdle drops a connection on which a write makes no progress for this long
	// (0: DefaultWriteIdle): a client that requests a pack and stops reading. The
	// deadline is renewed with every write, so a large range on a slow link may
	// take as long as it needs.
	WriteIdle time.Duration
	// OnRequest, if set, is told about every request: when it starts (Done
	// false) and when its response is complete (Done true, with the status and
	// the body bytes sent). It is called from the request's goroutine and must
	// not block.
	OnRequest func(Request)
}

// Request is what Options.OnRequest is told about a request. It carries no
// path: the path holds the publication's secret prefix.
type Request struct {
	Remote string // the client's address (host:port)
	Root   bool   // a successful read of a root object (once Done)
	// Finished: a successful HEAD of a root object, which a destination sends
	// when its fetch is finished (Client.Finished; once Done)
	Finished bool
	Status   int   // once Done
	Bytes    int64 // body bytes sent, once Done
	Done     bool
}

// observe calls on before and after each request h serves.
func observe(h http.Handler, on func(Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		on(Request{Remote: r.RemoteAddr})
		cw := &countingWriter{ResponseWriter: w}
		defer func() {
			if cw.status == 0 {
				cw.status = http.StatusOK
			}
			root := cw.status < 300 && strings.HasSuffix(r.URL.Path, "/"+manifest.RootObject)
			finished := root && r.Method == http.MethodHead
			on(Request{Remote: r.RemoteAddr, Root: root && !finished, Finished: finished, Status: cw.status, Bytes: cw.n, Done: true})
		}()
		h.ServeHTTP(cw, r)
	})
}

// countingWriter counts the body bytes written and keeps the status.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Defaults of Options. Writes are at most 32 KiB (the copy buffer), so WriteIdle
// drops a link slower than ≈ 1 KB/s; MaxConns is far above what the parallel
// range requests of a few destinations use (fetch: 4–16 each).
const (
	DefaultMaxConns  = 256
	DefaultWriteIdle = 30 * time.Second
)

// Serve serves h on ln until ctx is done, then shuts down gracefully (at most 5 s),
// with the default Options (plain HTTP).
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return ServeWith(ctx, ln, h, Options{})
}

// ServeWith is Serve with opt. Timeouts, header limits, a cap on connections and an
// idle write deadline keep slow or hostile clients from holding resources; there
// is no overall write timeout because a large range on a slow link may take
// minutes.
func ServeWith(ctx context.Context, ln net.Listener, h http.Handler, opt Options) error {
	if opt.MaxConns <= 0 {
		opt.MaxConns = DefaultMaxConns
	}
	if opt.WriteIdle <= 0 {
		opt.WriteIdle = DefaultWriteIdle
	}
	if opt.OnRequest != nil {
		h = observe(h, opt.OnRequest)
	}
	lim := &limitListener{Listener: ln, sem: make(chan struct{}, opt.MaxConns), idle: opt.WriteIdle, done: make(chan struct{})}
	defer lim.Close()
	ln = lim
	if opt.TLS != nil {
		ln = tls.NewListener(lim, opt.TLS)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // libraries never print
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// limitListener holds at most cap(sem) connections open (Accept waits for a free
// slot) and gives every connection an idle write deadline.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	idle      time.Duration
	done      chan struct{} // closed by Close: a waiting Accept returns
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &idleConn{Conn: c, idle: l.idle, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := net.ErrClosed
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

// idleConn renews its write deadline before every write, so a write fails (and
// the server drops the connection) only when the peer takes nothing for idle.
// It hides the connection's ReadFrom (sendfile), which would write without
// renewing the deadline.
type idleConn struct {
	net.Conn
	idle    time.Duration
	once    sync.Once
	release func()
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// NetConn returns the underlying connection (as tls.Conn's does).
func (c *idleConn) NetConn() net.Conn { return c.Conn }

func (c *idleConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
