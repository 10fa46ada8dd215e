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
	// onRetry, if set, is told about a failed try that is retried (before the
	// backoff wait): the count of tries that failed in a row, and the error.
	onRetry func(attempt int, err error)
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
	err := httpsrv.Retry(ctx, w.b, func(attempt int) (err error) {
		sealed, err = w.r.Root(ctx)
		err = w.check(err)
		w.retrying(ctx, attempt, err)
		return err
	})
	return sealed, err
}

// retrying tells onRetry about the failure of try attempt if it is retried
// (as far as the remote's error and the attempts tell; a retrier may still give
// up after too many stalls).
func (w *retryRemote) retrying(ctx context.Context, attempt int, err error) {
	if w.onRetry != nil && err != nil && ctx.Err() == nil && httpsrv.IsTransient(err) && attempt < w.b.Attempts {
		w.onRetry(attempt, err)
	}
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
	fails  int   // tries failed in a row
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
		r.failed(err)
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
			r.fails = 0
		}
		if err == io.EOF && r.pos < r.n {
			err = io.ErrUnexpectedEOF // the remote broke its contract; a retry may do better
		}
		if err == nil || err == io.EOF {
			return k, err
		}
		r.body.Close()
		r.body = nil
		r.failed(err)
		if err = r.rt.Fail(r.ctx, err); err != nil {
			r.err = err
			return k, err
		}
		if k > 0 {
			return k, nil
		}
	}
}

// failed counts a failed try and reports it if it is retried.
func (r *retryReader) failed(err error) {
	r.fails++
	r.w.retrying(r.ctx, r.fails, err)
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
