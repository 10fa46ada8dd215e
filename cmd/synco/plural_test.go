package main

import (
	"strings"
	"testing"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

// The plan says one file in the singular (it said "replacing 1 existing ones",
// "delete 1 local files").
func TestPlanSingular(t *testing.T) {
	var b strings.Builder
	env := &cli.Env{Prog: "synco", Stderr: &b}
	s := &fetch.Summary{Files: 1, FileBytes: 10, Written: []string{"a"}, Replaced: []string{"a"}, Deleted: []string{"old"}, Unchanged: 1}
	showSummary(env, s, localDB{}, true, "")
	for _, want := range []string{
		"  - write 1 file (10 B), replacing 1 existing one\n",
		"  - leave 1 file that is already up to date\n",
		"  - delete 1 local file the source does not have\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	s = &fetch.Summary{Files: 2, FileBytes: 20, Written: []string{"a", "b"}, Replaced: []string{"a", "b"}, Deleted: []string{"x", "y"}, Unchanged: 2}
	showSummary(env, s, localDB{}, true, "")
	for _, want := range []string{
		"  - write 2 files (20 B), replacing 2 existing ones\n",
		"  - leave 2 files that are already up to date\n",
		"  - delete 2 local files the source does not have\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, b.String())
		}
	}
}
