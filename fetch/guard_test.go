package fetch_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
)

// countingSite is an HTTP server on loopback that counts connections and
// requests and serves what handler serves.
type countingSite struct {
	*httptest.Server
	conns, reqs atomic.Int64
}

func newSite(t *testing.T, handler http.HandlerFunc) *countingSite {
	s := &countingSite{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		if handler != nil {
			handler(w, r)
		}
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// publishPublic publishes a file set of two images and a private file whose
// images have the public URLs urlOf gives, and serves it on loopback.
func publishPublic(t *testing.T, urlOf func(rel string) string) (*publish.State, *publish.Publication) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"img/a.jpg": []byte("aaa"), "img/b.jpg": []byte("bbb"), "private.txt": []byte("p")})
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, _ := publish.NewPublication(st)
	in := publish.Inputs{FileSets: []publish.FileSet{{Name: "files", Dir: dir, Public: func(rel string) (string, bool) {
		if strings.HasPrefix(rel, "img/") {
			return urlOf(rel), true
		}
		return "", false
	}}}}
	if res, err := publish.Build(t.Context(), pub, in, 2, nil); err != nil || res.Remote != 2 {
		t.Fatalf("build: %+v, %v", res, err)
	}
	return st, pub
}

func guardOptions(t *testing.T, tok manifest.Token, to string) fetch.Options {
	cache, err := chunkstore.OpenCache(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return fetch.Options{Token: tok, To: to, Cache: cache, Parallel: 2,
		Backoff: httpsrv.Backoff{Attempts: 3, Initial: time.Millisecond, Max: time.Millisecond}}
}

// TestRemoteFilesStayOffTheLocalNetwork: the publication is on a public
// address (here 192.0.2.1, reached through a test transport), and its
// manifest points remote files at 127.0.0.1, a service on the developer's
// machine. The fetch refuses before connecting there.
func TestRemoteFilesStayOffTheLocalNetwork(t *testing.T) {
	inside := newSite(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) })
	st, pub := publishPublic(t, func(rel string) string { return inside.URL + "/" + rel })
	tok, _ := serve(t, st, pub)
	real, _ := url.Parse(tok.URL)
	public := *real
	public.Host = "192.0.2.1:" + real.Port()
	tok.URL = public.String()
	opt := guardOptions(t, tok, filepath.Join(t.TempDir(), "out"))
	// The publication client gets to the real server; remote files use their own
	// client, which this transport does not touch.
	c, err := httpsrv.NewClientWith(tok.URL, httpsrv.ClientOptions{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, real.Host)
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opt.Remote = c
	fp, err := fetch.Open(t.Context(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	plan, err := fp.Plan(t.Context(), fetch.Selection{To: opt.To})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := plan.Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = plan.Run(t.Context())
	if !errors.Is(err, httpsrv.ErrForbiddenAddr) {
		t.Fatalf("remote files on 127.0.0.1 from a public publication: %v, want ErrForbiddenAddr", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
	if n := inside.conns.Load(); n != 0 {
		t.Errorf("the local service got %d connections", n)
	}
	if sum == nil || sum.RemoteOrigin != inside.URL {
		t.Errorf("summary: %+v, want RemoteOrigin %s", sum, inside.URL)
	}
	if _, err := os.Stat(opt.To); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a refused fetch")
	}
}

// TestRemoteFilesOneOrigin: a manifest whose remote files are on two origins
// is refused as tampered before any of them is requested.
func TestRemoteFilesOneOrigin(t *testing.T) {
	a, b := newSite(t, nil), newSite(t, nil)
	st, pub := publishPublic(t, func(rel string) string {
		if rel == "img/a.jpg" {
			return a.URL + "/" + rel
		}
		return b.URL + "/" + rel
	})
	tok, _ := serve(t, st, pub)
	_, err := fetch.Run(t.Context(), guardOptions(t, tok, filepath.Join(t.TempDir(), "out")))
	if !errors.Is(err, fetch.ErrTampered) {
		t.Fatalf("two origins: %v, want ErrTampered", err)
	}
	if a.conns.Load()+b.conns.Load() != 0 {
		t.Errorf("requests made: %d, %d", a.reqs.Load(), b.reqs.Load())
	}
}

// TestRemoteFilesNoRedirectElsewhere: the public host redirects to another
// origin; the fetch does not follow.
func TestRemoteFilesNoRedirectElsewhere(t *testing.T) {
	other := newSite(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("aaa")) })
	site := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	})
	st, pub := publishPublic(t, func(rel string) string { return site.URL + "/" + rel })
	tok, _ := serve(t, st, pub)
	_, err := fetch.Run(t.Context(), guardOptions(t, tok, filepath.Join(t.TempDir(), "out")))
	if !errors.Is(err, httpsrv.ErrRedirect) {
		t.Fatalf("redirect to another origin: %v, want ErrRedirect", err)
	}
	if other.reqs.Load() != 0 || site.reqs.Load() == 0 {
		t.Errorf("requests: %d to the public host, %d elsewhere", site.reqs.Load(), other.reqs.Load())
	}
}

// TestRemoteFileNeverAnswers: the public host accepts and never answers; the
// fetch gives up after a few idle periods with a transient error (exit 4).
func TestRemoteFileNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			held = append(held, c)
		}
	}()
	st, pub := publishPublic(t, func(rel string) string { return "http://" + ln.Addr().String() + "/" + rel })
	tok, _ := serve(t, st, pub)
	opt := guardOptions(t, tok, filepath.Join(t.TempDir(), "out"))
	opt.Idle = 100 * time.Millisecond
	opt.Backoff.Attempts = 8
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second) // a guard against hanging, not a timing
	defer cancel()
	_, err = fetch.Run(ctx, opt)
	if !errors.Is(err, httpsrv.ErrIdle) || !httpsrv.IsTransient(err) || ctx.Err() != nil {
		t.Fatalf("silent public host: %v, want transient ErrIdle", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
	if n := accepted.Load(); n > 6 { // 3 stalls for each of the two files at most
		t.Errorf("%d connections to the silent host", n)
	}
}

// TestFetchGivesUpOnStalledSource: a publisher killed during its first
// publish leaves its root in Created (or Initializing) forever; the fetch
// gives up with ErrStalled instead of waiting for ever.
func TestFetchGivesUpOnStalledSource(t *testing.T) {
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, _ := publish.NewPublication(st) // Created, and nothing will ever happen
	tok, _ := serve(t, st, pub)
	opt := guardOptions(t, tok, filepath.Join(t.TempDir(), "out"))
	opt.Poll = 5 * time.Millisecond
	opt.StallAfter = 100 * time.Millisecond
	var waiting atomic.Int64
	opt.Progress = func(p fetch.Progress) {
		if p.Phase == "waiting" {
			waiting.Add(1)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second) // a guard against hanging, not a timing
	defer cancel()
	_, err = fetch.Run(ctx, opt)
	if !errors.Is(err, fetch.ErrStalled) || ctx.Err() != nil {
		t.Fatalf("root in Created forever: %v, want ErrStalled", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
	if waiting.Load() == 0 {
		t.Error("no waiting progress reported before giving up")
	}
}
