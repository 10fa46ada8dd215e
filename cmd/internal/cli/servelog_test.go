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
	if got := l.finished("synco-lite", at(9000)); got != nil {
		t.Errorf("logged while a request is in flight: %q", got)
	}
	l.request(httpsrv.Request{Remote: "127.0.0.1:50003", Status: 206, Bytes: 2_000_000, Done: true}, at(9000))
	if got := l.finished("synco-lite", at(11000)); got != nil {
		t.Errorf("logged after 2 s of quiet: %q", got)
	}
	want := []string{"synco-lite: 127.0.0.1 fetched 10.0 MB (6 requests) in 9.0 s, done at 14:02:09"}
	if got := l.finished("synco-lite", at(12000)); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := l.finished("synco-lite", at(13000)); got != nil {
		t.Errorf("logged twice: %q", got)
	}
	// The same client fetches again: a new line.
	req(20000, "127.0.0.1:50010", true, 1200)
	want = []string{"synco-lite: 127.0.0.1 fetched 1.2 kB (1 request) in 0.0 s, done at 14:02:20"}
	if got := l.finished("synco-lite", at(24000)); !slices.Equal(got, want) {
		t.Errorf("second fetch: got %q, want %q", got, want)
	}
	if len(l.clients) != 1 {
		t.Errorf("clients %v: want the polling one kept for a minute", l.clients)
	}
	l.finished("synco-lite", at(70000))
	if len(l.clients) != 0 {
		t.Errorf("clients %v: want none after a minute", l.clients)
	}
}
