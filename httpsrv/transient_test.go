package httpsrv_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"syscall"
	"testing"

	"synco/httpsrv"
)

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"transport", &httpsrv.TransportError{Op: "get root", Err: syscall.ECONNRESET}, true},
		{"wrapped transport", fmt.Errorf("x: %w", &httpsrv.TransportError{Op: "get", Err: io.ErrUnexpectedEOF}), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"unreachable", fmt.Errorf("get root: %w: %w", httpsrv.ErrUnreachable, syscall.ECONNREFUSED), true},
		{"503", &httpsrv.StatusError{Op: "get", Code: 503}, true},
		{"429", &httpsrv.StatusError{Op: "get", Code: 429}, true},
		{"403", &httpsrv.StatusError{Op: "get", Code: 403}, false},
		{"gone", fmt.Errorf("get: %w", httpsrv.ErrGone), false},
		{"canceled", context.Canceled, false},
		// A local failure is a syscall.Errno, which implements net.Error: not a
		// network error all the same.
		{"local EACCES", fmt.Errorf("write cache: %w", &fs.PathError{Op: "open", Path: "/c/x", Err: syscall.EACCES}), false},
		{"local ENOSPC", fmt.Errorf("write cache: %w", syscall.ENOSPC), false},
		{"local EROFS", syscall.EROFS, false},
		{"permanent unreachable", httpsrv.Permanent(fmt.Errorf("get root: %w", httpsrv.ErrUnreachable)), false},
	}
	for _, tt := range tests {
		if got := httpsrv.IsTransient(tt.err); got != tt.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if err := httpsrv.Permanent(httpsrv.ErrUnreachable); !errors.Is(err, httpsrv.ErrUnreachable) {
		t.Errorf("Permanent hides what it wraps: %v", err)
	}
}

// TestClientBodyErrorIsTransport: a connection reset while a body is read comes
// back as a *TransportError (transient), and Reached tells the source answered.
func TestClientBodyErrorIsTransport(t *testing.T) {
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-99999/100000")
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusPartialContent)
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			tcp := conn
			if u, ok := conn.(interface{ NetConn() net.Conn }); ok {
				tcp = u.NetConn() // the server's idle-deadline wrapper
			}
			tcp.(*net.TCPConn).SetLinger(0) // RST instead of FIN
			conn.Close()
		}
	}))
	c, _ := httpsrv.NewClient(base+"/k", nil, 1, nil)
	if c.Reached() {
		t.Fatal("Reached before any request")
	}
	rc, err := c.Range(t.Context(), "abc", 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	var te *httpsrv.TransportError
	if !errors.As(err, &te) || !httpsrv.IsTransient(err) {
		t.Fatalf("reset body: %v (%T), want a transient *TransportError", err, err)
	}
	if !c.Reached() {
		t.Error("Reached is false after an answer")
	}
}
