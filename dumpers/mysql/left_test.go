package mysql_test

import (
	"slices"
	"sync"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// What the dump leaves out of the source (doc.go: a system-versioned table's
// history) is said (dumpers.Options.Left), naming the table; an excluded
// table is not named.
func TestDumpSaysWhatItLeavesOut(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "left")
	for _, q := range []string{
		"CREATE TABLE ver (id INT PRIMARY KEY, a INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE ver_gone (id INT PRIMARY KEY) WITH SYSTEM VERSIONING",
		"CREATE TABLE plain (id INT PRIMARY KEY)",
	} {
		mustExec(t, db, "USE `"+src+"`; "+q)
	}
	var mu sync.Mutex
	var left []string
	err := mysql.NewDumper(cfgFor(t, src)).Dump(t.Context(), dumperstest.NewMem(), dumpers.Options{Exclude: []string{"ver_gone"}, Left: func(what string) {
		mu.Lock()
		defer mu.Unlock()
		left = append(left, what)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"the history rows of the system-versioned table `ver`: the copy has its current rows only"}; !slices.Equal(left, want) {
		t.Errorf("left out: %q, want %q", left, want)
	}
}
