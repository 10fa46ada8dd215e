package faulty

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Transport is an http.RoundTripper that injects faults into requests and
// response bodies: failing the Nth request with an error or a status code,
// truncating bodies, flipping a body byte, delaying responses. Headers,
// including Content-Length, are passed on unchanged, as a faulty server or
// proxy would. It tests HTTP clients; a fetch's faults are injected at its
// Remote (fetch/remotetest.Faulty).
type Transport struct {
	base http.RoundTripper

	mu        sync.Mutex
	requests  int
	failNth   map[int]bool
	failFrom  int
	statusNth map[int]int
	truncate  int64 // bodies end after truncate-1 bytes, if > 0
	truncErr  error
	flip      int64 // body byte at flip-1 inverted, if > 0
	delay     time.Duration
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport sending requests through base
// (http.DefaultTransport if nil) until told otherwise.
func NewTransport(base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base}
}

// FailNth makes the nth request (counting from 1) fail with ErrInjected
// without reaching the server.
func (t *Transport) FailNth(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failNth == nil {
		t.failNth = make(map[int]bool)
	}
	t.failNth[n] = true
}

// FailFrom makes every request from the nth on fail with ErrInjected;
// n <= 0 turns it off.
func (t *Transport) FailFrom(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failFrom = n
}

// StatusNth answers the nth request with status code and a short text body,
// without reaching the server.
func (t *Transport) StatusNth(n, code int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.statusNth == nil {
		t.statusNth = make(map[int]int)
	}
	t.statusNth[n] = code
}

// TruncateBody ends every response body after k bytes, with err or, if err
// is nil, a clean io.EOF (which only a length or content check detects).
// k < 0 turns it off.
func (t *Transport) TruncateBody(k int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.truncate, t.truncErr = k+1, err
}

// FlipByte inverts the byte at offset off of every response body long enough
// to have one; off < 0 turns it off.
func (t *Transport) FlipByte(off int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flip = off + 1
}

// Delay makes every request wait d before it is sent, or until its context
// ends.
func (t *Transport) Delay(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.delay = d
}

// Reset turns all faults off; the request count stays.
func (t *Transport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failNth, t.failFrom, t.statusNth = nil, 0, nil
	t.truncate, t.truncErr, t.flip, t.delay = 0, nil, 0, 0
}

// Requests returns how many requests were made, failed ones included.
func (t *Transport) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.requests++
	n := t.requests
	fail := t.failNth[n] || t.failFrom > 0 && n >= t.failFrom
	status := t.statusNth[n]
	b := &body{trunc: t.truncate - 1, truncErr: t.truncErr, flip: t.flip - 1}
	d := t.delay
	t.mu.Unlock()

	err := sleep(req.Context(), d)
	if err == nil && fail {
		err = ErrInjected
	}
	if err != nil || status != 0 {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on errors
		}
		if err != nil {
			return nil, err
		}
		return &http.Response{
			Status:     http.StatusText(status),
			StatusCode: status,
			Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"text/plain"}},
			Body:          io.NopCloser(strings.NewReader("faulty: injected status\n")),
			ContentLength: -1,
			Request:       req,
		}, nil
	}

	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if b.trunc >= 0 || b.flip >= 0 {
		b.rc = resp.Body
		resp.Body = b
	}
	return resp, nil
}

// body applies truncation and a byte flip to a response body.
type body struct {
	rc       io.ReadCloser
	pos      int64
	trunc    int64 // < 0: off
	truncErr error
	flip     int64 // < 0: off
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
	n, err := b.rc.Read(p)
	if i := b.flip - b.pos; i >= 0 && i < int64(n) {
		p[i] ^= 0xff
	}
	b.pos += int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
