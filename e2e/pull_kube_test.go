package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The kubectl pull test needs a cluster: scripts/test-kube.sh builds and starts a
// real kube-apiserver and etcd with kwok as the node, whose ClusterExec runs
// `kubectl exec` commands on this machine, so a pod's "filesystem" is this
// machine's and MariaDB on 127.0.0.1:3306 is reachable from it. The script sets
// SYNCO_TEST_KUBECONFIG, SYNCO_TEST_KUBE_NAMESPACE and SYNCO_TEST_KUBE_POD (a
// Running pod with one container, php). Without them the test skips, in CI too:
// the cluster is opt-in (its first build takes many minutes and GB of caches).

// kubeService returns KUBECONFIG, the namespace and the pod of the test cluster,
// or skips.
func kubeService(t *testing.T) (kubeconfig, ns, pod string) {
	t.Helper()
	kubeconfig = os.Getenv("SYNCO_TEST_KUBECONFIG")
	ns, pod = os.Getenv("SYNCO_TEST_KUBE_NAMESPACE"), os.Getenv("SYNCO_TEST_KUBE_POD")
	if kubeconfig == "" || ns == "" || pod == "" {
		t.Skip("no Kubernetes cluster for the kubectl pull test: run scripts/test-kube.sh")
	}
	return kubeconfig, ns, pod
}

// TestPullKube pulls a WordPress-like project through kubectl exec: the first pull
// uploads the agent and installs the database and files, the second (after an
// edit, and naming the pod's container) uploads no agent and downloads a small
// delta; nothing of the agent keeps running afterwards.
func TestPullKube(t *testing.T) {
	t.Parallel()
	kubeconfig, ns, pod := kubeService(t)
	env := []string{"KUBECONFIG=" + kubeconfig}
	p := sourceProject(t, "wordpress", "127.0.0.1:3306")
	remoteDir, cache := t.TempDir(), t.TempDir()
	common := []string{"--yes", "--json", "--remote-dir", remoteDir, "--cache", cache}

	first := pull(t, p.local, env, append([]string{"kubectl://" + ns + "/" + pod + p.src}, common...)...).must(t)
	p.sameDB()
	requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
	fi, err := os.Stat(bin.lite)
	if err != nil {
		t.Fatal(err)
	}
	if first.upload != fi.Size() {
		t.Errorf("first pull uploaded %d agent bytes, want %d (the size of synco-lite)", first.upload, fi.Size())
	}
	if strings.Contains(first.stderr, "synco1") {
		t.Errorf("pull showed the token:\n%s", first.stderr)
	}
	noAgentLeft(t, remoteDir)

	if _, err := mariadb(t).Exec("UPDATE " + p.srcDB + "." + p.table + " SET body = 'edited' WHERE id = 7"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(p.src, p.files, "new.txt"), []byte("a new upload\n"), 0o644)

	// The same pod, its container named (kubectl exec -c php).
	second := pull(t, p.local, env, append([]string{"kubectl://" + ns + "/" + pod + ":php" + p.src}, common...)...).must(t)
	p.sameDB()
	requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
	if second.upload != 0 {
		t.Errorf("second pull uploaded %d agent bytes, want 0", second.upload)
	}
	s1, s2 := first.stats(t), second.stats(t)
	if s2.BytesDownloaded*4 > s1.BytesDownloaded {
		t.Errorf("second pull downloaded %d bytes, the first %d: want a small delta", s2.BytesDownloaded, s1.BytesDownloaded)
	}
	t.Logf("first pull %d bytes (agent %d), second %d bytes (agent %d)", s1.BytesDownloaded, first.upload, s2.BytesDownloaded, second.upload)
	noAgentLeft(t, remoteDir)
}

func TestPullKubeFailures(t *testing.T) {
	t.Parallel()
	kubeconfig, ns, pod := kubeService(t)
	env := []string{"KUBECONFIG=" + kubeconfig}
	t.Run("no pod", func(t *testing.T) {
		pull(t, t.TempDir(), env, "kubectl://"+ns+"/no-such-pod/app", "--to", t.TempDir()).
			wantCode(t, 8, "kubectl pod "+ns+"/no-such-pod: the control channel to the source failed", "pod")
	})
	t.Run("no container", func(t *testing.T) {
		pull(t, t.TempDir(), env, "kubectl://"+ns+"/"+pod+":no-such-container/app", "--to", t.TempDir()).
			wantCode(t, 8, "kubectl pod "+ns+"/"+pod+" container no-such-container: the control channel to the source failed", "pod")
	})
	t.Run("no context", func(t *testing.T) {
		pull(t, t.TempDir(), env, "kubectl://"+ns+"/"+pod+"/app", "--context", "no-such-context", "--to", t.TempDir()).
			wantCode(t, 8, "the control channel to the source failed", "context")
	})
	t.Run("no application", func(t *testing.T) {
		pull(t, t.TempDir(), env, "kubectl://"+ns+"/"+pod+t.TempDir(), "--to", t.TempDir(), "--remote-dir", t.TempDir()).
			wantCode(t, 7, "no Neos, Flow, Symfony, Laravel, WordPress, Drupal or TYPO3 configuration found", "the application's directory")
	})
}
