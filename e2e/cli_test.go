package e2e_test

import (
	"crypto/ed25519"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"synco/manifest"
)

// TestHelp checks that the main --help pages show examples and the exit codes
// (verification failures only where a fetch happens; every command:
// TestEveryHelpHasExamples).
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{bin.lite, "--help"},
		{bin.lite, "publish", "--help"},
		{bin.synco, "--help"},
		{bin.synco, "fetch", "--help"},
		{bin.synco, "publish", "--help"},
	} {
		p := start(t, args[0], "", nil, args[1:]...)
		name := filepath.Base(args[0]) + " " + strings.Join(args[1:], " ")
		if code := p.wait(10 * time.Second); code != 0 {
			t.Errorf("%s: exit %d\n%s", name, code, p.stderr.String())
		}
		out := p.stdout.String()
		want := []string{"Examples:", "Exit codes:", "130", "interrupted"}
		if name == "synco --help" || name == "synco fetch --help" {
			want = append(want, "verification failed")
		}
		for _, want := range want {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", name, want, out)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, b := range []string{bin.lite, bin.synco} {
		p := start(t, b, "", nil, "version")
		if code := p.wait(10 * time.Second); code != 0 {
			t.Errorf("%s version: exit %d", b, code)
		}
		name := filepath.Base(b)
		if out := p.stdout.String(); !regexp.MustCompile(`^` + name + ` \S+\n$`).MatchString(out) {
			t.Errorf("%s version printed %q, want %q", name, out, name+" <version>\n")
		}
	}
}

// TestUsageErrors checks that mistakes in flags and arguments exit with 2 and one
// error line plus a hint, and never echo a token.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := t.TempDir()
	token := manifest.Token{
		URL:     "http://127.0.0.1:9/unguessablepath",
		SignPub: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey),
	}.String()
	tests := []struct {
		bin   string
		stdin string
		args  []string
	}{
		{bin.lite, "", nil},
		{bin.lite, "", []string{"frobnicate"}},
		{bin.lite, "", []string{"publish", "--bogus"}},
		{bin.lite, "", []string{"publish", "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "noequals", "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "=" + src, "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "x=" + filepath.Join(src, "missing"), "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--stream", "x=" + filepath.Join(src, "missing"), "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--stream", "x=" + src, "--state-dir", dir}},                                       // a directory
		{bin.lite, "", []string{"publish", "--db", "mysql://root@127.0.0.1:3306/", "--state-dir", dir}},                       // no database name
		{bin.lite, "", []string{"publish", "--db", "mysql://root@127.0.0.1:3306", "--files", "x=" + src, "--state-dir", dir}}, // no database name
		{bin.lite, "", []string{"publish", "--files", "x=" + src, "--out", dir, "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "x=" + src, "--ttl", "soon", "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "x=" + src, "--tls", "--out", dir, "--url", "https://x/y", "--state-dir", dir}},
		{bin.lite, "", []string{"publish", "--files", "x=" + src, "--tls", "--url", "http://x:8470", "--state-dir", dir}},
		{bin.synco, "", nil},
		{bin.synco, "", []string{"fetch"}},
		{bin.synco, "", []string{"fetch", token}},
		{bin.synco, "", []string{"fetch", "-", "--to", dir}},
		{bin.synco, "", []string{"fetch", token, "--to", dir, "--parallel", "many"}},
		{bin.synco, "", []string{"fetch", token, "surplus", "--to", dir}},
		{bin.synco, "", []string{"fetch", token, "--to", dir, "--bogus"}},
		{bin.synco, "", []string{"cache", "gc"}},
		{bin.synco, "", []string{"cache", "gc", "--max-size", "lots", "--cache", dir}},
	}
	for _, tt := range tests {
		p := start(t, tt.bin, tt.stdin, nil, tt.args...)
		prog := filepath.Base(tt.bin)
		name := prog + " " + strings.Join(tt.args, " ")
		code := p.wait(10 * time.Second)
		stderr := p.stderr.String()
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, code, stderr)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], prog+": error: ") || !strings.HasPrefix(lines[1], prog+": hint: ") {
			t.Errorf("%s: stderr is not one error and one hint line:\n%s", name, stderr)
		}
		if p.stdout.String() != "" {
			t.Errorf("%s: wrote to stdout: %q", name, p.stdout.String())
		}
		noSecrets(t, stderr, token)
	}
}
