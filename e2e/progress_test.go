package e2e_test

import (
	"net"
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
	if !strings.Contains(pub.stderr.String(), "synco-lite: serving "+u+" (the token carries the rest)\n") {
		t.Errorf("publisher does not name the URL %s:\n%s", u, pub.stderr.String())
	}
	if strings.Contains(pub.stderr.String(), pub.prefix()) {
		t.Errorf("publisher's stderr shows the secret path:\n%s", pub.stderr.String())
	}
	r := fetch(t, pub.token, filepath.Join(t.TempDir(), "sync"), t.TempDir())
	if r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`\nsynco: done in [0-9.]+ s: downloaded [0-9.]+ MB`).MatchString("\n" + r.stderr) {
		t.Errorf("fetch summary lacks the time:\n%s", r.stderr)
	}
	// --once: the publisher stops by itself a few seconds after the fetch.
	if code := pub.wait(30 * time.Second); code != 0 {
		t.Fatalf("publish --once: exit %d, want 0 after the fetch\n%s", code, pub.stderr.String())
	}
	log := regexp.MustCompile(`\nsynco-lite: 127\.0\.0\.1 fetched ([0-9.]+) MB \([0-9]+ requests\) in [0-9.]+ s, done at [0-9:]{8}\n`)
	if !log.MatchString(pub.stderr.String()) || !strings.Contains(pub.stderr.String(), "--once: a destination fetched the publication") {
		t.Errorf("publisher's log lacks the fetch:\n%s", pub.stderr.String())
	}
}

// TestFetchSaysItRetries: while the source does not answer, synco fetch says
// so (without a terminal, as plain lines) instead of staying silent.
func TestFetchSaysItRetries(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	makeApp(t, src, 1)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	defer pub.stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port with nobody answering
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tok := withURL(t, pub.token, "http://"+addr+"/"+pub.prefix())
	r := fetch(t, tok, filepath.Join(t.TempDir(), "sync"), t.TempDir())
	if r.code == 0 {
		t.Fatalf("fetch from a closed port succeeded:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "synco: source unreachable, retrying (attempt 2)…\n") || strings.ContainsAny(r.stderr, "\r\x1b") {
		t.Errorf("fetch does not say it retries, as a plain line:\n%s", r.stderr)
	}
}
