package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// EndMessage is what the destination writes on the standard input of an agent
// that serves over HTTP (StartHTTP) to stop it; the end of its standard input
// stops it too.
const EndMessage = "\x00SYNCO\x01END\n"

// ErrHTTP means the agent serves over HTTP, but not at the URL the destination
// reaches it by (a wrong URL, a firewall, NAT).
var ErrHTTP = errors.New("remote: the source's HTTP server cannot be reached")

// PingTimeout bounds StartHTTP's check that the agent answers at its URL.
var PingTimeout = 15 * time.Second

// StartHTTP runs the agent like Start, but the agent serves the publication with
// the embedded HTTP server on listen (host:port on the source), and the token's
// URL is under base, the URL by which the destination reaches listen. The channel
// carries only the hello (with the token) and, at Close, EndMessage; the
// Session's Transport is nil. Before it returns it checks that the agent answers
// at base. Errors: those of Start, and ErrHTTP (in an *Error).
func StartHTTP(ctx context.Context, ch Channel, p Platform, args []string, listen, base string) (*Session, error) {
	base = strings.TrimSuffix(base, "/")
	args = append(append([]string(nil), args...), "--http", "--listen", listen, "--url", base)
	s, br, err := launch(ctx, ch, p, args, base+"/")
	if err != nil {
		return nil, err
	}
	// Nothing more is expected on stdout; keep reading so that the agent never
	// blocks on it.
	go io.Copy(io.Discard, br)
	if err := ping(ctx, base); err != nil {
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Kind: ErrHTTP, Channel: ch.String(), Stderr: "at " + base + ": " + err.Error(), Code: -1}
	}
	return s, nil
}

// ping GETs base+PingPath, which the agent answers with 204 No Content.
func ping(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+PingPath, nil)
	if err != nil {
		return err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	defer t.CloseIdleConnections()
	c := &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which the caller says
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("HTTP status %d from something else than synco-lite", resp.StatusCode)
	}
	return nil
}

// WaitEnd returns when r (the agent's standard input) holds EndMessage or ends.
func WaitEnd(r io.Reader) {
	var tail []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		tail = append(tail, buf[:n]...)
		if bytes.Contains(tail, []byte(EndMessage)) || err != nil {
			return
		}
		if len(tail) > len(EndMessage) {
			tail = append(tail[:0], tail[len(tail)-len(EndMessage):]...)
		}
	}
}
