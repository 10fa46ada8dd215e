package httpsrv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"synco/manifest"
)

// Errors returned by the Client. Transport failures that are not one of these are
// returned wrapped as they come; IsTransient tells which are worth a retry.
var (
	// ErrGone means the server answered but has no such publication (404/410):
	// it was stopped, removed, or the token names another one.
	ErrGone = errors.New("httpsrv: publication not found")
	// ErrUnreachable means no connection could be made to the source.
	ErrUnreachable = errors.New("httpsrv: source unreachable")
	// ErrIdle means the other side sent nothing (no response header, no body
	// byte) for the client's idle time. It comes wrapped in a *TransportError,
	// so it is transient; Retry gives up after MaxStalls of them in a row.
	ErrIdle = errors.New("httpsrv: no data received for too long")
	// ErrRedirect means a server redirected a request to another origin
	// (scheme, host or port), which the client refuses. Permanent.
	ErrRedirect = errors.New("httpsrv: redirect to another origin refused")
	// ErrForbiddenAddr means a host resolved to an address that the client's
	// ClientOptions.Allow refused (e.g. loopback, private or link-local ones
	// for remote files); no connection was made. Permanent.
	ErrForbiddenAddr = errors.New("httpsrv: address not allowed")
)

// DefaultIdle is the idle time of a client whose ClientOptions.Idle is zero.
const DefaultIdle = 20 * time.Second

// StatusError is an unexpected HTTP status.
type StatusError struct {
	Op   string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: unexpected HTTP status %d %s", e.Op, e.Code, http.StatusText(e.Code))
}

// MaxRootSize bounds the root object a client accepts.
const MaxRootSize = 64 << 20

// Client reads one publication, or (NewClientWith with Allow) the files it
// names by URL on one origin. It is safe for concurrent use.
type Client struct {
	base string // ends in "/"
	hc   *http.Client
	idle time.Duration

	downloaded atomic.Int64
	reached    atomic.Bool
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// Pin is the token's certificate pin: the URL must then be https, and the
	// client accepts no server certificate but the pinned one (ErrCertPin).
	Pin       []byte
	Parallel  int               // sizes the keep-alive pool
	Transport http.RoundTripper // nil: the client's own (tests pass theirs; not with Pin or Allow)
	// Idle bounds the time a request waits for its response header and each
	// body read waits for a byte: past it the request fails with ErrIdle.
	// Zero: DefaultIdle.
	Idle time.Duration
	// Allow, if set, is asked about every address the client is about to
	// connect to (after name resolution, so DNS rebinding cannot get past it);
	// an error refuses the connection (ErrForbiddenAddr). A client with Allow
	// connects directly, never through a proxy from the environment.
	Allow func(netip.Addr) error
}

// NewClient returns a client for the publication at base (the URL from the token).
// A non-nil pin is the token's certificate pin: base must then be https, and the
// client accepts no server certificate but the pinned one (ErrCertPin). parallel
// sizes the keep-alive pool; rt may be nil for the default transport (tests pass
// their own, which cannot be combined with a pin).
func NewClient(base string, pin []byte, parallel int, rt http.RoundTripper) (*Client, error) {
	return NewClientWith(base, ClientOptions{Pin: pin, Parallel: parallel, Transport: rt})
}

// NewClientWith returns a client for the publication (or origin) at base. Its
// own transport bounds the dial (30 s), the TLS handshake (10 s) and the wait
// for a response header; every request and body read is bounded by o.Idle.
// Redirects to another origin than base's are refused (ErrRedirect).
func NewClientWith(base string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("httpsrv: publication URL must be http(s)://host/…")
	}
	if o.Transport != nil && (o.Pin != nil || o.Allow != nil) {
		return nil, errors.New("httpsrv: a certificate pin or an address check needs the client's own transport")
	}
	if o.Pin != nil && u.Scheme != "https" {
		return nil, errors.New("httpsrv: a certificate pin needs an https URL and the client's own transport")
	}
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	rt := o.Transport
	if rt == nil {
		rt = newTransport(o)
	}
	origin := u.Scheme + "://" + u.Host
	return &Client{
		base: strings.TrimSuffix(u.String(), "/") + "/",
		idle: o.Idle,
		hc: &http.Client{Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme+"://"+req.URL.Host != origin {
				return ErrRedirect
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}},
	}, nil
}

// newTransport is the client's own transport for o.
func newTransport(o ClientOptions) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if o.Allow != nil {
		allow := o.Allow
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbiddenAddr, address)
			}
			if err := allow(ap.Addr().Unmap()); err != nil {
				return fmt.Errorf("%w: %w", ErrForbiddenAddr, err)
			}
			return nil
		}
		t.Proxy = nil
	}
	t.DialContext = d.DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = max(o.Parallel, 2) + 1
	t.MaxConnsPerHost = max(o.Parallel, 2) + 1
	t.ResponseHeaderTimeout = max(o.Idle, 30*time.Second)
	t.DisableCompression = true  // sealed bytes do not compress; keep Range exact
	t.ReadBufferSize = 128 << 10 // fewer read calls for bodies of many small chunks
	if o.Pin != nil {
		t.TLSClientConfig = pinnedTLS(o.Pin)
	}
	return t
}

// Close closes the client's idle connections. (A server's graceful shutdown
// waits up to 5 s for a connection that was opened and never used.)
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Downloaded returns the number of HTTP body bytes received so far.
func (c *Client) Downloaded() int64 { return c.downloaded.Load() }

// Reached reports whether the source ever answered a request (with any status).
func (c *Client) Reached() bool { return c.reached.Load() }

// Root fetches the sealed root object.
func (c *Client) Root(ctx context.Context) ([]byte, error) {
	resp, err := c.get(ctx, "get root", manifest.RootObject, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxRootSize+1))
	if err != nil {
		return nil, fmt.Errorf("get root: %w", err)
	}
	if len(b) > MaxRootSize {
		return nil, errors.New("get root: root object too large")
	}
	return b, nil
}

// Range returns a reader over exactly n bytes of the pack starting at off. A server
// that ignores Range is tolerated: the bytes before off are read and discarded (and
// counted). The reader returns io.ErrUnexpectedEOF when the body ends early.
// The caller must close it.
func (c *Client) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	if !validName(pack) || off < 0 || n <= 0 {
		return nil, fmt.Errorf("get pack %q: invalid range", pack)
	}
	op := "get pack " + pack
	resp, err := c.get(ctx, op, manifest.PackObject(pack), fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	if err != nil {
		return nil, err
	}
	body := resp.Body
	if resp.StatusCode == http.StatusOK && off > 0 {
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			body.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	} else if resp.StatusCode == http.StatusPartialContent {
		if start, ok := contentRangeStart(resp.Header.Get("Content-Range")); !ok || start != off {
			body.Close()
			return nil, fmt.Errorf("%s: server sent another range than asked (%q)", op, resp.Header.Get("Content-Range"))
		}
	}
	return &exactReader{r: body, n: n, op: op}, nil
}

func (c *Client) get(ctx context.Context, op, path, rng string) (*http.Response, error) {
	resp, err := c.do(ctx, op, c.base+path, rng)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
		return resp, nil
	case http.StatusNotFound, http.StatusGone:
		drain(resp.Body)
		return nil, fmt.Errorf("%s: %w", op, ErrGone)
	default:
		drain(resp.Body)
		return nil, &StatusError{Op: op, Code: resp.StatusCode}
	}
}

// Get fetches rawURL, which must be on the client's origin (scheme, host and
// port of its base URL), and returns its body; any status but 200 is a
// *StatusError. The caller must close the body. Errors: ErrRedirect,
// ErrForbiddenAddr, ErrIdle (in a *TransportError) and those of Range.
func (c *Client) Get(ctx context.Context, op, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme+"://"+u.Host+"/" != c.origin() {
		return nil, fmt.Errorf("%s: %w", op, ErrRedirect)
	}
	resp, err := c.do(ctx, op, rawURL, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		drain(resp.Body)
		return nil, &StatusError{Op: op, Code: resp.StatusCode}
	}
	return resp.Body, nil
}

// origin is scheme://host/ of the client's base URL.
func (c *Client) origin() string {
	u, _ := url.Parse(c.base)
	return u.Scheme + "://" + u.Host + "/"
}

// Finished tells the source that this destination's fetch is finished: a HEAD
// of the root, which the publisher's --once waits for (a read of the plan
// alone, a --dry-run or a fetch the user declined does not send it). Best
// effort: a source that is gone by then changes nothing.
func (c *Client) Finished(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.doMethod(ctx, http.MethodHead, "say finished", c.base+manifest.RootObject, "")
	if err != nil {
		return err
	}
	drain(resp.Body)
	return nil
}

// do sends one GET and returns the response of any status, its body counted
// and watched by the idle deadline.
func (c *Client) do(ctx context.Context, op, u, rng string) (*http.Response, error) {
	return c.doMethod(ctx, http.MethodGet, op, u, rng)
}

// doMethod is do with another method.
func (c *Client) doMethod(ctx context.Context, method, op, u, rng string) (*http.Response, error) {
	rctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(rctx, method, u, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	w := newWatchdog(c.idle, cancel)
	resp, err := c.hc.Do(req)
	stalled := w.stop()
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if stalled {
			return nil, &TransportError{Op: op, Err: ErrIdle}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the unguessable publication path: keep it out of errors
		}
		switch {
		case errors.Is(err, ErrRedirect):
			return nil, fmt.Errorf("%s: %w", op, ErrRedirect) // permanent: the server sends us elsewhere
		case errors.Is(err, ErrForbiddenAddr):
			return nil, fmt.Errorf("%s: %w", op, err) // permanent: the name resolves there
		case errors.Is(err, ErrCertPin):
			return nil, fmt.Errorf("%s: %w", op, ErrCertPin) // permanent: another retry meets the same server
		}
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			return nil, fmt.Errorf("%s: %w: %w", op, ErrUntrusted, cve.Err) // permanent too
		}
		var dial *net.OpError
		if errors.As(err, &dial) && dial.Op == "dial" {
			return nil, fmt.Errorf("%s: %w: %w", op, ErrUnreachable, err)
		}
		return nil, &TransportError{Op: op, Err: err}
	}
	c.reached.Store(true)
	resp.Body = &countingBody{ReadCloser: &idleBody{r: resp.Body, w: w, cancel: cancel}, n: &c.downloaded, op: op}
	return resp, nil
}

// watchdog cancels a request when it is armed for longer than d.
type watchdog struct {
	t     *time.Timer
	d     time.Duration
	fired atomic.Bool
}

// newWatchdog returns a watchdog armed for d.
func newWatchdog(d time.Duration, cancel func()) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() { w.fired.Store(true); cancel() })
	return w
}

func (w *watchdog) arm() { w.t.Reset(w.d) }

// stop disarms w and reports whether it fired (ever).
func (w *watchdog) stop() bool {
	w.t.Stop()
	return w.fired.Load()
}

// idleBody fails a read that gets no byte for the watchdog's time with ErrIdle.
// The time between reads (the caller busy elsewhere) does not count.
type idleBody struct {
	r      io.ReadCloser
	w      *watchdog
	cancel func()
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.w.arm()
	n, err := b.r.Read(p)
	if b.w.stop() && err != io.EOF {
		return n, ErrIdle
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.w.stop()
	err := b.r.Close()
	b.cancel()
	return err
}

// TransportError is a failed HTTP exchange (reset, EOF before the headers, TLS).
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

func drain(r io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	r.Close()
}

func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, false
	}
	dash := strings.IndexByte(v, '-')
	if dash <= 0 {
		return 0, false
	}
	var start int64
	for _, c := range v[:dash] {
		if c < '0' || c > '9' || start > (1<<62)/10 {
			return 0, false
		}
		start = start*10 + int64(c-'0')
	}
	return start, true
}

// countingBody counts what it reads and returns read failures other than
// io.EOF as *TransportError (io.EOF in the middle of a range is turned into
// io.ErrUnexpectedEOF by exactReader, and wrapped too).
type countingBody struct {
	io.ReadCloser
	n  *atomic.Int64
	op string
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	if err != nil && err != io.EOF {
		if _, ok := err.(*TransportError); !ok {
			err = &TransportError{Op: b.op, Err: err}
		}
	}
	return n, err
}

// exactReader yields exactly n bytes or fails with io.ErrUnexpectedEOF (as a
// *TransportError).
type exactReader struct {
	r  io.ReadCloser
	n  int64
	op string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= int64(n)
	if err == io.EOF && e.n > 0 {
		err = &TransportError{Op: e.op, Err: io.ErrUnexpectedEOF}
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

func (e *exactReader) Close() error { return e.r.Close() }

// IsTransient reports whether err may go away on retry: failures of the network
// or the HTTP exchange (*TransportError: resets, timeouts, bodies cut short),
// no connection to the source (ErrUnreachable), io.ErrUnexpectedEOF, and
// 5xx/408/429 statuses. Everything else is permanent: ErrGone, cancellation,
// errors marked Permanent, and local failures such as a syscall.Errno from a
// cache write (which is a net.Error too, but no network error).
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrGone) {
		return false
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout
	}
	var te *TransportError
	return errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrUnreachable)
}

// Permanent marks err as not worth a retry (IsTransient is false); errors.Is
// and errors.As still see what it wraps.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
