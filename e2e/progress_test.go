package e2e_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPublisherLogsFetchesAndStopsOnce: the publisher names the URL it serves
// (without the secret path), logs the fetch it served (client, bytes,
// requests, time) and, with --once, stops by itself after it, removing what
// it published. The fetch's summary says how long it took.
func TestPublisherLogsFetchesAndStopsOnce(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeApp(t, src, 1)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir(), "--once")...)
	base := pub.parsed().URL
	u := strings.TrimSuffix(base, "/"+pub.prefix())
	waitFor(t, 10*time.Second, "the publisher to name the URL "+u, func() bool {
		return strings.Contains(pub.stderr.String(), "synco-lite: serving "+u+" (the token carries the rest)\n")
	})
	if strings.Contains(pub.stderr.String(), pub.prefix()) {
		t.Errorf("publisher's stderr shows the secret path:\n%s", pub.stderr.String())
	}
	// stdout is not a terminal: the advice points there ("run:" and nothing)
	if !strings.Contains(pub.stderr.String(), "synco-lite: on the destination, run the synco fetch command written to standard output\n") {
		t.Errorf("publisher's stderr does not say where the command is:\n%s", pub.stderr.String())
	}
	// A fetch that only shows its plan (a --dry-run, or one whose user
	// waits at the prompt) does not end --once, however long it waits.
	cache := t.TempDir()
	if r := fetch(t, pub.token, filepath.Join(t.TempDir(), "sync"), cache, "--dry-run"); r.code != 0 {
		t.Fatalf("fetch --dry-run: exit %d\n%s", r.code, r.stderr)
	}
	time.Sleep(5 * time.Second) // more than the 3 s of quiet after which a fetch is logged
	if pub.exited() {
		t.Fatalf("publish --once stopped after a --dry-run:\n%s", pub.stderr.String())
	}
	r := fetch(t, pub.token, filepath.Join(t.TempDir(), "sync"), cache)
	if r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`\nsynco: done in [0-9.]+ s: downloaded [0-9.]+ MB`).MatchString("\n" + r.stderr) {
		t.Errorf("fetch summary lacks the time:\n%s", r.stderr)
	}
	// --once: the publisher stops by itself after the fetch said it finished.
	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("publish --once: exit %d, want 0 after the fetch\n%s", code, pub.stderr.String())
	}
	if !strings.Contains(pub.stderr.String(), "then everything published is removed (the encrypted store the next publish starts from stays in ") {
		t.Errorf("publisher's stderr does not say that its store stays:\n%s", pub.stderr.String())
	}
	log := regexp.MustCompile(`\nsynco-lite: 127\.0\.0\.1 fetched ([0-9.]+) MB \([0-9]+ requests\) in [0-9.]+ s, done at [0-9:]{8}\n`)
	if !log.MatchString(pub.stderr.String()) || !strings.Contains(pub.stderr.String(), "--once: a destination fetched the publication") {
		t.Errorf("publisher's log lacks the fetch:\n%s", pub.stderr.String())
	}
}
