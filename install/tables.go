package install

import (
	"slices"
	"strings"

	"synco/dumpers"
)

// Tables select which tables take the published rows (partial database sync):
// those matching Include (all, if empty) and not Exclude (globs).
type Tables struct {
	Include, Exclude []string
}

// Partial reports whether the selection keeps the local rows of some tables.
func (t Tables) Partial() bool { return len(t.Include)+len(t.Exclude) > 0 }

// Published reports whether table takes the published rows.
func (t Tables) Published(table string) bool {
	if len(t.Include) > 0 && !dumpers.MatchTable(t.Include, table) {
		return false
	}
	return !dumpers.MatchTable(t.Exclude, table)
}

// Unmatched returns the globs of Include and of Exclude that match none of
// tables (the published ones, fetch.Dump.TableNames), in the order given: an
// Include glob that matches nothing selects nothing, a mistyped name most
// likely (names are case-sensitive).
func (t Tables) Unmatched(tables []string) (include, exclude []string) {
	none := func(g string) bool {
		return !slices.ContainsFunc(tables, func(table string) bool { return dumpers.MatchTable([]string{g}, table) })
	}
	for _, g := range t.Include {
		if none(g) {
			include = append(include, g)
		}
	}
	for _, g := range t.Exclude {
		if none(g) {
			exclude = append(exclude, g)
		}
	}
	return include, exclude
}

// FoldMatches returns the tables that glob matches when case is ignored: what
// a glob that matches none of them may have meant ("Posts" for "posts").
func FoldMatches(glob string, tables []string) []string {
	var out []string
	for _, table := range tables {
		if dumpers.MatchTable([]string{strings.ToLower(glob)}, strings.ToLower(table)) {
			out = append(out, table)
		}
	}
	return out
}
