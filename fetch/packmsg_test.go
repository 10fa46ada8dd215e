package fetch_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"synco/fetch"
	"synco/httpsrv"
)

// goingAway is the HTTP client of a source that stops while the first range's
// body is being read: that read fails as a cut connection does, and every
// request after it finds nothing listening.
type goingAway struct {
	fetch.Remote
	stop func()
	once sync.Once
}

func (g *goingAway) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	body, err := g.Remote.Range(ctx, pack, off, n)
	if err != nil {
		return nil, err
	}
	return &cutBody{ReadCloser: body, g: g, pack: pack}, nil
}

type cutBody struct {
	io.ReadCloser
	g    *goingAway
	pack string
}

func (b *cutBody) Read(p []byte) (int, error) {
	cut := false
	b.g.once.Do(func() { cut = true; b.g.stop() })
	if cut {
		return 0, &httpsrv.TransportError{Op: "get pack " + b.pack, Err: io.ErrUnexpectedEOF}
	}
	return b.ReadCloser.Read(p)
}

// A source that goes away mid-fetch is named once in the error ("get pack P:
// get pack P: httpsrv: source unreachable" before).
func TestFetchSourceGoneMessage(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	c, err := httpsrv.NewClientWith(src.token.URL, httpsrv.ClientOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	opt := options(t, src, filepath.Join(t.TempDir(), "out"), &goingAway{Remote: c, stop: src.stop})
	opt.Parallel = 1
	_, err = fetch.Run(t.Context(), opt)
	if !errors.Is(err, httpsrv.ErrUnreachable) {
		t.Fatalf("source stopped mid-fetch: %v, want ErrUnreachable", err)
	}
	msg := err.Error()
	i := strings.Index(msg, "get pack ")
	if i < 0 {
		t.Fatalf("the error names no pack: %s", msg)
	}
	op, _, _ := strings.Cut(msg[i:], ": ")
	if n := strings.Count(msg, op); n != 1 {
		t.Errorf("the error says %q %d times: %s", op, n, msg)
	}
}
