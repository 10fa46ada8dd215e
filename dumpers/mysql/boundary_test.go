package mysql_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/mysql"
)

// The statement boundary rule is part of the dump's layout: changing it makes
// every dump's chunks around its statement ends new once. These values pin it.
func TestEndsStatementPinned(t *testing.T) {
	var ends []int
	for i := 1; i <= 143; i++ {
		if mysql.EndsStatement([]byte(strconv.Itoa(i))) {
			ends = append(ends, i)
		}
	}
	if want := []int{13, 24, 66, 93, 125, 130, 135, 143}; !slices.Equal(ends, want) {
		t.Errorf("integer keys 1…143 ending a statement: %v, want %v", ends, want)
	}
	var keys []string
	for i := 0; len(keys) < 3; i++ {
		k := fmt.Sprintf("node-%d", i)
		if mysql.EndsStatement([]byte(k), nil) { // a two-column key (NULL second)
			keys = append(keys, k)
		}
	}
	if want := []string{"node-46", "node-56", "node-177"}; !slices.Equal(keys, want) {
		t.Errorf("two-column keys ending a statement: %v, want %v", keys, want)
	}
	// The columns are told apart, and NULL from empty.
	if mysql.EndsStatement([]byte("a"), []byte("bc")) != false || mysql.EndsStatement([]byte("ab"), []byte("c")) != false {
		t.Error("pinned split keys changed")
	}
	n := 0
	for i := 1; i <= 640000; i++ {
		if mysql.EndsStatement([]byte(strconv.Itoa(i))) {
			n++
		}
	}
	if n < 640000/80 || n > 640000/50 {
		t.Errorf("%d of 640,000 integer keys end a statement, want about one in 64", n)
	}
}

// A statement ends after the first row, once it holds StmtMin bytes, whose key
// says so; and an update of a row's other columns moves no boundary.
func TestStatementBoundaries(t *testing.T) {
	db := server(t)
	name := newDB(t, db, "bound")
	mustExec(t, db, "CREATE TABLE `"+name+"`.t (id INT NOT NULL PRIMARY KEY, a VARCHAR(200) NOT NULL, b TEXT NOT NULL)")
	mustExec(t, db, "INSERT INTO `"+name+"`.t SELECT seq, REPEAT(CHAR(97 + seq % 26), 150), MD5(seq) FROM `"+name+"`.seq_1_to_8000")
	before := stmtRows(t, dump(t, name, dumpers.Options{}).Streams[dumpers.DataStream("t")])
	if len(before) < 4 {
		t.Fatalf("%d statements, want several", len(before))
	}
	mustExec(t, db, "UPDATE `"+name+"`.t SET b = REVERSE(b), a = REPEAT(CHAR(98 + id % 24), 150)")
	after := stmtRows(t, dump(t, name, dumpers.Options{}).Streams[dumpers.DataStream("t")])
	if !slices.Equal(before, after) {
		t.Errorf("rows per statement moved by an update of non-key columns: %v, then %v", before, after)
	}
}

// stmtRows checks the statement ends of a data stream of table t (one row a
// line, integer key first) against the rule and returns each statement's rows.
func stmtRows(t *testing.T, data []byte) []int {
	t.Helper()
	var counts []int
	stmts := bytes.Split(bytes.TrimSuffix(data, []byte(";\n")), []byte(";\n"))
	for si, stmt := range stmts {
		lines := bytes.Split(stmt, []byte("\n"))
		size := len(lines[0]) + 1 // the header and its newline
		for i, row := range lines[1:] {
			row = bytes.TrimSuffix(row, []byte(","))
			if i > 0 {
				size += 2 // ",\n"
			}
			size += len(row)
			id, _, _ := bytes.Cut(row[1:], []byte(","))
			last := i == len(lines)-2
			ends := size >= mysql.StmtMin && mysql.EndsStatement(id)
			if ends != last && !(last && si == len(stmts)-1) {
				t.Fatalf("statement %d, row %s (%d bytes so far): ends %v, last %v", si, id, size, ends, last)
			}
		}
		counts = append(counts, len(lines)-1)
	}
	return counts
}

// Rows that fill a statement past stmtMax start the next one; every row is
// dumped once, in order.
func TestStatementMax(t *testing.T) {
	db := server(t)
	name := newDB(t, db, "stmax")
	mustExec(t, db, "CREATE TABLE `"+name+"`.t (id INT NOT NULL PRIMARY KEY, b LONGTEXT NOT NULL)")
	mustExec(t, db, "INSERT INTO `"+name+"`.t SELECT seq, REPEAT(MD5(seq), 10000 + seq * 1000) FROM `"+name+"`.seq_1_to_12")
	data := dump(t, name, dumpers.Options{}).Streams[dumpers.DataStream("t")]
	stmts := bytes.Split(bytes.TrimSuffix(data, []byte(";\n")), []byte(";\n"))
	var ids []string
	for _, stmt := range stmts {
		lines := bytes.Split(stmt, []byte("\n"))
		if len(stmt)+2 > 1<<20 && len(lines) > 2 {
			t.Errorf("a statement of %d rows, %d bytes", len(lines)-1, len(stmt)+2)
		}
		for _, row := range lines[1:] {
			id, _, _ := bytes.Cut(row[1:], []byte(","))
			ids = append(ids, string(id))
		}
	}
	if want := strings.Fields("1 2 3 4 5 6 7 8 9 10 11 12"); !slices.Equal(ids, want) || len(stmts) < 4 {
		t.Errorf("%d statements of rows %v", len(stmts), ids)
	}
}
