package fetch

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"synco/httpsrv"
)

// Wrappers around a Remote, one concern each (as restic wraps its backends).
// A fetch reads through retry(counting(remote)): every request, retries
// included, is counted.

// retryRemote retries what its Remote fails at transiently (httpsrv.IsTransient)
// with backoff b: a root read, a range request, and a range body cut short,
// which it resumes where it stopped, so the caller reads the n bytes it asked
// for or gets the last error. A try that delivered bytes starts the count of
// tries afresh, so a slow but working link is not given up on.
//
// A remote that was never reached (every try failed with httpsrv.ErrUnreachable:
// likely a wrong address) is given up on after firstContact, not after all of b.
type retryRemote struct {
	r            Remote
	b            httpsrv.Backoff
	start        time.Time
	firstContact time.Duration
	reached      atomic.Bool // some call got an answer
}

func newRetryRemote(r Remote, b httpsrv.Backoff, firstContact time.Duration) *retryRemote {
	return &retryRemote{r: r, b: b, start: time.Now(), firstContact: firstContact}
}

// answered records whether err says the remote answered (nil, or an answer
// such as ErrGone or a status; not a failure to reach it or to exchange).
func (w *retryRemote) answered(err error) {
	var te *httpsrv.TransportError
	if err == nil || !errors.Is(err, httpsrv.ErrUnreachable) && !errors.As(err, &te) && !errors.Is(err, context.Canceled) {
		w.reached.Store(true)
	}
}

// check turns a failure to reach a remote that never answered into a
// permanent one once firstContact has passed.
func (w *retryRemote) check(err error) error {
	w.answered(err)
	if errors.Is(err, httpsrv.ErrUnreachable) && !w.reached.Load() && time.Since(w.start) >= w.firstContact {
		return httpsrv.Permanent(err) // never reached: likely a wrong address, say so soon
	}
	return err
}

func (w *retryRemote) Root(ctx context.Context) ([]byte, error) {
	var sealed []byte
	err := httpsrv.Retry(ctx, w.b, func(int) (err error) {
		sealed, err = w.r.Root(ctx)
		return w.check(err)
	})
	return sealed, err
}

func (w *retryRemote) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	rr := &retryReader{ctx: ctx, w: w, pack: pack, off: off, n: n, rt: httpsrv.NewRetrier(w.b)}
	if err := rr.open(); err != nil {
		return nil, err
	}
	return rr, nil
}

// retryReader reads a range, reopening it after a transient failure.
type retryReader struct {
	ctx    context.Context
	w      *retryRemote
	pack   string
	off, n int64
	pos    int64 // bytes delivered
	body   io.ReadCloser
	rt     *httpsrv.Retrier
	err    error // sticky: given up
}

// open requests the rest of the range, retrying failures as the Retrier says.
func (r *retryReader) open() error {
	for {
		body, err := r.w.r.Range(r.ctx, r.pack, r.off+r.pos, r.n-r.pos)
		if err = r.w.check(err); err == nil {
			r.body = body
			return nil
		}
		if err = r.rt.Fail(r.ctx, err); err != nil {
			r.err = err
			return err
		}
	}
}

func (r *retryReader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		if r.pos >= r.n {
			return 0, io.EOF
		}
		if r.body == nil {
			if err := r.open(); err != nil {
				return 0, err
			}
		}
		k, err := r.body.Read(p[:min(int64(len(p)), r.n-r.pos)])
		r.pos += int64(k)
		if k > 0 {
			r.rt.Progress()
		}
		if err == io.EOF && r.pos < r.n {
			err = io.ErrUnexpectedEOF // the remote broke its contract; a retry may do better
		}
		if err == nil || err == io.EOF {
			return k, err
		}
		r.body.Close()
		r.body = nil
		if err = r.rt.Fail(r.ctx, err); err != nil {
			r.err = err
			return k, err
		}
		if k > 0 {
			return k, nil
		}
	}
}

func (r *retryReader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// countingRemote counts range requests and the bytes delivered (root and
// ranges).
type countingRemote struct {
	r               Remote
	requests, bytes atomic.Int64
}

func (c *countingRemote) Root(ctx context.Context) ([]byte, error) {
	b, err := c.r.Root(ctx)
	c.bytes.Add(int64(len(b)))
	return b, err
}

func (c *countingRemote) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	c.requests.Add(1)
	body, err := c.r.Range(ctx, pack, off, n)
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: body, n: &c.bytes}, nil
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}
