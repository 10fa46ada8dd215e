package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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

// The summary keeps the lines scripts and users know and adds the time, the
// speed and which database holds what. "The database … holds the published
// data" is true of a full import, a delta and a database found unchanged (it
// said "installed the database" after "nothing to do").
func TestFetchSummaryLines(t *testing.T) {
	var b strings.Builder
	for _, s := range []fetchSummary{
		{prog: "synco", to: "./sync", stats: &fetch.Stats{
			FilesWritten: 35, BytesWritten: 1_600_000, BytesDownloaded: 1_700_000, ChunksTotal: 40, DurationMS: 420,
		}},
		{prog: "synco", to: "./sync", download: 18 * time.Second, stats: &fetch.Stats{
			FilesWritten: 2, BytesWritten: 4000, FilesUnchanged: 33, FilesDeleted: 1,
			BytesDownloaded: 332_000_000, ChunksTotal: 900, ChunksFromCache: 12, ChunksSpliced: 3, DurationMS: 21_300,
		}},
		{prog: "synco", db: dbName("mysql://app:s3cret@127.0.0.1:3306/app_dev?tls=false"), stats: &fetch.Stats{
			BytesDownloaded: 90_000_000, ChunksTotal: 300, DurationMS: 95_000,
			Dumps: []fetch.Dump{{Prefix: "db", Engine: "mysql", Tables: 12}},
		}},
		{prog: "synco", to: "/home/dev/site", db: "postgres://dev@localhost/site", download: 500 * time.Millisecond, stats: &fetch.Stats{
			FilesUnchanged: 300, BytesDownloaded: 9000, ChunksTotal: 300, ChunksFromCache: 299, DurationMS: 800,
			Dumps: []fetch.Dump{{Prefix: "db", Engine: "postgres"}},
		}},
		{prog: "synco", db: dbName("not a url"), stats: &fetch.Stats{DurationMS: 4_000_000}},
		// everything was in the cache: what was downloaded is said (the plan
		// said "download nothing")
		{prog: "synco", to: "./sync", stats: &fetch.Stats{
			FilesUnchanged: 5, BytesDownloaded: 5_400, ChunksTotal: 12, ChunksFromCache: 12, DurationMS: 100,
		}},
		// --only db into a project: no "wrote 0 files"
		{prog: "synco", to: "/home/dev/site", db: "mysql://root@127.0.0.1/site", dbOnly: true, stats: &fetch.Stats{
			BytesDownloaded: 2_000_000, ChunksTotal: 30, DurationMS: 900, Dumps: []fetch.Dump{{Prefix: "db", Engine: "mysql", Tables: 3}},
		}},
		// --to without a database: where the dump went, and how it loads; files from local copies
		{prog: "synco", to: "./out", sqlFiles: []fetch.Dump{{Prefix: "db", Engine: "mysql"}}, stats: &fetch.Stats{
			FilesWritten: 3, BytesWritten: 23_600, BytesDownloaded: 30_000, ChunksTotal: 445, ChunksFromCache: 437, ChunksLocal: 437, DurationMS: 300,
			Dumps: []fetch.Dump{{Prefix: "db", Engine: "mysql"}},
		}},
		{prog: "synco", to: "./sync", download: 50 * time.Second, stats: &fetch.Stats{ // a cold fetch that downloaded ahead
			BytesDownloaded: 141_000_000, AheadBytes: 25_000_000, ChunksTotal: 21_000, DurationMS: 62_000,
		}},
		// The user took 5 s to answer: not the fetch's time, and no rate over a
		// download too short to tell (it was 27.5 kB/s over the whole).
		{prog: "synco", to: "/home/dev/site", download: 200 * time.Millisecond, asked: 5 * time.Second, stats: &fetch.Stats{
			FilesWritten: 2, BytesWritten: 200_000, BytesDownloaded: 214_700, ChunksTotal: 43, DurationMS: 7_800,
		}},
		{prog: "synco", to: "/home/dev/site", download: 4 * time.Second, asked: 9 * time.Second, stats: &fetch.Stats{
			BytesDownloaded: 40_000_000, AheadBytes: 12_000_000, ChunksTotal: 4_000, DurationMS: 15_000,
		}},
		// Almost everything came from the cache: no rate over a few kB, which
		// said "at 4.6 kB/s" and "at 513 B/s"; from 1 MB on, a rate.
		{prog: "synco", to: "./sync", download: 2 * time.Second, stats: &fetch.Stats{
			FilesWritten: 1, BytesWritten: 9000, FilesUnchanged: 1, BytesDownloaded: 9000, ChunksTotal: 300, ChunksFromCache: 298, ChunksSpliced: 1, DurationMS: 2_000,
		}},
		{prog: "synco", db: "mysql://app@127.0.0.1/app", download: 8 * time.Second, stats: &fetch.Stats{
			BytesDownloaded: 4_500, ChunksTotal: 120, ChunksFromCache: 119, DurationMS: 8_800,
			Dumps: []fetch.Dump{{Prefix: "db", Engine: "mysql", Tables: 1}},
		}},
		// A partial sync (--tables posts): the rows of the selected tables only
		// (it said "installed the database … (rows of 6 tables)").
		{prog: "synco", to: "/home/dev/site", db: "mysql://root@127.0.0.1:3306/app", partial: true, selected: []string{"posts"}, published: 6, stats: &fetch.Stats{
			FilesUnchanged: 1, BytesDownloaded: 252, ChunksTotal: 7, ChunksFromCache: 7, DurationMS: 100,
			Dumps: []fetch.Dump{{Prefix: "db", Engine: "mysql", Tables: 6}},
		}},
		{prog: "synco", db: "postgres://dev@localhost/site", partial: true, published: 3, stats: &fetch.Stats{
			DurationMS: 100, Dumps: []fetch.Dump{{Prefix: "db", Engine: "postgres", Tables: 3}},
		}},
		{prog: "synco", to: "./sync", download: 2 * time.Second, stats: &fetch.Stats{
			BytesDownloaded: 999_999, ChunksTotal: 10, DurationMS: 2_000,
		}},
		{prog: "synco", to: "./sync", download: 2 * time.Second, stats: &fetch.Stats{
			BytesDownloaded: 1_000_000, ChunksTotal: 10, DurationMS: 2_000,
		}},
	} {
		for _, l := range s.lines() {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	out := b.String()
	if strings.Contains(out, "s3cret") {
		t.Fatal("the summary shows a password")
	}
	golden(t, "summary.golden", out)
}

// The fetch's reports map to one view: a retry is a note on the phase it
// interrupts, the source's phase text is cleaned.
func TestFetchViewReports(t *testing.T) {
	var out bytes.Buffer
	v := newFetchView(cli.NewProgress(&out, "synco")) // not a terminal
	for _, c := range []struct {
		p    fetch.Progress
		want string
	}{
		{fetch.Progress{Phase: "retrying", Attempt: 1, Reason: "unreachable"}, "source unreachable, retrying (attempt 2)…"},
		{fetch.Progress{Phase: "retrying", Attempt: 2, Reason: "stalled"}, "source stalled, retrying (attempt 3)…"},
		{fetch.Progress{Phase: "retrying", Attempt: 1, Reason: "error"}, "source answered with an error, retrying (attempt 2)…"},
		{fetch.Progress{Phase: "retrying", Attempt: 4, Reason: "lost"}, "connection to the source lost, retrying (attempt 5)…"},
		{fetch.Progress{Phase: "waiting", SourcePhase: "dump\x1b[2J"}, "waiting for the source: dump\\x1b[2J"},
		{fetch.Progress{Phase: "retrying", Attempt: 1, Reason: "unreachable"}, "source unreachable, retrying (attempt 2)…; waiting for the source: dump\\x1b[2J"},
		{fetch.Progress{Phase: "waiting", SourcePhase: "reading", Done: 30_000_000, Ahead: 8_400_000}, "waiting for the source: reading 30.0 MB; 8.4 MB of its finished packs downloaded meanwhile"},
		{fetch.Progress{Phase: "write"}, "write the files into place"},
	} {
		v.report(c.p)
		if got := v.v.Status().Line(true); got != c.want {
			t.Errorf("after %+v: %q, want %q", c.p, got, c.want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("a short fetch printed progress lines:\n%s", out.String())
	}
}

// A pull shows the warnings its agent wrote (what looks personal, what the copy
// lacks), which only the source's terminal showed: the warning lines and the
// indented ones after them, nothing else.
func TestSourceWarnings(t *testing.T) {
	stderr := "synco-lite: detected wordpress in /srv/www\n" +
		"synco-lite: scrubbed 2 columns:\n" +
		"synco-lite:   wp_users.user_email=email\n" +
		"synco-lite: warning: 1 column looks personal but has no scrub rule (add --scrub TABLE.COLUMN=RULE or scrub: in .synco.yml; RULE keep silences this):\n" +
		"synco-lite:   wp_x.phone: name looks like a phone number\n" +
		"synco-lite: warning: the copy lacks what synco does not dump:\n" +
		"synco-lite:   row-level security of public.r (1 policy): the copy has none, so every role sees every row\n" +
		"synco-lite:   \x1b]0;owned\x07\x1b[2Jcleared\n" + // a hostile source's terminal text
		"synco-lite: ready: 6 entries, 1.5 kB in 6 chunks; sealed 7 new chunks\n" +
		"synco-lite:   not a continuation\n"
	want := []string{
		"warning: 1 column looks personal but has no scrub rule (add --scrub TABLE.COLUMN=RULE or scrub: in .synco.yml; RULE keep silences this):",
		"  wp_x.phone: name looks like a phone number",
		"warning: the copy lacks what synco does not dump:",
		"  row-level security of public.r (1 policy): the copy has none, so every role sees every row",
		"  " + cli.Clean("\x1b]0;owned\x07\x1b[2Jcleared"),
	}
	for _, l := range sourceWarnings(stderr) {
		if strings.ContainsAny(l, "\x1b\x07") {
			t.Errorf("a warning keeps control bytes: %q", l)
		}
	}
	if got := sourceWarnings(stderr); !slices.Equal(got, want) {
		t.Errorf("sourceWarnings:\n%q\nwant\n%q", got, want)
	}
}
