package cli

import (
	"slices"
	"testing"
	"time"

	"synco/httpsrv"
)

// A fetch is logged once its client read the Ready root and went quiet: per
// client IP (a fetch uses several connections), with bytes, requests and time;
// polls before Ready count, a client still downloading or never seeing Ready
// is not logged.
func TestFetchLog(t *testing.T) {
	ready := false
	l := newFetchLog(func() bool { return ready })
	t0 := time.Date(2025, 3, 1, 14, 2, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	req := func(ms int, remote string, root bool, bytes int64) {
		l.request(httpsrv.Request{Remote: remote}, at(ms))
		l.request(httpsrv.Request{Remote: remote, Root: root, Status: 200, Bytes: bytes, Done: true}, at(ms+10))
	}
	req(0, "127.0.0.1:50000", true, 300) // polling while the source prepares
	req(500, "127.0.0.1:50000", true, 300)
	req(600, "10.0.0.9:41000", true, 300) // another client that only polls
	ready = true
	req(1000, "127.0.0.1:50000", true, 1200)
	req(1100, "127.0.0.1:50001", false, 4_000_000) // parallel ranges on other connections
	req(1100, "127.0.0.1:50002", false, 4_000_000)
	l.request(httpsrv.Request{Remote: "127.0.0.1:50003"}, at(1200)) // a long range, in flight
	if got := linesOf(l.finished("synco-lite", at(9000))); got != nil {
		t.Errorf("logged while a request is in flight: %q", got)
	}
	l.request(httpsrv.Request{Remote: "127.0.0.1:50003", Status: 206, Bytes: 2_000_000, Done: true}, at(9000))
	if got := linesOf(l.finished("synco-lite", at(11000))); got != nil {
		t.Errorf("logged after 2 s of quiet: %q", got)
	}
	want := []string{"synco-lite: 127.0.0.1 fetched 10.0 MB (6 requests) in 9.0 s, done at 14:02:09"}
	if got := linesOf(l.finished("synco-lite", at(12000))); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := linesOf(l.finished("synco-lite", at(13000))); got != nil {
		t.Errorf("logged twice: %q", got)
	}
	// The same client fetches again: a new line.
	req(20000, "127.0.0.1:50010", true, 1200)
	want = []string{"synco-lite: 127.0.0.1 fetched 1.2 kB (1 request) in 0.0 s, done at 14:02:20"}
	if got := linesOf(l.finished("synco-lite", at(24000))); !slices.Equal(got, want) {
		t.Errorf("second fetch: got %q, want %q", got, want)
	}
	if len(l.clients) != 1 {
		t.Errorf("clients %v: want the polling one kept for a minute", l.clients)
	}
	linesOf(l.finished("synco-lite", at(70000)))
	if len(l.clients) != 0 {
		t.Errorf("clients %v: want none after a minute", l.clients)
	}
}

// A fetch that shows its plan and waits at its prompt longer than fetchIdle
// downloads later without reading the root again: that download is logged
// too, as a line of its own, and not as a new fetch; requests that fail after
// it (the publication gone) or come after fetchContinues are not.
func TestFetchLogContinued(t *testing.T) {
	l := newFetchLog(func() bool { return true })
	t0 := time.Date(2025, 3, 1, 14, 2, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	req := func(ms int, remote string, root bool, status int, bytes int64) {
		l.request(httpsrv.Request{Remote: remote}, at(ms))
		l.request(httpsrv.Request{Remote: remote, Root: root, Status: status, Bytes: bytes, Done: true}, at(ms+10))
	}
	// The plan: the root, then the manifest's ranges.
	req(0, "127.0.0.1:50000", true, 200, 1200)
	req(20, "127.0.0.1:50001", false, 206, 28_000)
	want := []string{"synco-lite: 127.0.0.1 fetched 29.2 kB (2 requests) in 0.0 s, done at 14:02:00"}
	if got := linesOf(l.finished("synco-lite", at(4000))); !slices.Equal(got, want) {
		t.Fatalf("plan: got %q, want %q", got, want)
	}
	// The user answers after 5 s: the download, on the same connections.
	req(5000, "127.0.0.1:50001", false, 206, 4_000_000)
	req(5000, "127.0.0.1:50000", false, 206, 3_000_000)
	if got := linesOf(l.finished("synco-lite", at(7000))); got != nil {
		t.Errorf("logged after 2 s of quiet: %q", got)
	}
	want = []string{"synco-lite: 127.0.0.1 fetched 7.0 MB (2 requests) in 0.0 s, done at 14:02:05"}
	if got := linesOf(l.finished("synco-lite", at(9000))); !slices.Equal(got, want) {
		t.Errorf("download: got %q, want %q", got, want)
	}
	// Failing requests after it are no fetch.
	req(10000, "127.0.0.1:50002", false, 404, 19)
	if got := linesOf(l.finished("synco-lite", at(14000))); got != nil {
		t.Errorf("404s logged: %q", got)
	}
	linesOf(l.finished("synco-lite", at(80000)))
	// Pack reads an hour after the last line continue nothing.
	req(int(fetchContinues/time.Millisecond)+10000, "127.0.0.1:50003", false, 206, 1000)
	if got := linesOf(l.finished("synco-lite", at(int(fetchContinues/time.Millisecond)+20000))); got != nil {
		t.Errorf("logged an hour later: %q", got)
	}
}

// linesOf is the lines of fetchLog.finished.
func linesOf(lines []string, _ bool) []string { return lines }

// Only a destination that says its fetch finished ends --once: one that read
// the plan and waits at its prompt (or a --dry-run) is logged after the quiet
// time, and does not; its download later, then its word, does, logged at once.
func TestFetchLogFinished(t *testing.T) {
	l := newFetchLog(func() bool { return true })
	t0 := time.Date(2025, 3, 1, 14, 2, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	req := func(ms int, r httpsrv.Request) {
		l.request(httpsrv.Request{Remote: r.Remote}, at(ms))
		r.Done = true
		l.request(r, at(ms+10))
	}
	req(0, httpsrv.Request{Remote: "127.0.0.1:50000", Root: true, Status: 200, Bytes: 1200})
	req(100, httpsrv.Request{Remote: "127.0.0.1:50001", Status: 206, Bytes: 28_000}) // the manifest
	if lines, done := l.finished("synco-lite", at(5000)); len(lines) != 1 || done {
		t.Errorf("plan read: %q, done %v; want a line, not done", lines, done)
	}
	req(9000, httpsrv.Request{Remote: "127.0.0.1:50002", Status: 206, Bytes: 7_000_000}) // the user said yes
	req(9500, httpsrv.Request{Remote: "127.0.0.1:50003", Finished: true, Status: 200})
	want := []string{"synco-lite: 127.0.0.1 fetched 7.0 MB (2 requests) in 0.5 s, done at 14:02:09"}
	if lines, done := l.finished("synco-lite", at(9600)); !slices.Equal(lines, want) || !done {
		t.Errorf("download, then finished: %q, done %v; want %q, done", lines, done, want)
	}
	// The word alone, after the download was logged: done, without a line
	// of "0 B (1 request)".
	req(20000, httpsrv.Request{Remote: "127.0.0.1:50009", Status: 206, Bytes: 1_000_000})
	if lines, done := l.finished("synco-lite", at(24000)); len(lines) != 1 || done {
		t.Errorf("download logged after the quiet time: %q, done %v", lines, done)
	}
	req(25000, httpsrv.Request{Remote: "127.0.0.1:50010", Finished: true, Status: 200})
	if lines, done := l.finished("synco-lite", at(25100)); len(lines) != 0 || !done {
		t.Errorf("the word alone: %q, done %v; want no line, done", lines, done)
	}
}

// --ttl waits for a destination that is downloading: one with a request in
// flight, or active within the quiet time, that has not said it finished;
// not one that waits at its question, or is done.
func TestFetchLogDownloading(t *testing.T) {
	l := newFetchLog(func() bool { return true })
	t0 := time.Date(2025, 3, 1, 14, 2, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l.request(httpsrv.Request{Remote: "10.0.0.2:1"}, at(0))
	l.request(httpsrv.Request{Remote: "10.0.0.2:1", Root: true, Status: 200, Done: true}, at(10))
	l.request(httpsrv.Request{Remote: "10.0.0.2:2"}, at(100)) // a range in flight
	if got := l.downloading(at(60000)); got != "10.0.0.2" {
		t.Errorf("a range in flight: %q", got)
	}
	l.request(httpsrv.Request{Remote: "10.0.0.2:2", Status: 206, Bytes: 1 << 20, Done: true}, at(61000))
	if got := l.downloading(at(62000)); got != "10.0.0.2" {
		t.Errorf("1 s after the last range: %q, want still downloading", got)
	}
	if got := l.downloading(at(61000 + int(fetchIdle/time.Millisecond) + 1)); got != "" {
		t.Errorf("quiet (at its question, or gone): %q", got)
	}
	l.request(httpsrv.Request{Remote: "10.0.0.2:3"}, at(70000))
	l.request(httpsrv.Request{Remote: "10.0.0.2:3", Finished: true, Status: 200, Done: true}, at(70010))
	if got := l.downloading(at(70020)); got != "" {
		t.Errorf("said it finished: %q", got)
	}
}
