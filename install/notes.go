package install

import (
	"fmt"

	"synco/dumpers"
)

// Note is a line for the user about what an import did. Warning marks an error
// that did not stop it (leftovers not cleaned up). Text may hold what the
// source sent: the caller makes it safe for its terminal.
type Note struct {
	Text    string
	Warning bool
}

// installedNote says what a delta or no-change install did.
func installedNote(db string, inst dumpers.Installed) string {
	var s string
	if inst.Mode == "unchanged" {
		s = "the database is unchanged since the last install: nothing to do in " + db
	} else {
		s = fmt.Sprintf("delta install into %s: %d table(s) changed, %d row(s) removed, %d added (an updated row counts in both)", db, len(inst.Tables), inst.Deleted, inst.Inserted)
	}
	if inst.Replaced > 0 {
		s += fmt.Sprintf("; tables whose every row changed, loaded anew: %d (their old rows are not counted as removed)", inst.Replaced)
	}
	if inst.Local > 0 {
		s += fmt.Sprintf("; %d table(s) changed locally since the last install were brought back to the published rows (the local edits are undone, as a full import would)", inst.Local)
	}
	if inst.Verified > 0 {
		s += fmt.Sprintf("; %d table(s) compared row by row with the last install, since the server had forgotten when they changed (a restart)", inst.Verified)
		if inst.Stamped > 0 {
			s += fmt.Sprintf(" — %d of them will not need it again until the next restart", inst.Stamped)
		}
	}
	return s
}

// loadedAs says as which account a dump was loaded (docs/security.md).
func loadedAs(db string, limited bool, mode, privileges string) string {
	if limited {
		return fmt.Sprintf("the dump was loaded as a %s with rights on %s only", mode, db)
	}
	return fmt.Sprintf("the dump was loaded as the --db account itself: it cannot create a limited one (that needs %s); the import is still confined to %s by the statement checks", privileges, db)
}

// article puts "a" before a staging mode that needs one ("a staging database").
func article(mode string) string {
	if mode == "staging database" {
		return "a " + mode
	}
	return mode
}
