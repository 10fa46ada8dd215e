// Package testenv finds what tests need from outside the repository: the real
// sample databases in shared/realdata (see its README), which sit beside the
// checkout — as in CI, where a copy of shared/ lies next to the clone.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RealData returns the directory shared/realdata/<name> (e.g. "sakila"), found from
// $SYNCO_REALDATA or by walking up from the working directory (or from the local
// repository this checkout was cloned from). Without it the test
// is skipped with a message, or fails when CI=true: a missing data set must never
// turn a round-trip test into a silent pass.
func RealData(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("SYNCO_REALDATA"); dir != "" {
		return filepath.Join(dir, name)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// Above the working directory, or above the repository this checkout was
	// cloned from when that is a local directory (a clean clone in /tmp).
	starts := []string{wd}
	if out, err := exec.Command("git", "-C", wd, "config", "--get", "remote.origin.url").Output(); err == nil {
		if origin := strings.TrimSpace(string(out)); filepath.IsAbs(origin) {
			starts = append(starts, origin)
		}
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			p := filepath.Join(d, "shared", "realdata", name)
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return p
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	msg := "shared/realdata/" + name + " not found above " + strings.Join(starts, " or ") + " (set SYNCO_REALDATA to the realdata directory)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Require skips the test when err says a service it needs (what, with how to start
// it) is unavailable — or, with CI=true, fails it: in CI a missing server is an
// error, never a skip.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := what + " is not reachable (" + err.Error() + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI needs it")
	}
	t.Skip(msg + ": start it (scripts/test.sh does) to run this test")
}

// BenchStream returns the file named by $SYNCO_BENCH_STREAM (a large dump, e.g.
// bench/gen's day-2 SQL, for in-process profiles of publish and fetch) and sets
// b's byte count to its size. Without it the benchmark is skipped.
func BenchStream(b *testing.B) string {
	b.Helper()
	src := os.Getenv("SYNCO_BENCH_STREAM")
	if src == "" {
		b.Skip("set SYNCO_BENCH_STREAM to a dump file")
	}
	fi, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	return src
}
