package e2e_test

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPublisherStops checks how synco-lite publish ends: SIGINT, SIGTERM and --ttl
// all exit 0 and remove what was published, unless --keep; the embedded server
// stops listening; stdout holds exactly the one token line.
func TestPublisherStops(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 8, 2)

	oneLine := func(t *testing.T, p *publisher) {
		t.Helper()
		if got := p.stdout.String(); got != "synco fetch "+p.token+"\n" {
			t.Errorf("publish stdout = %q, want exactly the token line", got)
		}
	}
	outDir := func(t *testing.T, extra ...string) (*publisher, string) {
		t.Helper()
		www := t.TempDir()
		p := publish(t, append(append(sourceArgs(src), "--out", www, "--url", "http://example.invalid/sync", "--state-dir", t.TempDir()), extra...)...)
		p.waitReady()
		dir := filepath.Join(www, p.prefix())
		if _, err := os.Stat(filepath.Join(dir, "root")); err != nil {
			t.Fatalf("--out wrote no root: %v", err)
		}
		return p, dir
	}

	t.Run("SIGINT removes --out", func(t *testing.T) {
		t.Parallel()
		p, dir := outDir(t)
		p.stop()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("published directory still there after SIGINT (%v)", err)
		}
		oneLine(t, p)
	})
	t.Run("SIGTERM with --keep leaves a fetchable publication", func(t *testing.T) {
		t.Parallel()
		www := t.TempDir()
		srv := serveStatic(t, www)
		p := publish(t, append(sourceArgs(src), "--out", www, "--url", srv.url, "--state-dir", t.TempDir(), "--keep")...)
		p.waitReady()
		p.signal(syscall.SIGTERM)
		if code := p.wait(15 * time.Second); code != 0 {
			t.Fatalf("publish after SIGTERM: exit %d\n%s", code, p.stderr.String())
		}
		oneLine(t, p)
		to := filepath.Join(t.TempDir(), "sync")
		mustFetch(t, p.token, to, t.TempDir())
		requireSameTree(t, src, to)
	})
	t.Run("--ttl expiry removes --out", func(t *testing.T) {
		t.Parallel()
		p, dir := outDir(t, "--ttl", "1500ms")
		if code := p.wait(15 * time.Second); code != 0 {
			t.Fatalf("publish with --ttl: exit %d\n%s", code, p.stderr.String())
		}
		if !strings.Contains(p.stderr.String(), "expired") {
			t.Errorf("stderr does not say the TTL expired:\n%s", p.stderr.String())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("published directory still there after --ttl (%v)", err)
		}
		oneLine(t, p)
	})
	for _, sig := range []syscall.Signal{syscall.SIGINT, 0} {
		name := "embedded server stops on SIGINT"
		if sig == 0 {
			name = "embedded server stops at --ttl"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
			if sig == 0 {
				args = append(args, "--ttl", "1500ms")
			}
			p := publish(t, args...)
			p.waitReady()
			u := p.parsed().URL
			resp, err := http.Get(u + "/root")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET root: %s", resp.Status)
			}
			if sig != 0 {
				p.signal(sig)
			}
			if code := p.wait(15 * time.Second); code != 0 {
				t.Fatalf("publish: exit %d\n%s", code, p.stderr.String())
			}
			oneLine(t, p)
			pu, _ := url.Parse(u)
			if c, err := net.DialTimeout("tcp", pu.Host, time.Second); err == nil {
				c.Close()
				t.Errorf("%s still accepts connections after publish exited", pu.Host)
			}
		})
	}
}

// TestSyncoPublish checks that synco has synco-lite's publish command.
func TestSyncoPublish(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeBlobs(t, src, 9, 2)
	p := &publisher{proc: start(t, bin.synco, "", nil, append([]string{"publish", "--listen", "127.0.0.1:0", "--state-dir", t.TempDir()}, sourceArgs(src)...)...)}
	waitFor(t, 20*time.Second, "the token line", func() bool { return strings.Contains(p.stdout.String(), "\n") })
	p.token = strings.TrimSpace(strings.TrimPrefix(p.stdout.String(), "synco fetch "))
	defer p.stop()
	to := filepath.Join(t.TempDir(), "sync")
	mustFetch(t, p.token, to, t.TempDir())
	requireSameTree(t, src, to)
}

// TestStateDirLocked checks that a second publish with a busy --state-dir fails
// with a hint instead of sharing the store.
func TestStateDirLocked(t *testing.T) {
	t.Parallel()
	src, state := t.TempDir(), t.TempDir()
	makeBlobs(t, src, 12, 1)
	first := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", state)...)
	defer first.stop()
	first.waitReady()
	second := start(t, bin.lite, "", nil, append([]string{"publish", "--listen", "127.0.0.1:0", "--state-dir", state}, sourceArgs(src)...)...)
	if code := second.wait(10 * time.Second); code != 1 {
		t.Fatalf("second publish on a busy --state-dir: exit %d, want 1\n%s", code, second.stderr.String())
	}
	if !strings.Contains(second.stderr.String(), "synco-lite: hint: another synco-lite publish is running") {
		t.Errorf("no hint about the running publish:\n%s", second.stderr.String())
	}
	if second.stdout.String() != "" {
		t.Errorf("second publish printed %q on stdout", second.stdout.String())
	}
}
