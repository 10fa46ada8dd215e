package mysql_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
	"synco/dumpers/phpser"
	"synco/dumpers/rewrite"
)

const (
	prodURL  = "https://www.example.com"
	localURL = "http://example.test"
)

func replacer(t *testing.T) *rewrite.Replacer {
	t.Helper()
	r, err := rewrite.New(rewrite.Pair{From: prodURL, To: localURL})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ser is PHP's serialize() of a string.
func ser(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

// wpCell is one value of the WordPress-shaped database: where, before, after.
type wpCell struct {
	table, key, col string // key: the primary key value
	before, after   string
}

// wpCells are the values that hold the production URL, in every form a
// WordPress database has it, and what they must become.
func wpCells() []wpCell {
	widget := "a:2:{s:5:\"title\";" + ser("Visit "+prodURL+"/shop") + "s:4:\"urls\";a:2:{i:0;" + ser(prodURL) + "i:1;" + ser("//www.example.com/img.png") + "}}"
	widgetAfter := "a:2:{s:5:\"title\";" + ser("Visit "+localURL+"/shop") + "s:4:\"urls\";a:2:{i:0;" + ser(localURL) + "i:1;" + ser("//example.test/img.png") + "}}"
	inner := ser(prodURL + "/wp-content/uploads/a.jpg")
	innerAfter := ser(localURL + "/wp-content/uploads/a.jpg")
	return []wpCell{
		{"wp_options", "1", "option_value", prodURL, localURL},
		{"wp_options", "2", "option_value", prodURL, localURL},
		{"wp_options", "3", "option_value", widget, widgetAfter},
		{"wp_options", "4", "option_value", "a:1:{i:0;" + ser(inner) + "}", "a:1:{i:0;" + ser(innerAfter) + "}"},
		{"wp_options", "5", "option_value", "http://www.example.com/feed", localURL + "/feed"},
		{"wp_postmeta", "1", "meta_value", `[{"id":"x","settings":{"image":{"url":"https:\/\/www.example.com\/wp-content\/uploads\/b.png"},"link":"\/\/www.example.com\/"}}]`,
			`[{"id":"x","settings":{"image":{"url":"http:\/\/example.test\/wp-content\/uploads\/b.png"},"link":"\/\/example.test\/"}}]`},
		{"wp_postmeta", "2", "meta_value", `{"u":"https://www.example.com/x","n":1.50}`, `{"u":"http://example.test/x","n":1.50}`},
		{"wp_posts", "1", "post_content", "<p>Line\r\n<a href=\"https://www.example.com/about\">it's</a>\r\n<img src=\"//www.example.com/c.png\"> C:\\path</p>",
			"<p>Line\r\n<a href=\"http://example.test/about\">it's</a>\r\n<img src=\"//example.test/c.png\"> C:\\path</p>"},
		{"wp_posts", "1", "guid", prodURL + "/?p=1", localURL + "/?p=1"},
		{"wp_usermeta", "1", "meta_value", "a:1:{s:7:\"website\";" + ser(prodURL+"/u/ann") + "}", "a:1:{s:7:\"website\";" + ser(localURL+"/u/ann") + "}"},
		{"wp_comments", "1", "comment_author_url", prodURL + "/blog", localURL + "/blog"},
		{"blobs", "1", "lat1", prodURL + "/café", localURL + "/café"},
		{"wp_comments", "1", "comment_content", "quote ' and backslash \\ next to " + prodURL + "\\'); DROP TABLE wp_users; -- ",
			"quote ' and backslash \\ next to " + localURL + "\\'); DROP TABLE wp_users; -- "},
	}
}

// wpDatabase creates a WordPress-shaped database with the cells, plus values
// that must not change.
func wpDatabase(t *testing.T, db *sql.DB) string {
	t.Helper()
	src := newDB(t, db, "wpsrc")
	q := "`" + src + "`."
	mustExec(t, db, "CREATE TABLE "+q+"wp_options (option_id BIGINT UNSIGNED PRIMARY KEY, option_name VARCHAR(191) NOT NULL UNIQUE, option_value LONGTEXT NOT NULL, autoload VARCHAR(20) NOT NULL DEFAULT 'yes') DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "CREATE TABLE "+q+"wp_posts (ID BIGINT UNSIGNED PRIMARY KEY, post_content LONGTEXT, guid VARCHAR(255), post_title TEXT) DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "CREATE TABLE "+q+"wp_postmeta (meta_id BIGINT UNSIGNED PRIMARY KEY, post_id BIGINT, meta_key VARCHAR(255), meta_value LONGTEXT) DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "CREATE TABLE "+q+"wp_usermeta (umeta_id BIGINT UNSIGNED PRIMARY KEY, user_id BIGINT, meta_key VARCHAR(255), meta_value LONGTEXT) DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "CREATE TABLE "+q+"wp_comments (comment_ID BIGINT UNSIGNED PRIMARY KEY, comment_author_url VARCHAR(200), comment_content TEXT) DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "CREATE TABLE "+q+"blobs (id INT PRIMARY KEY, b BLOB, lat1 VARCHAR(100) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4")
	mustExec(t, db, "INSERT INTO "+q+"wp_options VALUES (1,'siteurl','',DEFAULT),(2,'home','',DEFAULT),(3,'widget_text','',DEFAULT),(4,'nested','',DEFAULT),(5,'feed','',DEFAULT),"+
		"(6,'blogname','Example ''shop''','yes'),(7,'near','https://www.example.com.au https://www.example.community https://sub.www.example.com','no'),(8,'broken','s:99:\"x\";','no')")
	mustExec(t, db, "INSERT INTO "+q+"wp_postmeta VALUES (1,1,'_elementor_data',''),(2,1,'_json',''),(3,1,'_thumbnail_id','42')")
	mustExec(t, db, "INSERT INTO "+q+"wp_posts VALUES (1,'','','Hello'),(2,'no url here\r\n','http://other.test/?p=2','Ünïcödé ✓')")
	mustExec(t, db, "INSERT INTO "+q+"wp_usermeta VALUES (1,1,'prefs',''),(2,1,'nickname','ann')")
	mustExec(t, db, "INSERT INTO "+q+"wp_comments VALUES (1,'','')")
	mustExec(t, db, "INSERT INTO "+q+"blobs VALUES (1,'https://www.example.com','')")
	for _, c := range wpCells() {
		pk := map[string]string{"wp_options": "option_id", "wp_posts": "ID", "wp_postmeta": "meta_id", "wp_usermeta": "umeta_id", "wp_comments": "comment_ID", "blobs": "id"}[c.table]
		mustExec(t, db, "UPDATE "+q+c.table+" SET "+c.col+" = ? WHERE "+pk+" = ?", c.before, c.key)
	}
	return src
}

// allCells reads every cell of every table of a database as table/pk/column → value.
func allCells(t *testing.T, db *sql.DB, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range []string{"wp_options", "wp_posts", "wp_postmeta", "wp_usermeta", "wp_comments", "blobs"} {
		rows, err := db.QueryContext(t.Context(), "SELECT * FROM `"+name+"`."+tb+" ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				out[tb+"/"+string(vals[0])+"/"+c] = string(vals[i])
			}
		}
		rows.Close()
	}
	return out
}

// TestRewriteWordPress loads a WordPress-shaped database through Rewrite: the
// production URL becomes the local one in every form (plain, http variant,
// serialized with changed lengths, serialized in serialized, JSON with escaped
// slashes, scheme-relative), in every table; every serialized value still
// unserializes; nothing else changed (near misses, binary and latin1 columns).
func TestRewriteWordPress(t *testing.T) {
	db := server(t)
	src := wpDatabase(t, db)
	before := allCells(t, db, src)
	d := dump(t, src, dumpers.Options{})

	target := newDB(t, db, "wptgt")
	r := replacer(t)
	if err := mysql.Import(t.Context(), cfgFor(t, target), mysql.Rewrite(d, r), nil); err != nil {
		t.Fatal(err)
	}
	got := allCells(t, db, target)
	want := before
	for _, c := range wpCells() {
		k := c.table + "/" + c.key + "/" + c.col
		if want[k] != c.before {
			t.Fatalf("fixture %s: %q", k, want[k])
		}
		want[k] = c.after
	}
	equalMaps(t, "cell", want, got)
	if n := r.Changed(); n != int64(len(wpCells())) {
		t.Errorf("Changed() = %d, want %d", n, len(wpCells()))
	}
	for k, v := range got {
		if strings.Contains(v, "www.example.com") && k != "wp_options/7/option_value" && k != "blobs/1/b" {
			t.Errorf("%s still holds the production host: %q", k, v)
		}
		if phpser.Looks([]byte(v)) && !strings.HasPrefix(k, "wp_options/8/") {
			if _, ok := phpser.Rewrite([]byte(v), func(s []byte) []byte { return s }); !ok {
				t.Errorf("%s no longer unserializes: %q", k, v)
			}
			phpUnserializes(t, k, v)
		}
	}
}

// phpUnserializes checks v with PHP's own unserialize() when php is installed.
func phpUnserializes(t *testing.T, what, v string) {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		return
	}
	cmd := exec.CommandContext(t.Context(), php, "-r", `$v = stream_get_contents(STDIN); exit(@unserialize($v) === false && $v !== serialize(false) ? 1 : 0);`)
	cmd.Stdin = strings.NewReader(v)
	if err := cmd.Run(); err != nil {
		t.Errorf("%s: php unserialize fails: %q (%v)", what, v, err)
	}
}

// TestRewriteHostileLiterals feeds a data stream that a compromised source could
// write, with the production URL next to quotes and backslashes in every literal
// form the allow-list admits: after the rewrite every value is still one value
// (the table holds exactly these rows, nothing else ran), rewritten where it is
// text and left where it is binary.
func TestRewriteHostileLiterals(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "rwsrc")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY, v LONGTEXT, b LONGBLOB) DEFAULT CHARSET=utf8mb4")
	d := dump(t, src, dumpers.Options{})
	hex := func(s string) string { return fmt.Sprintf("%X", s) }
	stmt := "INSERT INTO `t` (`id`,`v`,`b`) VALUES " +
		`(1,'https://www.example.com\\',NULL),` + // value ends in a backslash
		`(2,'x\'https://www.example.com\');DROP TABLE t;--',NULL),` +
		`(3,"https://www.example.com"")",NULL),` +
		`(4,_latin1'https://www.example.com''',NULL),` +
		`(5,N'https://www.example.com\\\'',NULL),` +
		`(6,_utf8mb4 X'` + hex("https://www.example.com'\\") + `',NULL),` +
		`(7,_binary'https://www.example.com',X'` + hex("https://www.example.com") + `'),` +
		`(8,'50\% of https://www.example.com\_x\Z',0x` + hex("https://www.example.com") + `),` +
		`(9,'https://www.example.com' /* ') ; DROP TABLE t; -- */,NULL),` +
		`(10,'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(ser(prodURL+`'\`)) + `',NULL)` + ";\n" +
		"INSERT INTO `t` (`id`,`v`,`b`) VALUES (11,'//www.example.com',NULL);\n"
	d.Streams[dumpers.DataStream("t")] = []byte(stmt)
	target := newDB(t, db, "rwtgt")
	if err := mysql.Import(t.Context(), cfgFor(t, target), mysql.Rewrite(d, replacer(t)), nil); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		1:  localURL + `\`,
		2:  `x'` + localURL + `');DROP TABLE t;--`,
		3:  localURL + `")`,
		4:  localURL + `'`,
		5:  localURL + `\'`,
		6:  localURL + `'\`,
		7:  prodURL,
		8:  `50\% of ` + localURL + `\_x` + "\x1a",
		9:  localURL,
		10: ser(localURL + `'\`),
		11: "//example.test",
	}
	rows, err := db.QueryContext(t.Context(), "SELECT id, v, b FROM `"+target+"`.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int
		var v string
		var b []byte
		if err := rows.Scan(&id, &v, &b); err != nil {
			t.Fatal(err)
		}
		n++
		if v != want[id] {
			t.Errorf("row %d: %q, want %q", id, v, want[id])
		}
		if b != nil && !bytes.Equal(b, []byte(prodURL)) {
			t.Errorf("row %d: binary changed: %q", id, b)
		}
	}
	if n != len(want) {
		t.Errorf("%d rows, want %d", n, len(want))
	}
	if got := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", target); got != 1 {
		t.Errorf("%d tables in the target", got)
	}
}

// TestRewriteKeepsRefusals: a statement the allow-list refuses is not made
// acceptable (nor hidden) by the rewrite: the import still fails with ErrRefused.
func TestRewriteKeepsRefusals(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "rwref")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY, v TEXT)")
	d := dump(t, src, dumpers.Options{})
	for _, st := range []string{
		"INSERT INTO `t` (`id`,`v`) VALUES (1, CONCAT('https://www.example.com', USER()));\n",
		"INSERT INTO `t` (`id`,`v`) VALUES (1,'https://www.example.com');\nDROP TABLE t;\n",
		"INSERT INTO `t` (`id`,`v`) VALUES (1,'https://www.example.com')", // truncated
	} {
		d.Streams[dumpers.DataStream("t")] = []byte(st)
		err := mysql.Import(t.Context(), cfgFor(t, newDB(t, db, "rwreft")), mysql.Rewrite(d, replacer(t)), nil)
		if !errors.Is(err, dumpers.ErrRefused) && !errors.Is(err, mysql.ErrTruncated) {
			t.Errorf("%q: %v, want refused", st, err)
		}
	}
	_ = dumperstest.NewMem
}

// TestLookup reads WordPress's siteurl and home from a dump's stream and from a
// live database; what is missing gives an empty map, not an error.
func TestLookup(t *testing.T) {
	db := server(t)
	src := wpDatabase(t, db)
	d := dump(t, src, dumpers.Options{})
	name := dumpers.DataStream("wp_options")
	got, err := mysql.Lookup(bytes.NewReader(d.Streams[name]), name, "option_name", "option_value", "siteurl", "home", "blogname", "missing")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"siteurl": prodURL, "home": prodURL, "blogname": "Example 'shop'"}
	equalMaps(t, "stream", want, got)
	hostile := "INSERT INTO `wp_options` (`option_id`,`option_name`,`option_value`) VALUES (1,'siteurl',_utf8mb4 X'" + fmt.Sprintf("%X", "https://a.test") + "'),(2,'home',NULL),(-3,\"blogname\",'it\\'s');\n"
	got, err = mysql.Lookup(strings.NewReader(hostile), name, "option_name", "option_value", "siteurl", "home", "blogname")
	if err != nil {
		t.Fatal(err)
	}
	equalMaps(t, "hostile stream", map[string]string{"siteurl": "https://a.test", "blogname": "it's"}, got)
	if _, err := mysql.Lookup(strings.NewReader("DROP TABLE x;\n"), name, "option_name", "option_value", "siteurl"); !errors.Is(err, dumpers.ErrRefused) {
		t.Errorf("refused statement: %v", err)
	}

	got, err = mysql.LookupTable(t.Context(), cfgFor(t, src), "wp_options", "option_name", "option_value", "siteurl", "home")
	if err != nil {
		t.Fatal(err)
	}
	equalMaps(t, "table", map[string]string{"siteurl": prodURL, "home": prodURL}, got)
	for _, c := range []struct{ db, table string }{{src, "nope_options"}, {uniqueName("none"), "wp_options"}} {
		got, err = mysql.LookupTable(t.Context(), cfgFor(t, c.db), c.table, "option_name", "option_value", "siteurl")
		if err != nil || len(got) != 0 {
			t.Errorf("%s.%s: %v, %v", c.db, c.table, got, err)
		}
	}
}
