package remote_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"synco/remote"
)

// fakeAgent writes an executable that answers "version", padded to size bytes
// of text (it compresses, as a real binary does).
func fakeAgent(t *testing.T, size int) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\necho synco-lite test\nexit 0\n")
	for i := 0; b.Len() < size; i++ {
		b.WriteString("# padding line of the agent that is not run\n")
	}
	p := filepath.Join(t.TempDir(), "synco-lite")
	if err := os.WriteFile(p, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p, b.Bytes()
}

// TestInstallCompressed: a source with gzip gets the agent compressed (fewer
// bytes over the channel), installed byte for byte; one without gzip gets it as
// it is; the next install of the same agent uploads nothing.
func TestInstallCompressed(t *testing.T) {
	agent, want := fakeAgent(t, 1<<20)
	// A PATH with what the scripts need but gzip.
	noGzip := t.TempDir()
	for _, c := range []string{"sh", "uname", "mkdir", "head", "sha256sum", "chmod", "mv", "rm", "cat"} {
		p, err := exec.LookPath(c)
		if err != nil {
			t.Skipf("no %s here", c)
		}
		os.Symlink(p, filepath.Join(noGzip, c))
	}
	for _, tc := range []struct {
		name string
		via  string
		gzip bool
	}{
		{"gzip", "/bin/sh -c", true},
		{"no gzip", "env PATH=" + noGzip + " /bin/sh -c", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gzip {
				if _, err := exec.LookPath("gzip"); err != nil {
					t.Skip("no gzip here")
				}
			}
			ch := remote.Channel{Kind: remote.Via, ViaCommand: tc.via}
			base := t.TempDir()
			p, err := remote.Probe(t.Context(), ch, base, "v1")
			if err != nil {
				t.Fatal(err)
			}
			if p.Gzip != tc.gzip {
				t.Fatalf("probe found gzip %v, want %v", p.Gzip, tc.gzip)
			}
			n, err := remote.Install(t.Context(), ch, &p, agent)
			if err != nil {
				t.Fatal(err)
			}
			if tc.gzip && (n <= 0 || n > int64(len(want))/10) || !tc.gzip && n != int64(len(want)) {
				t.Errorf("uploaded %d bytes of a %d-byte agent (gzip %v)", n, len(want), tc.gzip)
			}
			got, err := os.ReadFile(filepath.Join(p.Dir(), "synco-lite"))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("installed agent differs (%d bytes, %v)", len(got), err)
			}
			again, err := remote.Probe(t.Context(), ch, base, "v1")
			if err != nil {
				t.Fatal(err)
			}
			if n, err := remote.Install(t.Context(), ch, &again, agent); n != 0 || err != nil {
				t.Errorf("second install uploaded %d bytes (%v), want 0", n, err)
			}
		})
	}
}
