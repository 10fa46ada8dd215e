package httpsrv_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"synco/httpsrv"
)

// OnRequest hears of every request: when it starts and when its response is
// complete, with the client's address, whether it read the root, the status
// and the body bytes sent; the secret path is not part of what it is told.
func TestServeWithOnRequest(t *testing.T) {
	p, data := fixture(t)
	events := make(chan httpsrv.Request, 32)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpsrv.ServeWith(ctx, ln, httpsrv.Handler("k3y", p), httpsrv.Options{OnRequest: func(r httpsrv.Request) { events <- r }})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()

	get := func(path, rng string) (local string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		// One connection per request, so the client's address is known.
		tr := &http.Transport{DisableKeepAlives: true}
		var addr string
		tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, a)
			if err == nil {
				addr = c.LocalAddr().String()
			}
			return c, err
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return addr
	}
	wait := func(local string, want httpsrv.Request) {
		t.Helper()
		for _, done := range []bool{false, true} {
			got := <-events
			want.Remote, want.Done = local, done
			w := want
			if !done {
				w.Root, w.Status, w.Bytes = false, 0, 0
			}
			if got != w {
				t.Errorf("event %+v, want %+v", got, w)
			}
		}
	}
	a := get("/k3y/root", "")
	wait(a, httpsrv.Request{Root: true, Status: 200, Bytes: int64(len(p.root))})
	a = get("/k3y/p/abc123", "bytes=100-1099")
	wait(a, httpsrv.Request{Status: 206, Bytes: 1000})
	a = get("/k3y/p/abc123", "")
	wait(a, httpsrv.Request{Status: 200, Bytes: int64(len(data))})
	a = get("/other/root", "")
	wait(a, httpsrv.Request{Root: false, Status: 404, Bytes: int64(len("404 page not found\n"))})
}
