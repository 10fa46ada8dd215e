package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/install"
)

// The plan's database line, the partial sync's note and the tables question
// say what a full and a partial sync do, in text: a partial sync replaces the
// rows of the selected tables only (the plan said "replace the database with
// the published dump"), lists are comma-separated without empty parts (it
// printed "--tables [posts], except []"), and the question's example comes
// from the publication's tables (it gave WordPress's to every project).
func TestPlanTexts(t *testing.T) {
	var b strings.Builder
	d := fetch.Dump{Prefix: "db", Engine: "mysql"}
	names := []string{"cache_locks", "migrations", "posts", "users"}
	b.WriteString("# dbLine\n")
	for _, sel := range []install.Tables{{}, {Include: []string{"posts"}}, {Include: []string{"p*", "u*"}, Exclude: []string{"users"}}, {Exclude: []string{"cache*"}}, {Include: []string{"nosuch"}}} {
		for _, exists := range []int{1, 0, -1} {
			db := localDB{name: "mysql://app@127.0.0.1:3306/app", engine: "mysql", exists: exists, tables: sel}
			fmt.Fprintf(&b, "tables %q except %q, exists=%d: %s\n", strings.Join(sel.Include, " "), strings.Join(sel.Exclude, " "), exists, dbLine(d, db, 2_000_000, names))
		}
	}
	b.WriteString("\n# partialNote\n")
	for _, sel := range []TableFlags{{}, {Tables: []string{"posts"}}, {Tables: []string{"posts", "wp_post*"}}, {ExcludeTables: []string{"cache_*"}}, {Tables: []string{"p*"}, ExcludeTables: []string{"posts_old", "x"}}} {
		fmt.Fprintf(&b, "%q\n", partialNote(sel))
	}
	b.WriteString("\n# tablesQuestion\n")
	for _, names := range [][]string{nil, {"posts"}, {"migrations", "posts", "users"}} {
		fmt.Fprintf(&b, "%s\n", tablesQuestion(names))
	}
	out := b.String()
	if strings.Contains(out, "[") || strings.Contains(out, "wp_post*'") {
		t.Errorf("Go slice syntax or a shell-quoted example in the texts:\n%s", out)
	}
	golden(t, "plan.golden", out)
}

// The answers to the questions: y, s and n (and their words) are understood,
// Enter is the default, anything else is not understood and asked again (it
// was taken for No; "no" at a [Y/n] question was taken for Yes).
func TestPromptAnswers(t *testing.T) {
	for _, c := range []struct {
		a      string
		parse  func(string) (string, bool)
		want   string
		wantOK bool
	}{
		{"", continueAnswer, "n", true},
		{"y", continueAnswer, "y", true},
		{"yes", continueAnswer, "y", true},
		{"s", continueAnswer, "s", true},
		{"select", continueAnswer, "s", true},
		{"n", continueAnswer, "n", true},
		{"no", continueAnswer, "n", true},
		{"maybe", continueAnswer, "", false},
		{"ja", continueAnswer, "", false},
		{"", yesNo, "y", true},
		{"y", yesNo, "y", true},
		{"yes", yesNo, "y", true},
		{"n", yesNo, "n", true},
		{"no", yesNo, "n", true},
		{"perhaps", yesNo, "", false},
	} {
		if got, ok := c.parse(c.a); got != c.want || ok != c.wantOK {
			t.Errorf("answer %q: %q, %v; want %q, %v", c.a, got, ok, c.want, c.wantOK)
		}
	}
}

// An answer that is not understood is asked again, at most maxAsks times,
// then the fetch stops; the end of the input is the default answer.
func TestAskAgain(t *testing.T) {
	for _, c := range []struct {
		input, want string
		err         error
		asked       int
	}{
		{"maybe\ny\n", "y", nil, 2},
		{"maybe\nperhaps\n\n", "n", nil, 3},
		{"maybe\nperhaps\nwhat\ny\n", "", errNotUnderstood, 3},
		{"", "n", nil, 1},
		{"y", "y", nil, 1}, // typed, then Ctrl-D
	} {
		var stderr bytes.Buffer
		q := &questions{env: &cli.Env{Ctx: t.Context(), Prog: "synco", Stderr: &stderr}, in: newLineReader(strings.NewReader(c.input))}
		got, err := q.ask("continue? [y]es, [s]elect what to sync, [N]o:", "y, s or n", continueAnswer)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("input %q: %q, %v; want %q, %v", c.input, got, err, c.want, c.err)
		}
		if n := strings.Count(stderr.String(), "continue?"); n != c.asked {
			t.Errorf("input %q: asked %d times, want %d:\n%s", c.input, n, c.asked, stderr.String())
		}
	}
}

// Ctrl-C while a question waits for its answer ends the wait: the read
// returns the context's error (it blocked in the read until Enter).
func TestLineReaderInterrupted(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	lr := newLineReader(r)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	done := make(chan error, 1)
	go func() { _, err := lr.read(ctx); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read after the interrupt: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read did not return after the interrupt")
	}
	// The read in flight is not lost: the next read gets its line.
	w.WriteString("y\n")
	if line, err := lr.read(t.Context()); line != "y\n" || err != nil {
		t.Errorf("next read: %q, %v", line, err)
	}
}

// --json prints one object in every case: after a run, and also after a dry
// run (it printed nothing), with "plan" then; synco pull adds its upload. The
// names of the fields are a contract.
func TestFetchJSON(t *testing.T) {
	stats := &fetch.Stats{BytesDownloaded: 300, ChunksTotal: 4, ChunksFromCache: 4}
	for _, c := range []struct {
		cmd       FetchCmd
		want, not []string
	}{
		{FetchCmd{}, []string{`"bytes_downloaded":300`, `"chunks_total":4`, `"chunks_downloaded":0`, `"files_written":0`}, []string{"agent_upload_bytes", "plan"}},
		{FetchCmd{pull: &pulled{uploaded: 0}}, []string{`"chunks_total":4`, `"agent_upload_bytes":0`}, []string{"plan"}},
		{FetchCmd{planned: &fetch.Summary{Files: 2, FileBytes: 10, Replaced: []string{"a"}, Unchanged: 3, Dumps: []fetch.Dump{{}}, DumpBytes: 99, DownloadBytes: 7, CachedBytes: 5}},
			[]string{`"chunks_total":4`, `"plan":{"files":2,"file_bytes":10,"files_replaced":1,"files_unchanged":3,"files_to_delete":0,"dumps":1,"dump_bytes":99,"download_bytes":7,"cached_bytes":5}`}, []string{"agent_upload_bytes"}},
	} {
		var out bytes.Buffer
		c.cmd.JSON = true
		c.cmd.printJSON(&cli.Env{Stdout: &out}, stats)
		var v map[string]any
		dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
		if err := dec.Decode(&v); err != nil || dec.More() {
			t.Errorf("not one JSON object (%v): %s", err, out.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s lacks %s", out.String(), w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("%s has %s", out.String(), n)
			}
		}
	}
}

// cache gc works in whole packs: when that takes the cache well below
// --max-size, the line says why (it said "cache is now 0 B" after
// --max-size 1M).
func TestGCLine(t *testing.T) {
	for _, c := range []struct {
		max, before, removed, freed, size int64
		want                              string
	}{
		{1_000_000, 7_300_000, 3082, 7_300_000, 0, "synco: removed 3082 chunks (7.3 MB); cache is now 0 B, below --max-size 1.0 MB: chunks are removed in whole packs (the chunks one fetch stored together), least recently used first"},
		{1_000_000, 500_000, 0, 0, 500_000, "synco: removed 0 chunks (0 B); cache is now 500.0 kB"},
		{1_000_000, 1_200_000, 1, 200_000, 1_000_000, "synco: removed 1 chunk (200.0 kB); cache is now 1.0 MB"},
		{0, 7_300_000, 3082, 7_300_000, 0, "synco: removed 3082 chunks (7.3 MB); cache is now 0 B"},
	} {
		if got := gcLine("synco", c.max, c.before, c.removed, c.freed, c.size); got != c.want {
			t.Errorf("gcLine(%d, %d, %d, %d, %d):\n%s\nwant\n%s", c.max, c.before, c.removed, c.freed, c.size, got, c.want)
		}
	}
}
