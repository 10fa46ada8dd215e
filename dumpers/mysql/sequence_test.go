package mysql_test

import (
	"database/sql"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/mysql"
)

// seqState is the stored state of every sequence of a database (what a dump
// of it restores), in name order.
func seqState(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var out []string
	for _, s := range strings.Fields(queryString(t, db, "SELECT IFNULL(GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME SEPARATOR ' '), '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE'", name)) {
		out = append(out, s+"="+queryString(t, db, "SELECT CONCAT_WS(',', next_not_cached_value, minimum_value, maximum_value, start_value, increment, cache_size, cycle_option, cycle_count) FROM `"+name+"`.`"+s+"`"))
	}
	return strings.Join(out, " ")
}

// A MariaDB sequence's state is part of the snapshot, but no change time shows
// that it moved: NEXTVAL, SETVAL and ALTER SEQUENCE … RESTART leave its
// UPDATE_TIME and CREATE_TIME as they were. A local NEXTVAL must still be
// undone by the next install, as a full import would, and a sequence that
// moved at the source is set to the new dump's value by a delta.
func TestDeltaSequence(t *testing.T) {
	db := server(t)
	src, exec := deltaSource(t)
	exec("CREATE SEQUENCE seq START WITH 100 INCREMENT BY 5 CACHE 10")
	exec("CREATE SEQUENCE `a-seq` START WITH 7") // the fingerprint reads both in one query
	exec("DO NEXTVAL(seq)")
	target, h := installed(t, src)
	v1 := dump(t, src, dumpers.Options{})
	want := seqState(t, db, target)

	mustExec(t, db, "DO NEXTVAL(`"+target+"`.seq)") // a local use of the sequence
	if seqState(t, db, target) == want {
		t.Fatal("NEXTVAL did not move the stored state")
	}
	inst := install(t, target, h.Source(v1))
	if got := seqState(t, db, target); got != want {
		t.Fatalf("after a local NEXTVAL, install (%+v) left the sequence at %s, want %s", inst, got, want)
	}

	// The source uses its sequence: the new dump restores it further on.
	for range 12 {
		exec("DO NEXTVAL(seq)")
	}
	exec("DO NEXTVAL(`a-seq`)")
	edit(exec)
	v2 := dump(t, src, dumpers.Options{})
	ref := newDB(t, db, "dref")
	if err := mysql.Import(t.Context(), cfgFor(t, ref), v2, nil); err != nil {
		t.Fatal(err)
	}
	inst = install(t, target, h.Source(v2))
	if inst.Mode != "delta" {
		t.Errorf("install after the source used its sequence: %+v, want a delta", inst)
	}
	if got, want := seqState(t, db, target), seqState(t, db, ref); got != want {
		t.Fatalf("sequence after the delta: %s, want %s (a full import)", got, want)
	}
	equalMaps(t, "delta with a sequence vs full import", checksums(t, db, ref), withoutRecord(checksums(t, db, target)))
}
