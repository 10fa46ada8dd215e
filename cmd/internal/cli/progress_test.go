package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) at(d time.Duration) bool { c.t = time.Unix(1_700_000_000, 0).Add(d); return true }

const mb = 1_000_000

// Without a terminal: a line every LineEvery, a note at once (once), nothing
// in a short command, and rates only over a window of at least a second.
func TestProgressLines(t *testing.T) {
	var c clock
	c.at(0)
	var out bytes.Buffer
	p := newProgress(&out, "synco", false, c.now)
	s := func(d time.Duration, phase string, done, total int64) {
		c.at(d)
		p.Set(phase, done, total)
	}
	n := func(d time.Duration, note string) {
		c.at(d)
		p.Note(note)
	}
	s(500*time.Millisecond, "waiting for the source: database", 0, 0)
	n(1*time.Second, "source unreachable, retrying (attempt 2)…") // no line yet: it may pass
	n(2*time.Second, "source unreachable, retrying (attempt 3)…")
	n(5500*time.Millisecond, "source unreachable, retrying (attempt 4)…") // 4.5 s: no line
	n(6500*time.Millisecond, "source unreachable, retrying (attempt 5)…") // 5.5 s: a line
	s(7*time.Second, "waiting for the source: database", 10*mb, 200*mb)
	s(12*time.Second, "waiting for the source: database", 60*mb, 200*mb) // a line: 5.5 s after the last
	s(13*time.Second, "download", 0, 332*mb)
	s(13100*time.Millisecond, "download", 30*mb, 332*mb) // a jump in 0.1 s: no rate yet
	if r := p.Status().Rate; r != 0 {
		t.Errorf("rate after 0.1 s: %.0f B/s, want none yet", r)
	}
	s(17*time.Second, "download", 60*mb, 332*mb) // a line: 5 s after the last
	s(18*time.Second, "download", 80*mb, 332*mb) // 1 s after: no line
	for i := 1; i <= 20; i++ {
		s(18*time.Second+time.Duration(i)*time.Second, "download", int64(80+12*i)*mb, 332*mb)
	}
	n(38500*time.Millisecond, "connection to the source lost, retrying (attempt 2)…") // young: no line
	s(39*time.Second, "import", 100*mb, 400*mb)
	s(44*time.Second, "import", 100*mb, 400*mb) // stuck: the rate falls
	s(48*time.Second, "write", -1, 0)
	s(55*time.Second, "write", -1, 0)
	p.Finish()
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("control characters in non-terminal output: %q", out.String())
	}
	golden(t, "progress-lines.golden", out.String())
}

func TestStatusLine(t *testing.T) {
	var b strings.Builder
	for _, s := range []Status{
		{Phase: "manifest"},
		{Phase: "write", Done: -1},
		{Phase: "download", Done: 120_400_000, Total: 332 * mb, Rate: 18_200_000},
		{Phase: "download", Done: 120_400_000, Total: 332 * mb},
		{Phase: "download", Done: 332 * mb, Total: 332 * mb, Rate: 18_200_000},
		{Phase: "download", Done: 5, Total: 0, Rate: 1},
		{Phase: "import", Done: 1, Total: 3 * 1000 * 1000 * mb, Rate: 500_000},
		{Phase: "download", Done: 120_400_000, Total: 332 * mb, Rate: 18_200_000, Note: "source stalled, retrying (attempt 2)…"},
		{Phase: "waiting for the source: reading", Done: 72_900_000, Total: 64_500_000, Rate: 11_500_000}, // a total the source outgrew
		{Phase: "waiting for the source: reading", Done: 30_000_000, Rate: 9_000_000, Detail: "8.4 MB of its finished packs downloaded meanwhile"},
	} {
		fmt.Fprintf(&b, "%s\n%s\n", s.Line(true), s.Line(false))
	}
	golden(t, "status-line.golden", b.String())
}

func TestFormatLeft(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0 s"},
		{400 * time.Millisecond, "0.4 s"},
		{9940 * time.Millisecond, "9.9 s"},
		{10 * time.Second, "10 s"},
		{59 * time.Second, "59 s"},
		{time.Minute, "1 min"},
		{200 * time.Second, "3 min 20 s"},
		{599 * time.Second, "9 min 59 s"},
		{599600 * time.Millisecond, "10 min"},
		{10 * time.Minute, "10 min"},
		{59*time.Minute + 40*time.Second, "60 min"},
		{time.Hour, "1 h"},
		{65 * time.Minute, "1 h 5 min"},
	} {
		if got := FormatLeft(tt.d); got != tt.want {
			t.Errorf("FormatLeft(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// On a terminal: one bar, whose text is the status line.
func TestProgressBarOnTerminal(t *testing.T) {
	var c clock
	c.at(0)
	var out bytes.Buffer
	p := newProgress(&out, "synco", true, c.now)
	p.throttle = 0 // draw every update
	p.Set("download", 0, 332*mb)
	c.at(2 * time.Second)
	p.Set("download", 40*mb, 332*mb)
	c.at(2500 * time.Millisecond)
	p.Set("import", 300*mb, 400*mb) // a new phase starting high: no rate yet
	p.Finish()
	s := out.String()
	if !strings.Contains(s, "download 40.0 MB of 332.0 MB, 20.0 MB/s, 15 s left") || !strings.Contains(s, "import 300.0 MB of 400.0 MB") {
		t.Errorf("terminal output lacks the status lines:\n%q", s)
	}
	if strings.Contains(s, "GB/s") || strings.Contains(s, "import 300.0 MB of 400.0 MB,") {
		t.Errorf("a rate from a jump:\n%q", s)
	}
}
