package main

import (
	"fmt"

	"synco/dumpers"
)

// installedNote says what a delta or no-change install did.
func installedNote(db string, inst dumpers.Installed) string {
	if inst.Mode == "unchanged" {
		return "the database is unchanged since the last install: nothing to do in " + db
	}
	return fmt.Sprintf("delta install into %s: %d table(s) changed, %d row(s) removed, %d added (an updated row counts in both)", db, len(inst.Tables), inst.Deleted, inst.Inserted)
}
