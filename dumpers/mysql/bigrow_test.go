package mysql_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// Rows whose INSERT is bigger than the server's max_allowed_packet, though
// each value fits (a BLOB dumped in hex takes two bytes a byte), are
// installed, by a full import and by a delta, with every kind of value the
// dumper writes (hex, quoted text, _utf8mb4 X'…' text into a latin1 column).
// A value bigger than max_allowed_packet is a TooBigError that says how to
// raise it, and the target keeps what it held.
func TestRowsBiggerThanPacket(t *testing.T) {
	db := server(t)
	var packet int
	if err := db.QueryRow("SELECT @@global.max_allowed_packet").Scan(&packet); err != nil {
		t.Fatal(err)
	}
	if packet > 64<<20 {
		t.Skipf("max_allowed_packet is %d: rows that big take too long here", packet)
	}
	src := newDB(t, db, "bigrow")
	mustExec(t, db, "USE `"+src+"`; CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT CHARACTER SET utf8mb4, l LONGTEXT CHARACTER SET latin1) ENGINE=InnoDB")
	rng := rand.New(rand.NewPCG(1, 2))
	blob := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	insert := func(id int, b []byte, tx, l string) {
		t.Helper()
		// parameters: each fits max_allowed_packet, the row need not
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO `%s`.big VALUES (?, ?, ?, ?)", src), id, b, tx, l); err != nil {
			t.Fatal(err)
		}
	}
	p := packet
	insert(1, blob(p*6/10), strings.Repeat("é'quoted' ", p/200), "small")        // hex and quoted text
	insert(2, nil, strings.Repeat("a\\b\r\n", p/16), strings.Repeat("ü\\", p/8)) // _utf8mb4 X'…' into utf8mb4 and latin1
	insert(3, []byte("tiny"), "t", "l")
	d1 := dump(t, src, dumpers.Options{})
	if st := d1.Streams[dumpers.DataStream("big")]; len(st) < packet {
		t.Fatalf("the data stream has %d bytes, not a statement bigger than max_allowed_packet (%d)", len(st), packet)
	}
	h := dumperstest.NewHistory()
	tgt := newDB(t, db, "bigrow_tgt")
	if inst := install(t, tgt, h.Source(d1)); inst.Mode != "full" {
		t.Fatalf("first install: %+v", inst)
	}
	equalMaps(t, "full import", checksums(t, db, src), withoutRecord(checksums(t, db, tgt)))

	// a delta: row 1 changed, a big row added
	mustExec(t, db, fmt.Sprintf("UPDATE `%s`.big SET t = 'short now' WHERE id = 1", src))
	insert(4, blob(p*6/10), "", "")
	d2 := dump(t, src, dumpers.Options{})
	if inst := install(t, tgt, h.Source(d2)); inst.Mode != "delta" {
		t.Fatalf("second install: %+v, want a delta", inst)
	}
	equalMaps(t, "delta", checksums(t, db, src), withoutRecord(checksums(t, db, tgt)))

	// a value bigger than max_allowed_packet, which no statement can store
	before := withoutRecord(checksums(t, db, tgt))
	d3 := dumperstest.NewMem()
	for n, s := range d2.Streams {
		d3.Streams[n] = s
	}
	huge := bytes.Repeat([]byte{0xAB}, p+1)
	d3.Streams[dumpers.DataStream("big")] = fmt.Appendf(nil, "INSERT INTO `big` (`id`,`b`,`t`,`l`) VALUES (9,0x%X,NULL,NULL);\n", huge)
	for _, how := range []string{"full import", "delta"} {
		var err error
		if how == "full import" {
			err = mysql.Import(t.Context(), cfgFor(t, tgt), d3, nil)
		} else {
			_, err = mysql.Install(t.Context(), cfgFor(t, tgt), h.Source(d3), nil)
		}
		var tb *mysql.TooBigError
		if !errors.As(err, &tb) || tb.Size != p+1 || !strings.Contains(err.Error(), "SET GLOBAL max_allowed_packet = ") {
			t.Errorf("%s of a value bigger than max_allowed_packet: %v, want a TooBigError of %d bytes", how, err, p+1)
		}
		equalMaps(t, how+" that failed", before, withoutRecord(checksums(t, db, tgt)))
	}
	// A binary string into a text column is not sent apart: the server would
	// convert it from utf8mb4 as a parameter, not as the literal.
	half := bytes.Repeat([]byte{0xE9}, p*6/10)
	d3.Streams[dumpers.DataStream("big")] = fmt.Appendf(nil, "INSERT INTO `big` (`id`,`b`,`t`,`l`) VALUES (9,0x%X,NULL,0x%X);\n", half, half)
	if err := mysql.Import(t.Context(), cfgFor(t, tgt), d3, nil); err == nil || !strings.Contains(err.Error(), "not a row whose long values can be sent apart") {
		t.Errorf("import of a binary string too big for a text column: %v", err)
	}
	equalMaps(t, "hex into a text column", before, withoutRecord(checksums(t, db, tgt)))
}
