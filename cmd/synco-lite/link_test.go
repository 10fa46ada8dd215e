package main

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxSize is the DESIGN.md target for synco-lite, linux/amd64, stripped:
// "≤ the original's 10.9 MB now; ≤ 8 MB stretch".
const maxSize = 10_900_000

// TestSize builds synco-lite as scripts/build.sh releases it (linux/amd64,
// static, stripped, noinline.txt) and fails above maxSize: a new dependency or
// a reflection call that keeps dead code alive shows here, not on a server. The
// size and its gzip -1 (what synco pull uploads) are logged for -v.
func TestSize(t *testing.T) {
	if testing.Short() {
		t.Skip("links synco-lite")
	}
	patterns, err := noinline("noinline.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "synco-lite")
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	for _, p := range patterns {
		args = append(args, "-gcflags="+p+"=-l")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%.2000s", err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synco-lite linux/amd64 stripped: %d bytes, gzip -1: %d bytes", fi.Size(), gzipSize(t, out))
	if fi.Size() > maxSize {
		t.Errorf("synco-lite is %d bytes, over the %d of DESIGN.md: see bench/RESULTS.md \"synco-lite size\" for how to find what grew (go tool nm -size -sort size of an unstripped build)", fi.Size(), maxSize)
	}
}

// noinline reads the package patterns of noinline.txt as scripts/build.sh
// does: one a line, # to the end of a line is a comment.
func noinline(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var patterns []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if p := strings.Join(strings.Fields(line), ""); p != "" {
			patterns = append(patterns, p)
		}
	}
	return patterns, sc.Err()
}

func gzipSize(t *testing.T, name string) int64 {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n countWriter
	zw, _ := gzip.NewWriterLevel(&n, gzip.BestSpeed)
	if _, err := io.Copy(zw, f); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// TestNoReflectMethodLookup guards synco-lite's size. A reachable reflect call
// that looks methods up by a computed name (Value.MethodByName(name),
// Value.Method(i), …) makes the Go linker keep every exported method of every
// reachable type: 1.7 MB of this binary when kong did it (third_party/kong has
// the patch). The linker's -dumpdep output marks such functions <ReflectMethod>.
func TestNoReflectMethodLookup(t *testing.T) {
	if testing.Short() {
		t.Skip("links synco-lite")
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-dumpdep", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%.2000s", err, out)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if i := strings.Index(line, " <ReflectMethod>"); i >= 0 {
			from := line[:i]
			if j := strings.LastIndex(from, " -> "); j >= 0 {
				from = from[j+4:]
			}
			seen[from] = true
		}
	}
	for fn := range seen {
		t.Errorf("%s looks up methods by reflection: the linker keeps every exported method", fn)
	}
}

// TestNoDestinationPackages: synco-lite goes onto servers; it links none of the
// destination's packages (what a fetch does is no business of the source, and
// every package linked is code a compromised server could reach).
func TestNoDestinationPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		switch pkg := strings.TrimSpace(line); pkg {
		case "synco/fetch":
			t.Errorf("synco-lite links %s", pkg)
		}
	}
}
