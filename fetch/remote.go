package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"synco/httpsrv"
)

// fetchRemote downloads the remote files of st (manifest.KindRemote: served by the
// application itself, e.g. from a CDN) into their staged files and checks each
// against its signed size and keyed hash. Transient failures are retried; a file
// that does not match is ErrTampered.
func (f *fetcher) fetchRemote(ctx context.Context, st *stage) error {
	if st == nil || len(st.remote) == 0 {
		return nil
	}
	hc := &http.Client{Transport: f.opt.Transport}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, of := range st.remote {
		g.Go(func() error {
			return httpsrv.Retry(gctx, f.opt.Backoff, func(int) error { return f.getRemote(gctx, hc, st, of) })
		})
	}
	return g.Wait()
}

func (f *fetcher) getRemote(ctx context.Context, hc *http.Client, st *stage, of *outFile) error {
	op := "get " + of.o.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, of.o.URL, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &httpsrv.TransportError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &httpsrv.StatusError{Op: op, Code: resp.StatusCode}
	}
	fd, err := of.open(st)
	if err != nil {
		return err
	}
	if err := fd.Truncate(0); err != nil { // a retry starts over
		return fmt.Errorf("write %s: %w", of.o.Path, err)
	}
	h := f.keys.StreamHash()
	body := io.LimitReader(&countReader{r: resp.Body, n: &f.remoteBytes}, int64(of.o.Size)+1)
	n, err := io.Copy(io.MultiWriter(io.NewOffsetWriter(fd, 0), h), body)
	if err != nil {
		return &httpsrv.TransportError{Op: op, Err: err}
	}
	if uint64(n) != of.o.Size || !bytes.Equal(h.Sum(nil), of.o.Hash[:]) {
		return fmt.Errorf("%s from %s: %w", of.o.Path, of.o.URL, ErrTampered)
	}
	of.mu.Lock()
	of.left = 0
	of.mu.Unlock()
	return st.finishFile(of)
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
