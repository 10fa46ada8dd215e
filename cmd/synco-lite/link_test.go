package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

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
