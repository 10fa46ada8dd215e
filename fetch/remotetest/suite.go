// Package remotetest tests implementations of fetch.Remote: Run is the
// conformance suite every implementation passes (the HTTP client against the
// embedded server and against a static file server, the directory remote, the
// wrappers), and Faulty wraps a Remote with injected faults for the tests of
// retries, resumption and corruption handling.
package remotetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"golang.org/x/sync/errgroup"

	"synco/fetch"
	"synco/httpsrv"
)

// Publication is what a Remote under test serves: the objects of
// manifest SPEC.md, "Publication layout".
type Publication struct {
	Root  []byte            // nil: no root
	Packs map[string][]byte // by pack name
}

// Remote is fetch.Remote.
type Remote = fetch.Remote

// Serve returns a Remote that serves pub for the rest of the test.
type Serve func(t *testing.T, pub Publication) fetch.Remote

// Sample returns the publication the suite uses: a root, a large pack with
// random content, a one-byte pack.
func Sample() Publication {
	r := rand.New(rand.NewPCG(11, 11))
	big := make([]byte, 300_000)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	return Publication{
		Root:  []byte("synco root object, sealed in real life\n"),
		Packs: map[string][]byte{"0big": big, "1": {0x42}},
	}
}

// Run runs the conformance suite on the Remotes serve returns.
func Run(t *testing.T, serve Serve) {
	pub := Sample()
	big := pub.Packs["0big"]
	t.Run("Root", func(t *testing.T) {
		got, err := serve(t, pub).Root(t.Context())
		if err != nil || !bytes.Equal(got, pub.Root) {
			t.Fatalf("root: %q, %v; want %q", got, err, pub.Root)
		}
	})
	t.Run("NoRoot", func(t *testing.T) {
		_, err := serve(t, Publication{Packs: pub.Packs}).Root(t.Context())
		if !errors.Is(err, httpsrv.ErrGone) {
			t.Fatalf("root of a publication without one: %v, want ErrGone", err)
		}
	})
	t.Run("Ranges", func(t *testing.T) {
		r := serve(t, pub)
		n := int64(len(big))
		for _, c := range []struct{ off, n int64 }{
			{0, 1}, {0, n}, {1, n - 1}, {0, n - 1}, {n - 1, 1}, {12345, 4096},
			{65535, 1}, {65535, 2}, {65536, 65536}, {65537, 131071},
		} {
			want := big[c.off : c.off+c.n]
			got, err := readRange(t.Context(), r, "0big", c.off, c.n, false)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("range %d+%d: %d bytes, %v", c.off, c.n, len(got), err)
			}
			got, err = readRange(t.Context(), r, "0big", c.off, min(c.n, 3000), true)
			if err != nil || !bytes.Equal(got, want[:min(c.n, 3000)]) {
				t.Errorf("range %d+%d byte by byte: %d bytes, %v", c.off, min(c.n, 3000), len(got), err)
			}
		}
		if got, err := readRange(t.Context(), r, "1", 0, 1, false); err != nil || !bytes.Equal(got, []byte{0x42}) {
			t.Errorf("one-byte pack: %x, %v", got, err)
		}
	})
	t.Run("PastTheEnd", func(t *testing.T) {
		r := serve(t, pub)
		n := int64(len(big))
		for _, c := range []struct{ off, n int64 }{{n - 10, 20}, {n, 1}, {n + 100, 5}, {0, n + 1}} {
			got, err := readAll(t.Context(), r, "0big", c.off, c.n)
			if err == nil {
				t.Errorf("range %d+%d of a %d byte pack: %d bytes and no error", c.off, c.n, n, len(got))
			}
			if int64(len(got)) > max(n-c.off, 0) || !bytes.Equal(got, big[min(c.off, n):min(c.off, n)+int64(len(got))]) {
				t.Errorf("range %d+%d: delivered %d bytes that are not the pack's", c.off, c.n, len(got))
			}
		}
	})
	t.Run("MissingPack", func(t *testing.T) {
		_, err := serve(t, pub).Range(t.Context(), "zz9", 0, 1)
		if !errors.Is(err, httpsrv.ErrGone) {
			t.Fatalf("missing pack: %v, want ErrGone", err)
		}
	})
	t.Run("InvalidArguments", func(t *testing.T) {
		r := serve(t, pub)
		for _, c := range []struct {
			pack   string
			off, n int64
		}{
			{"", 0, 1}, {"../root", 0, 1}, {"..", 0, 1}, {"A", 0, 1}, {"0big/x", 0, 1},
			{"p/0big", 0, 1}, {"0big%2f", 0, 1}, {"0big", -1, 1}, {"0big", 0, 0}, {"0big", 0, -1},
		} {
			body, err := r.Range(t.Context(), c.pack, c.off, c.n)
			if err == nil {
				body.Close()
				t.Errorf("Range(%q, %d, %d) accepted", c.pack, c.off, c.n)
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		r := serve(t, pub)
		var g errgroup.Group
		for i := range 16 {
			g.Go(func() error {
				off, n := int64(i*17_000), int64(20_000)
				got, err := readRange(t.Context(), r, "0big", off, n, false)
				if err != nil || !bytes.Equal(got, big[off:off+n]) {
					return fmt.Errorf("range %d+%d: %d bytes, %v", off, n, len(got), err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Error(err)
		}
	})
	t.Run("CloseEarly", func(t *testing.T) {
		r := serve(t, pub)
		for range 20 { // leaks nothing that stops later requests
			body, err := r.Range(t.Context(), "0big", 0, int64(len(big)))
			if err != nil {
				t.Fatal(err)
			}
			io.ReadFull(body, make([]byte, 10))
			if err := body.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
		if got, err := readRange(t.Context(), r, "0big", 5, 10, false); err != nil || !bytes.Equal(got, big[5:15]) {
			t.Fatalf("after early closes: %v", err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		r := serve(t, pub)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := r.Root(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("root with a cancelled context: %v", err)
		}
		if _, err := readRange(ctx, r, "0big", 0, 10, false); !errors.Is(err, context.Canceled) {
			t.Errorf("range with a cancelled context: %v", err)
		}
	})
}

// readAll reads a range to its end or first error (none when it ends early:
// the Remote must say so).
func readAll(ctx context.Context, r fetch.Remote, pack string, off, n int64) ([]byte, error) {
	body, err := r.Range(ctx, pack, off, n)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return io.ReadAll(body)
}

// readRange reads a whole range (one byte per Read if slow).
func readRange(ctx context.Context, r fetch.Remote, pack string, off, n int64, slow bool) ([]byte, error) {
	body, err := r.Range(ctx, pack, off, n)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var rd io.Reader = body
	if slow {
		rd = iotest.OneByteReader(body)
	}
	b, err := io.ReadAll(rd)
	if err == nil && int64(len(b)) != n {
		err = fmt.Errorf("%d bytes for a range of %d: %w", len(b), n, io.ErrUnexpectedEOF)
	}
	return b, err
}
