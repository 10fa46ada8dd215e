// Package httpsrv is the HTTP side of a publication: a server that exposes exactly one
// publication read-only, and the client the destination uses to read it.
//
// A publication lives under one unguessable base URL:
//
//	<base>/root          the sealed root object (small, re-read while the source prepares)
//	<base>/p/<name>      pack files: sealed chunks back to back, read with single-range GETs
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
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Publication is what a Handler serves. Implementations must be safe for concurrent use.
type Publication interface {
	// Root returns the current sealed root object, or nil while there is none.
	Root() []byte
	// PackPath returns the file holding the named pack if it belongs to the publication.
	PackPath(name string) (string, bool)
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
		case rest == "root":
			b := pub.Root()
			if b == nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Cache-Control", "no-store")
			h.Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
		case strings.HasPrefix(rest, "p/") && validName(rest[2:]):
			path, ok := pub.PackPath(rest[2:])
			if !ok {
				http.NotFound(w, r)
				return
			}
			servePack(w, r, path)
		default:
			http.NotFound(w, r)
		}
	})
}

func servePack(w http.ResponseWriter, r *http.Request, path string) {
	f, err := os.Open(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, f)
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

// Serve serves h on ln until ctx is done, then shuts down gracefully (at most 5 s).
// Timeouts and header limits keep slow or hostile clients from holding resources;
// there is no write timeout because a large range on a slow link may take minutes.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
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
