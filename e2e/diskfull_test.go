package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tinyFS mounts a 1 MiB tmpfs (needs root, as on CI here) and unmounts it at cleanup.
func tinyFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v: %s): run as root to test a full disk", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestDiskFull fetches a ≈2.5 MB publication into a 1 MiB file system, once as the
// target and once as the cache: exit 6 with a hint about disk space, nothing
// half-written in --to, and the same command succeeds once there is room.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeApp(t, src, 9)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	defer pub.stop()
	pub.waitReady()

	full := tinyFS(t)
	to := filepath.Join(full, "sync")
	r := fetch(t, pub.token, to, t.TempDir())
	r.wantFailure(t, 6, pub.token, "free some disk space")
	if ents, err := os.ReadDir(full); err == nil {
		for _, e := range ents {
			if sub, _ := os.ReadDir(filepath.Join(full, e.Name())); len(sub) > 0 {
				t.Errorf("a failed fetch left %s/%v in the full target", e.Name(), len(sub))
			}
		}
	}

	cacheFull := tinyFS(t)
	to2 := filepath.Join(t.TempDir(), "sync")
	r = fetch(t, pub.token, to2, cacheFull)
	r.wantFailure(t, 6, pub.token, "free some disk space")
	if _, err := os.Stat(to2); !os.IsNotExist(err) {
		t.Errorf("a fetch whose cache filled up touched --to: %v", err)
	}

	// With room, the same command completes.
	mustFetch(t, pub.token, to2, t.TempDir())
	requireSameTree(t, src, to2)
}
