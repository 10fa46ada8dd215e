package mysql

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

func TestSplitter(t *testing.T) {
	in := "-- comment; not a statement\n" +
		"SET a = 1;\n" +
		"INSERT INTO `t;x` (`a`,`b`) VALUES\n(1,'it''s; (fine)'),\n(2,'back\\'slash;'),\n(3,\"dq;\");\n" +
		"/* block ; comment */ SELECT 1 # trailing ; comment\n;\n" +
		"DELIMITER ;;\n" +
		"CREATE PROCEDURE p() BEGIN SELECT ';;'; SELECT 2; END;;\n" +
		"DELIMITER ;\n" +
		"SELECT 'line1\nDELIMITER ;;\nline3';\n" +
		";;\n" +
		"SELECT --1;\n" +
		"SELECT 3"
	want := []struct {
		st     string
		groups int
	}{
		{"-- comment; not a statement\nSET a = 1", 0},
		{"INSERT INTO `t;x` (`a`,`b`) VALUES\n(1,'it''s; (fine)'),\n(2,'back\\'slash;'),\n(3,\"dq;\")", 4},
		{"/* block ; comment */ SELECT 1 # trailing ; comment", 0},
		{"CREATE PROCEDURE p() BEGIN SELECT ';;'; SELECT 2; END", 1},
		{"SELECT 'line1\nDELIMITER ;;\nline3'", 0},
		{"SELECT --1", 0},
		{"SELECT 3", 0},
	}
	sp := newSplitter(strings.NewReader(in))
	for i, w := range want {
		st, g, err := sp.next()
		if err != nil {
			t.Fatalf("statement %d: %v", i, err)
		}
		if string(st) != w.st || g != w.groups {
			t.Errorf("statement %d: got %q (%d groups), want %q (%d)", i, st, g, w.st, w.groups)
		}
	}
	if _, _, err := sp.next(); err != io.EOF {
		t.Errorf("after the last: %v", err)
	}
	if sp.n != int64(len(in)) {
		t.Errorf("counted %d bytes, want %d", sp.n, len(in))
	}
	sp = newSplitter(strings.NewReader("SELECT 'open"))
	if _, _, err := sp.next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("unterminated string: %v", err)
	}
}

func TestAppendValue(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		k    kind
		want string
	}{
		{nil, kindString, "NULL"},
		{[]byte{}, kindString, "''"},
		{[]byte{}, kindBinary, "''"},
		{[]byte("18446744073709551615"), kindNumber, "18446744073709551615"},
		{[]byte("-0.000000000000000000000000000001"), kindNumber, "-0.000000000000000000000000000001"},
		{[]byte("1.2345677614212036"), kindFloat, "1.2345678"},
		{[]byte("3.4028234663852886e38"), kindFloat, "3.4028234663852886e+38"},
		{[]byte("-3.4028234663852886e38"), kindFloat, "-3.4028234663852886e+38"},
		{[]byte("0.1"), kindDouble, "0.1"},
		{[]byte("1.7976931348623157e308"), kindDouble, "1.7976931348623157e+308"},
		{[]byte{0, 1, 0xfe, 0xff}, kindBinary, "0x0001FEFF"},
		{[]byte("it's"), kindString, "'it''s'"},
		{[]byte("😀 ü"), kindString, "'😀 ü'"},
		{[]byte("a\\b"), kindString, "_utf8mb4 X'615C62'"},
		{[]byte("a\x00"), kindString, "_utf8mb4 X'6100'"},
		{[]byte("\x1a"), kindString, "_utf8mb4 X'1A'"},
		{[]byte{0xff, 'a'}, kindString, "X'FF61'"},
		{[]byte("2024-02-29 12:34:56.000001"), kindString, "'2024-02-29 12:34:56.000001'"},
	} {
		if got := string(appendValue(nil, tc.in, tc.k)); got != tc.want {
			t.Errorf("appendValue(%q, %d) = %s, want %s", tc.in, tc.k, got, tc.want)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true, "10.3.39-MariaDB": true, "10.2.44-MariaDB": false,
		"5.5.5-10.11.6-MariaDB": true, // old protocol prefix: the real version follows
		"8.0.36":                true, "5.7.44-log": true, "5.6.51": false, "garbage": false, "11.4.2-MariaDB": true,
	} {
		if err := checkVersion(v); (err == nil) != ok {
			t.Errorf("checkVersion(%q) = %v", v, err)
		}
	}
}

func TestViewOrder(t *testing.T) {
	defs := map[string]string{
		"a": "CREATE VIEW `a` AS select * from `c`",
		"b": "CREATE VIEW `b` AS select * from `t`",
		"c": "CREATE VIEW `c` AS select * from `b`",
		"x": "CREATE VIEW `x` AS select * from `y`",
		"y": "CREATE VIEW `y` AS select * from `x`", // cycle: name order
	}
	got := strings.Join(viewOrder([]string{"y", "x", "c", "b", "a"}, defs), ",")
	if got != "b,c,a,x,y" {
		t.Errorf("viewOrder = %s", got)
	}
}

func TestStripDefiner(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 1":       "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1",
		"CREATE DEFINER=`we``ird`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 'DEFINER=`a`@`b` '": "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 'DEFINER=`a`@`b` '",
		"CREATE PROCEDURE p() SELECT 1": "CREATE PROCEDURE p() SELECT 1",
	} {
		if got := stripDefiner(in); got != want {
			t.Errorf("stripDefiner(%q) = %q", in, got)
		}
	}
}

// TestNotAMySQLServer: a port where something else listens (silent, or sending
// garbage) fails with ErrUnreachable within connectTimeout, and the driver prints
// nothing.
func TestNotAMySQLServer(t *testing.T) {
	var logged bytes.Buffer
	driver.SetLogger(log.New(&logged, "[mysql] ", 0)) // the default every config starts from
	t.Cleanup(func() { driver.SetLogger(log.New(os.Stderr, "[mysql] ", log.Ldate|log.Ltime|log.Lshortfile)) })
	old := connectTimeout
	connectTimeout = time.Second
	t.Cleanup(func() { connectTimeout = old })

	for _, reply := range []string{"", "HTTP/1.1 400 Bad Request\r\n\r\n", "\x05\x00\x00\x00garbage-garbage"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				if reply != "" {
					c.Write([]byte(reply))
				}
				defer c.Close() // keep it open, silent, until the listener closes
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		cfg := &Config{User: "root", Host: "127.0.0.1", Port: port, Database: "x"}
		_, err = open(t.Context(), cfg)
		ln.Close()
		if !errors.Is(err, ErrUnreachable) {
			t.Errorf("reply %q: %v, want ErrUnreachable", reply, err)
		}
	}
	if logged.Len() > 0 {
		t.Errorf("driver printed:\n%s", logged.String())
	}
}

func TestDurableXA(t *testing.T) {
	for v, want := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true,
		"5.5.5-10.5.0-MariaDB":       true,
		"5.5.5-10.4.32-MariaDB":      false,
		"10.3.39-MariaDB-0+deb10u1":  false,
		"8.0.36":                     true,
		"5.7.44-log":                 true,
		"5.7.6-m16":                  false,
		"not a version":              false,
	} {
		if got := durableXA(v); got != want {
			t.Errorf("durableXA(%q) = %v, want %v", v, got, want)
		}
	}
}

// A table is bound to the branch rewriting no table, even when the other has
// fewer bytes queued (a rewrite sends its table part after part as it
// arrives); then to the one with fewer tables still open (one between two
// parts has nothing queued); then to the one with the fewest bytes not applied
// yet, not the fewest sent so far.
func TestLeastBusy(t *testing.T) {
	a, b := &applier{}, &applier{}
	ws := []*applier{a, b}
	b.queued.Store(8 << 20)
	if w := leastBusy(ws); w != a {
		t.Fatal("both idle of rewrites: want the one with fewer bytes queued")
	}
	a.rewrites.Add(1)
	a.open.Add(1)
	if w := leastBusy(ws); w != b {
		t.Fatal("a rewrites a table: want the other branch, though it has more bytes queued")
	}
	a.rewrites.Add(-1)
	a.open.Add(-1)
	a.queued.Store(1 << 20)
	b.queued.Add(-(8 << 20)) // b applied what it had: nothing waits there
	if w := leastBusy(ws); w != b {
		t.Fatal("b applied its parts: want b, the branch with nothing waiting")
	}
	b.open.Add(1) // a table of b waits for its next part
	if w := leastBusy(ws); w != a {
		t.Fatal("b has a table open, a none: want a, though b has nothing queued")
	}
	b.open.Add(-1)
	a.queued.Store(0)
	a.bound.Add(1) // both idle: a had a table, b none
	if w := leastBusy(ws); w != b {
		t.Fatal("both idle: want b, the branch with no table so far")
	}
}

// MySQL from 8.0.3 serves information_schema.TABLES' UPDATE_TIME from a cache
// (information_schema_stats_expiry, a day by default): its sessions must read
// it from the engine, or the fingerprint would not see a local edit.
func TestCachesTableStats(t *testing.T) {
	for v, want := range map[string]bool{
		"8.0.3":                      true,
		"8.0.36":                     true,
		"8.4.3":                      true,
		"9.1.0":                      true,
		"8.0.2-dmr":                  false,
		"5.7.44-log":                 false,
		"10.11.19-MariaDB-0+deb12u1": false,
		"5.5.5-10.6.12-MariaDB":      false,
		"11.4.2-MariaDB":             false,
	} {
		if got := cachesTableStats(v); got != want {
			t.Errorf("cachesTableStats(%q) = %v, want %v", v, got, want)
		}
	}
}

// Only the dumper's own DO SETVAL(<sequence>, n, 0) gives a sequence's value
// apart from the schema: anything else is compared as a whole statement (a
// delta then sees a change of definitions, and a full import runs).
func TestSetvalOf(t *testing.T) {
	for _, tc := range []struct {
		st, name, val, rest string
	}{
		{"DO SETVAL(`s`, 150, 0)", "s", "150", "DO SETVAL(`s`, , 0)"},
		{"DO SETVAL(`s`, -5, 0);", "s", "-5", "DO SETVAL(`s`, , 0);"},
		{"DO SETVAL(`we``ird`, 9223372036854775806, 0)", "we`ird", "9223372036854775806", "DO SETVAL(`we``ird`, , 0)"},
		{"DO SETVAL(`s`, 150, 1)", "", "", ""},                  // is_used: another next value
		{"DO SETVAL(`s`, 150, 0, 2)", "", "", ""},               // a round
		{"DO SETVAL(`s`, 1.5, 0)", "", "", ""},                  // not an integer
		{"DO SETVAL(`s`, 99999999999999999999, 0)", "", "", ""}, // out of range
		{"DO SETVAL(`s`, 150, 0), SLEEP(1)", "", "", ""},
		{"SELECT SETVAL(`s`, 150, 0)", "", "", ""},
	} {
		toks, lerr := lexAll([]byte(tc.st), true, false)
		if lerr != "" {
			t.Fatalf("%s: %s", tc.st, lerr)
		}
		v := &stmtView{s: []byte(tc.st), toks: toks}
		name, val, from, to, ok := setvalOf(v)
		if ok != (tc.name != "") || name != tc.name || val != tc.val {
			t.Errorf("setvalOf(%s) = %q %q %v, want %q %q", tc.st, name, val, ok, tc.name, tc.val)
			continue
		}
		if ok {
			if rest := tc.st[:from] + tc.st[to:]; rest != tc.rest {
				t.Errorf("setvalOf(%s): without the value %q, want %q", tc.st, rest, tc.rest)
			}
		}
	}
}
