package remotetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"synco/fetch"
	"synco/httpsrv"
)

// ErrInjected is the cause of an injected failure.
var ErrInjected = errors.New("remotetest: injected fault")

// Faulty wraps a fetch.Remote and injects faults: failing the Nth call (as a
// network failure or with an HTTP status), cutting bodies short, flipping a
// byte, delaying calls and stalling bodies (each honouring the context). Calls
// are Root and Range calls, counted from 1 over the Faulty's lifetime. Knobs may
// change at any time and are safe for concurrent use; a zero knob is off.
type Faulty struct {
	r fetch.Remote

	mu       sync.Mutex
	calls    int
	failNth  map[int]error
	failFrom int
	truncate int64 // bodies end after truncate-1 bytes, if > 0
	truncErr error
	flip     int64 // byte flip-1 of every body inverted, if > 0
	delay    time.Duration
	stall    int64 // body reads block after stall-1 bytes until the context ends, if > 0
}

var _ fetch.Remote = (*Faulty)(nil)

// NewFaulty returns a Faulty passing calls to r until told otherwise.
func NewFaulty(r fetch.Remote) *Faulty { return &Faulty{r: r} }

// FailNth makes call n fail, without reaching the remote, with a transient
// network failure (an *httpsrv.TransportError wrapping ErrInjected).
func (f *Faulty) FailNth(n int) {
	f.failWith(n, &httpsrv.TransportError{Op: "faulty", Err: ErrInjected})
}

// StatusNth makes call n fail as an HTTP server answering with status code
// would (an *httpsrv.StatusError; 404 and 410: httpsrv.ErrGone).
func (f *Faulty) StatusNth(n, code int) {
	var err error = &httpsrv.StatusError{Op: "faulty", Code: code}
	if code == http.StatusNotFound || code == http.StatusGone {
		err = httpsrv.ErrGone
	}
	f.failWith(n, err)
}

func (f *Faulty) failWith(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNth == nil {
		f.failNth = map[int]error{}
	}
	f.failNth[n] = err
}

// FailFrom makes every call from the nth on fail as FailNth does; n <= 0
// turns it off.
func (f *Faulty) FailFrom(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failFrom = n
}

// Truncate ends every body (a range's reader; a root) after k bytes, with err
// or, if err is nil, a clean io.EOF (a remote breaking its contract, as a proxy
// that hides an error would). k < 0 turns it off.
func (f *Faulty) Truncate(k int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truncate, f.truncErr = k+1, err
}

// FlipByte inverts the byte at offset off of every body (a range's reader, a
// root) long enough to have one; off < 0 turns it off.
func (f *Faulty) FlipByte(off int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flip = off + 1
}

// Delay makes every call wait d first, or until its context ends.
func (f *Faulty) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Stall makes every range body deliver k bytes and then block until its
// context ends (a remote that went silent); k < 0 turns it off.
func (f *Faulty) Stall(k int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stall = k + 1
}

// Reset turns every fault off; the call count stays.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNth, f.failFrom, f.truncate, f.truncErr, f.flip, f.delay, f.stall = nil, 0, 0, nil, 0, 0, 0
}

// Calls returns how many calls were made, failed ones included.
func (f *Faulty) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// call counts a call, waits its delay and returns its injected failure and
// the body faults.
func (f *Faulty) call(ctx context.Context) (*body, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	err := f.failNth[n]
	if err == nil && f.failFrom > 0 && n >= f.failFrom {
		err = &httpsrv.TransportError{Op: "faulty", Err: ErrInjected}
	}
	b := &body{ctx: ctx, trunc: f.truncate - 1, truncErr: f.truncErr, flip: f.flip - 1, stall: f.stall - 1}
	d := f.delay
	f.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return b, err
}

func (f *Faulty) Root(ctx context.Context) ([]byte, error) {
	b, err := f.call(ctx)
	if err != nil {
		return nil, err
	}
	root, err := f.r.Root(ctx)
	if err != nil {
		return nil, err
	}
	b.stall = -1
	b.rc = io.NopCloser(bytes.NewReader(root))
	return io.ReadAll(b)
}

func (f *Faulty) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	b, err := f.call(ctx)
	if err != nil {
		return nil, err
	}
	rc, err := f.r.Range(ctx, pack, off, n)
	if err != nil {
		return nil, err
	}
	b.rc = rc
	return b, nil
}

// body applies truncation, a byte flip and a stall to a body.
type body struct {
	ctx      context.Context
	rc       io.ReadCloser
	pos      int64
	trunc    int64 // < 0: off
	truncErr error
	flip     int64 // < 0: off
	stall    int64 // < 0: off
}

func (b *body) Read(p []byte) (int, error) {
	if b.trunc >= 0 {
		if b.pos >= b.trunc {
			if b.truncErr != nil {
				return 0, b.truncErr
			}
			return 0, io.EOF
		}
		p = p[:min(int64(len(p)), b.trunc-b.pos)]
	}
	if b.stall >= 0 {
		if b.pos >= b.stall {
			<-b.ctx.Done()
			return 0, b.ctx.Err()
		}
		p = p[:min(int64(len(p)), b.stall-b.pos)]
	}
	n, err := b.rc.Read(p)
	if i := b.flip - b.pos; i >= 0 && i < int64(n) {
		p[i] ^= 0xff
	}
	b.pos += int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
