package mysql_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/mysql"
)

// edgeSchema has every column type; edgeRows fill it with edge values.
const edgeSchema = "CREATE TABLE edge (" +
	"id INT NOT NULL PRIMARY KEY," +
	"ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, bi BIGINT, bu BIGINT UNSIGNED," +
	"de DECIMAL(65,30), dn DECIMAL(10,2) UNSIGNED, fl FLOAT, db DOUBLE," +
	"bt BIT(1), b64 BIT(64), yr YEAR, d DATE, dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(3)," +
	"ch CHAR(10), vc VARCHAR(255), tx TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, lt LONGTEXT," +
	"l1 VARCHAR(50) CHARACTER SET latin1," +
	"bn BINARY(4), vb VARBINARY(64), bl BLOB, lb LONGBLOB," +
	"js JSON, en ENUM('a','b','it''s','ü'), st SET('x','y','z')," +
	"g GEOMETRY NULL, pt POINT NULL," +
	"gv BIGINT AS (id * 2) VIRTUAL, gs VARCHAR(300) AS (CONCAT(vc, '!')) STORED" +
	") DEFAULT CHARSET=utf8mb4"

var edgeRows = []string{
	// all NULL
	"(1,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)",
	// minimum values, empty strings
	"(2,-128,0,-32768,0,-2147483648,-9223372036854775808,0," +
		"'-99999999999999999999999999999999999.999999999999999999999999999999',0,-3.40282e38,-1.7976931348623157e308," +
		"0,0,1901,'1000-01-01','1000-01-01 00:00:00','1000-01-01 00:00:00.000000','1970-01-01 00:00:01.000000','-838:59:59.000'," +
		"'','','','','',0x00000000,'','',''," +
		"'[]','a','',ST_GeomFromText('POINT(0 0)'),ST_GeomFromText('POINT(-1.5 2.25)'))",
	// maximum values
	"(3,127,255,32767,16777215,2147483647,9223372036854775807,18446744073709551615," +
		"'99999999999999999999999999999999999.999999999999999999999999999999',99999999.99,3.4028234663852886e38,1.7976931348623157e308," +
		"1,0xFFFFFFFFFFFFFFFF,2155,'9999-12-31','9999-12-31 23:59:59','9999-12-31 23:59:59.999999','2038-01-19 03:14:07.999999','838:59:59.000'," +
		"'zzzzzzzzzz',REPEAT('ä',255),REPEAT('x',65535),REPEAT('long ',100000),'ÿ',0xFFFFFFFF,0xFFFF,REPEAT(0xFF,1000),REPEAT(0x00,300000)," +
		"'{\"a\": [1, 2.5, \"ü\", null, true], \"b\": {\"c\": \"\\\\\\\\\"}}','ü','x,y,z'," +
		"ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))'),ST_GeomFromText('POINT(1e300 -1e-300)'))",
	// tricky text and binary
	"(4,0,1,0,1,0,0,1,'0.000000000000000000000000000001',0.01,1.2345678,0.1," +
		"1,0x0102030405060708,2000,'2024-02-29','2024-02-29 12:34:56','2024-02-29 12:34:56.000001','2024-03-31 01:00:00.500000','00:00:00.001'," +
		"'it''s',CONCAT('a\\\\b', CHAR(0), 'c', CHAR(26), '\\r\\n', 'd'),'😀 4-byte 𝄞 and \\'quotes\\' \"dq\" `bt` -- not a comment; /* nor this */ # nor this',CONCAT('line1\\nDELIMITER ;;\\nline3;'),'Grüße'," +
		"0x00000001,0x000102,0x5C27220A0D1A00,''," +
		"'{\"emoji\": \"😀\", \"esc\": \"a\\\\nb\"}','it''s','x,z'," +
		"ST_GeomFromText('LINESTRING(0 0,1 1,2 1)'),NULL)",
	// zero date values (allowed without NO_ZERO_DATE)
	"(5,-1,128,-1,8388608,-1,-1,9223372036854775808,'-0.5',0.5,-0.0001,-2.2250738585072014e-308," +
		"0,0x8000000000000000,0,'0000-00-00','0000-00-00 00:00:00','0000-00-00 00:00:00.000000','2000-01-01 00:00:00.000000','-00:00:00.001'," +
		"' lead',CONCAT(' trail', CHAR(13), CHAR(10), ' '),'\\t','','',0x00,0x00,0x00,0x00," +
		"'\"just a string\"','b','y',NULL,NULL)",
}

func createEdge(t *testing.T, db *sql.DB) string {
	t.Helper()
	name := newDB(t, db, "edge")
	c, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustExec(t, c, "USE `"+name+"`")
	mustExec(t, c, "SET SESSION sql_mode = 'STRICT_TRANS_TABLES', time_zone = '+00:00'")
	mustExec(t, c, edgeSchema)
	for _, r := range edgeRows {
		mustExec(t, c, "INSERT INTO edge (id,ti,tu,si,mi,i,bi,bu,de,dn,fl,db,bt,b64,yr,d,dt,dt6,ts,tm,ch,vc,tx,lt,l1,bn,vb,bl,lb,js,en,st,g,pt) VALUES "+strings.Replace(r, "'0000-00-00", "'0000-00-00", 1))
	}
	// tables without primary key: unique NOT NULL key, and no key at all
	mustExec(t, c, "CREATE TABLE nopk_uk (a INT NOT NULL, b VARCHAR(10), UNIQUE KEY u (a)) ENGINE=InnoDB")
	mustExec(t, c, "INSERT INTO nopk_uk VALUES (3,'c'),(1,'a'),(2,NULL)")
	mustExec(t, c, "CREATE TABLE nokey (a VARCHAR(10), b INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci")
	mustExec(t, c, "INSERT INTO nokey VALUES ('b',1),('B',1),('a',NULL),('A',2),('a',NULL),(NULL,NULL)")
	// odd names; AUTO_INCREMENT with a zero id
	mustExec(t, c, "CREATE TABLE `we/ird ``name`` ü` (id INT AUTO_INCREMENT PRIMARY KEY, `col;--` INT)")
	mustExec(t, c, "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")
	mustExec(t, c, "INSERT INTO `we/ird ``name`` ü` VALUES (0, 1), (41, 2)")
	mustExec(t, c, "CREATE TABLE empty_t (id INT PRIMARY KEY)")
	mustExec(t, c, "CREATE SEQUENCE seq_order START WITH 100 INCREMENT BY 5 CACHE 10")
	mustExec(t, c, "DO NEXTVAL(seq_order)")
	mustExec(t, c, "DO NEXTVAL(seq_order)")
	// a view on a view, created in the "wrong" order of names
	mustExec(t, c, "CREATE VIEW b_base AS SELECT id, vc FROM edge")
	mustExec(t, c, "CREATE VIEW a_top AS SELECT COUNT(*) AS n FROM b_base")
	mustExec(t, c, "CREATE PROCEDURE p_semi() BEGIN SELECT 'a;b'; SELECT 1; END")
	mustExec(t, c, "CREATE EVENT ev_noop ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO SELECT 1")
	return name
}

// rowsOf gives every row of every table of db as text, in a fixed order.
func rowsOf(t *testing.T, db *sql.DB, name string) map[string]string {
	t.Helper()
	c, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustExec(t, c, "SET time_zone = '+00:00'")
	out := map[string]string{}
	for tb := range checksums(t, db, name) {
		rows, err := c.QueryContext(t.Context(), fmt.Sprintf("SELECT * FROM `%s`.`%s`", name, strings.ReplaceAll(tb, "`", "``")))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if v == nil {
					b.WriteString("NULL|")
				} else {
					fmt.Fprintf(&b, "%q|", cols[i]+"="+string(v))
				}
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		sort.Strings(lines)
		out[tb] = strings.Join(lines, "\n")
	}
	return out
}

func TestEdgeValuesRoundTrip(t *testing.T) {
	db := server(t)
	src := createEdge(t, db)
	want := rowsOf(t, db, src)
	d := dump(t, src, dumpers.Options{Parallel: 2})
	if _, ok := d.Streams[dumpers.DataStream("empty_t")]; ok {
		t.Error("empty table got a data stream")
	}
	if s := string(d.Streams[dumpers.DataStream("edge")]); strings.Contains(s, "`gv`") || strings.Contains(s, "`gs`") {
		t.Error("generated columns dumped as data")
	}
	if s := string(d.Streams[dumpers.DataStream("nokey")]); !strings.Contains(s, "(NULL,NULL),\n('A',2),\n('B',1),\n('a',NULL),\n('a',NULL),\n('b',1);") {
		t.Errorf("nokey not in byte order:\n%s", s)
	}
	dst := uniqueName("edge_copy")
	dropAtCleanup(t, db, dst)
	if err := mysql.Import(t.Context(), cfgFor(t, dst), d, nil); err != nil {
		t.Fatal(err)
	}
	equalMaps(t, "rows", want, rowsOf(t, db, dst))
	equalMaps(t, "checksum", checksums(t, db, src), checksums(t, db, dst))
	if n := queryInt(t, db, "SELECT n FROM `"+dst+"`.a_top"); n != 5 {
		t.Errorf("view on view: %d", n)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?", dst); n != 1 {
		t.Errorf("events: %d", n)
	}
	if ai := queryString(t, db, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'we/ird `name` ü'", dst); ai != "42" {
		t.Errorf("AUTO_INCREMENT %s, want 42", ai)
	}
	equalStreams(t, d, dump(t, dst, dumpers.Options{Parallel: 1}))
	// the sequence continues after the values handed out before the dump (it skips
	// the rest of the cache, as with mysqldump)
	if n := queryInt(t, db, "SELECT NEXTVAL(`"+dst+"`.seq_order)"); n != 150 {
		t.Errorf("sequence after import: next %d, want 150", n)
	}
	// with its options: SHOW CREATE TABLE gave the table form of a sequence,
	// and one created from that counted by 1, not 5
	if n := queryInt(t, db, "SELECT NEXTVAL(`"+dst+"`.seq_order)"); n != 155 {
		t.Errorf("sequence after import: second next %d, want 155", n)
	}
	var name, a, b string
	if err := db.QueryRowContext(t.Context(), "SHOW CREATE SEQUENCE `"+src+"`.seq_order").Scan(&name, &a); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(t.Context(), "SHOW CREATE SEQUENCE `"+dst+"`.seq_order").Scan(&name, &b); err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("sequence after import:\n%s\nwant\n%s", b, a)
	}
}

// TestMysqlClientLoadsConcatenation feeds schema + data + post as one file to the
// real mysql client.
func TestMysqlClientLoadsConcatenation(t *testing.T) {
	db := server(t)
	client, err := exec.LookPath("mysql")
	if err != nil {
		t.Skip("mysql client not installed")
	}
	for _, load := range []func(*testing.T, *sql.DB) string{createEdge, loadSakila} {
		src := load(t, db)
		d := dump(t, src, dumpers.Options{})
		dst := newDB(t, db, "client")
		cmd := exec.CommandContext(t.Context(), client, "-uroot", "-h127.0.0.1", "--default-character-set=utf8mb4", dst)
		cmd.Stdin = bytes.NewReader(d.Concat())
		if out, err := cmd.CombinedOutput(); err != nil {
			os.WriteFile(t.TempDir()+"/all.sql", d.Concat(), 0o644)
			t.Fatalf("mysql < dump: %v\n%s", err, out)
		}
		equalMaps(t, "checksum", checksums(t, db, src), checksums(t, db, dst))
		equalMaps(t, "rows", rowsOf(t, db, src), rowsOf(t, db, dst))
	}
}
