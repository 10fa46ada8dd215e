package e2e_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTLS: publish --tls serves HTTPS with a certificate of its own that the token
// pins; fetch uses it with no certificate authority, and refuses a server with
// another certificate at the token's URL (exit 5, --to not created).
func TestTLS(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 11, 3)
	a := publish(t, append(sourceArgs(src), "--tls", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	t.Cleanup(a.stop)
	tok := a.parsed()
	u, err := url.Parse(tok.URL)
	if err != nil || u.Scheme != "https" || u.Hostname() != "127.0.0.1" || len(tok.CertPin) != 32 {
		t.Fatalf("token: URL %q (%v), pin of %d bytes; want https://127.0.0.1:… and a 32-byte pin", tok.URL, err, len(tok.CertPin))
	}

	to := filepath.Join(t.TempDir(), "sync")
	st := mustFetch(t, a.token, to, t.TempDir())
	requireSameTree(t, src, to)
	if st.ChunksDownloaded == 0 {
		t.Errorf("fetch over TLS: %+v", st)
	}

	// The port speaks only TLS: a plain HTTP request gets Go's TLS server's 400.
	resp, err := http.Get("http://" + u.Host + u.Path + "/root")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP to the --tls port: status %d, want 400", resp.StatusCode)
	}

	// Another run answers at the token's URL (as an interceptor would): same
	// keys, other certificate.
	b := publish(t, append(sourceArgs(src), "--tls", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	t.Cleanup(b.stop)
	b.waitReady()
	swapped := withURL(t, a.token, strings.Replace(tok.URL, u.Host, mustHost(t, b.parsed().URL), 1))
	to = filepath.Join(t.TempDir(), "sync")
	r := fetch(t, swapped, to, t.TempDir())
	r.wantFailure(t, 5, swapped, "something between here and the source answered with another certificate")
	noSecrets(t, r.stderr, a.token)
	if listDir(t, to) != nil {
		t.Error("--to was created")
	}

	// The same URL without the pin, as for a web server whose certificate this
	// machine does not trust: a clear error at once, not a minute of retries.
	unpinned := a.parsed()
	unpinned.CertPin = nil
	start := time.Now()
	r = fetch(t, unpinned.String(), filepath.Join(t.TempDir(), "sync"), t.TempDir())
	r.wantFailure(t, 4, unpinned.String(), "the source's HTTPS certificate is not trusted")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("untrusted certificate: gave up after %v, want no retries", d)
	}
}

func mustHost(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
