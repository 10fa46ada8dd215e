package e2e_test

import (
	"os"
	"path/filepath"
	"testing"

	"synco/fetch/remotetest"
	"synco/httpsrv"
)

// TestRemoteStaticServer runs the Remote conformance suite on the HTTP client
// against the static test server (staticsrv serving a publish --out layout), with
// and without Range support.
func TestRemoteStaticServer(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"-ignore-range"}} {
		t.Run(map[bool]string{false: "range", true: "no range"}[args != nil], func(t *testing.T) {
			remotetest.Run(t, func(t *testing.T, pub remotetest.Publication) remotetest.Remote {
				www := t.TempDir()
				dir := filepath.Join(www, "sync", "pubprefix")
				if err := os.MkdirAll(filepath.Join(dir, "p"), 0o755); err != nil {
					t.Fatal(err)
				}
				if pub.Root != nil {
					os.WriteFile(filepath.Join(dir, "root"), pub.Root, 0o644)
				}
				for name, b := range pub.Packs {
					os.WriteFile(filepath.Join(dir, "p", name), b, 0o644)
				}
				srv := serveStatic(t, www, args...)
				c, err := httpsrv.NewClientWith(srv.url+"/sync/pubprefix", httpsrv.ClientOptions{Parallel: 4})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(c.Close)
				return c
			})
		})
	}
}
