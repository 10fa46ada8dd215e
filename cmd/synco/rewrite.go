package main

import (
	"fmt"
	"io"
	"slices"

	"synco/cmd/internal/cli"
	"synco/dumpers/rewrite"
	"synco/install"
)

// RewriteFlags select the URL rewrite of an installed database (fetch, pull).
type RewriteFlags struct {
	Rewrite   []string `name:"rewrite" sep:"none" placeholder:"FROM=TO" help:"Replace the URL FROM by TO in every text value of the installed database (repeatable; also FROM's http://, https:// and //host forms, inside PHP-serialized and JSON values). Wins over .synco.yml's rewrite: and the automatic WordPress rewrite."`
	NoRewrite bool     `name:"no-rewrite" help:"Install the database's URLs as they were published (no --rewrite, .synco.yml rewrite: or WordPress rewrite)."`
}

// newURLRewrite collects the pairs of the flags and .synco.yml (yml: FROM → TO).
// Invalid pairs are usage errors.
func newURLRewrite(f RewriteFlags, yml map[string]string) (*install.Rewrite, error) {
	if f.NoRewrite {
		return install.NoRewrite(), nil
	}
	var pairs []rewrite.Pair
	for _, s := range f.Rewrite {
		p, err := rewrite.ParsePair(s)
		if err != nil {
			return nil, &cli.UsageError{Msg: "--rewrite: " + err.Error()}
		}
		pairs = append(pairs, p)
	}
	for _, from := range slices.Sorted(func(yield func(string) bool) {
		for k := range yml {
			if !yield(k) {
				return
			}
		}
	}) {
		pairs = append(pairs, rewrite.Pair{From: from, To: yml[from]})
	}
	rw, err := install.NewRewrite(pairs)
	if err != nil {
		return nil, &cli.UsageError{Msg: "--rewrite / .synco.yml rewrite: " + err.Error()}
	}
	return rw, nil
}

// showRewrite prints the plan's lines for the rewrite of the dumps of s.
func showRewrite(w io.Writer, rw *install.Rewrite, dumps int) {
	if dumps == 0 {
		return
	}
	for _, line := range rw.Plan() {
		fmt.Fprintf(w, "  - %s\n", cli.Clean(line))
	}
}
