package install

import "synco/dumpers"

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
