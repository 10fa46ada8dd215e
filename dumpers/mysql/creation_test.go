package mysql_test

import (
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// A table whose creation time MariaDB does not know (InnoDB's purge opened
// it: see creation.go) is proven by its definition: a delta whether the time
// is unknown now, was unknown when the install was recorded, or both, and a
// full import when its definition changed locally, also while the time was
// unknown on both sides (the time then hid the ALTER).
func TestDeltaUnknownCreationTime(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "uct")
	exec := func(q string) { t.Helper(); mustExec(t, db, "USE `"+src+"`; "+q) }
	exec("CREATE TABLE virt (id INT PRIMARY KEY AUTO_INCREMENT, a INT, v INT AS (a * 2) VIRTUAL, s INT AS (a + 1) STORED, KEY kv (v)) ENGINE=InnoDB")
	exec("CREATE TABLE plain (id INT PRIMARY KEY, b VARCHAR(20)) ENGINE=InnoDB")
	exec("INSERT INTO virt (a) VALUES (10), (20), (30)")
	exec("INSERT INTO plain VALUES (1, 'one'), (2, 'two')")
	h := dumperstest.NewHistory()
	tgt := newDB(t, db, "uct_tgt")
	install(t, tgt, h.Source(dump(t, src, dumpers.Options{})))

	step := func(name string, unknown bool, change string) dumpers.Installed {
		t.Helper()
		if unknown {
			defer mysql.SetUnknownCreation("virt")()
		}
		exec(change)
		d := dump(t, src, dumpers.Options{})
		inst := install(t, tgt, h.Source(d))
		equalMaps(t, name, reference(t, d), withoutRecord(checksums(t, db, tgt)))
		return inst
	}
	// unknown now, known when recorded
	if inst := step("unknown now", true, "UPDATE virt SET a = 11 WHERE id = 1"); inst.Mode != "delta" {
		t.Errorf("unknown now: %+v, want a delta", inst)
	}
	// unknown when recorded (the last install), known now
	if inst := step("unknown when recorded", false, "INSERT INTO virt (a) VALUES (40)"); inst.Mode != "delta" {
		t.Errorf("unknown when recorded: %+v, want a delta", inst)
	}
	// unknown from the middle of the delta on: the check before its commit
	// does not take that for a local change (which would roll it back and
	// try again)
	starts := 0
	restore := mysql.SetMeanwhileHook(func(step string) {
		if step == "start" {
			if starts++; starts == 1 {
				mysql.SetUnknownCreation("virt")
			}
		}
	})
	exec("UPDATE virt SET a = 12 WHERE id = 1")
	d := dump(t, src, dumpers.Options{})
	inst := install(t, tgt, h.Source(d))
	restore()
	mysql.SetUnknownCreation("")()
	if inst.Mode != "delta" || starts != 1 {
		t.Errorf("unknown during the delta: %+v after %d tries, want a delta at the first", inst, starts)
	}
	equalMaps(t, "unknown during the delta", reference(t, d), withoutRecord(checksums(t, db, tgt)))

	// unknown on both sides
	step("record unknown", true, "DELETE FROM virt WHERE id = 2")
	if inst := step("unknown on both sides", true, "UPDATE plain SET b = 'uno' WHERE id = 1"); inst.Mode != "delta" {
		t.Errorf("unknown on both sides: %+v, want a delta", inst)
	}
	// unknown on both sides, and the table altered locally in between
	mustExec(t, db, "ALTER TABLE `"+tgt+"`.virt ADD COLUMN extra INT DEFAULT 7")
	inst = step("altered while unknown", true, "UPDATE plain SET b = 'dos' WHERE id = 2")
	if inst.Mode != "full" || !strings.Contains(inst.Reason, "`virt` changed locally") {
		t.Errorf("altered while unknown: %+v, want a full import for virt", inst)
	}
	if n := queryString(t, db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'virt' AND COLUMN_NAME = 'extra'", tgt); n != "0" {
		t.Errorf("the local column is still there after the install")
	}
}
