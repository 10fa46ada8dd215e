package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

// scrubNote says whether the source scrubbed personal data from dump d.
func scrubNote(d fetch.Dump) string {
	switch d.Scrub {
	case "on":
		if len(d.Scrubbed) == 0 {
			return "scrubbing was on at the source, but no column of this database has a rule: its data came as it is (synco-lite's output lists the columns that look personal)"
		}
		note := fmt.Sprintf("scrubbed at the source: personal data in %s replaced by fakes", cli.Plural(cli.ScrubbedColumns(d.Scrubbed), "column"))
		if slices.ContainsFunc(d.Scrubbed, func(c string) bool { return strings.HasSuffix(c, "=password") }) {
			note += ` (passwords: "synco")`
		}
		return note
	case "off":
		return "WARNING: NOT scrubbed at the source: whatever production personal data it holds (e-mail addresses, names, IP addresses, password hashes) is here as it is"
	}
	return "the source does not say whether it was scrubbed (an older synco-lite)"
}

// writeScrubbed prints the scrubbing of each dump of a fetch.
func writeScrubbed(w io.Writer, prog string, dumps []fetch.Dump, verbose bool) {
	for _, d := range dumps {
		fmt.Fprintf(w, "%s: database %s: %s\n", prog, cli.Clean(d.Prefix), scrubNote(d))
		if verbose {
			for _, c := range d.Scrubbed {
				fmt.Fprintf(w, "%s:   %s\n", prog, cli.Clean(c))
			}
		}
		for _, l := range d.Lacks {
			fmt.Fprintf(w, "%s: database %s: not copied: %s\n", prog, cli.Clean(d.Prefix), cli.Clean(l))
		}
	}
}
