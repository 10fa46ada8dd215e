package mysql

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/zstd"

	"synco/bench/gen/people"
	"synco/dumpers/scrub"
)

// benchTable is one table of WordPress-shaped rows as the driver hands them over.
type benchTable struct {
	t    *table
	rows [][]sql.RawBytes
}

// wordpressRows are the tables of e2e's scrub benchmark at 1/10 of its size: 5,000
// users, 10,000 comments, 2,000 posts. With data "wp", its first people: 8 first
// and 8 last names, four meta rows per user, commenting twice on average; with
// "unique", every person has a name of their own and every comment is by a guest
// seen only once (no value to fake repeats: the worst case for the scrubber); with
// "real", realistic people (bench/gen/people) in a WooCommerce shop's eight meta
// rows per user, 70 % of the comments by users, 30 % by guests.
func wordpressRows(data string) []benchTable {
	unique := data == "unique"
	r := rand.New(rand.NewPCG(3, 0x5eed))
	firsts := []string{"Jolanda", "Bartholomäus", "Sieglinde", "Thorvald", "Kunigunde", "Leopoldine", "Ottokar", "Walburga"}
	lasts := []string{"Quirrenbach", "Zwetschke", "Obermoser", "Pfeffersack", "Rautenstrauch", "Wimmelbach", "Haberkorn", "Glöckler"}
	words := strings.Fields("lorem ipsum dolor sit amet order customer invoice page content title draft published archived user session cache value price shipping address berlin paris tokyo blue green red small large")
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()[:n]
	}
	raw := func(vs ...any) []sql.RawBytes {
		out := make([]sql.RawBytes, len(vs))
		for i, v := range vs {
			switch v := v.(type) {
			case nil:
			case int:
				out[i] = fmt.Appendf(nil, "%d", v)
			case string:
				out[i] = []byte(v)
			}
		}
		return out
	}
	cols := func(spec ...string) []column {
		var out []column
		for _, s := range spec {
			name, typ, _ := strings.Cut(s, " ")
			c := column{name: name, kind: kindString}
			switch typ {
			case "int":
				c.kind = kindNumber
			case "longtext":
				c.maxLen = 1<<32 - 1
			case "text":
				c.maxLen = 65535
			default:
				fmt.Sscanf(typ, "varchar(%d)", &c.maxLen)
			}
			out = append(out, c)
		}
		return out
	}
	type person struct{ first, last, email, ip, phone string }
	ps := make([]person, 5000)
	mk := func(i int) person {
		f, l := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
		if unique {
			f, l = fmt.Sprintf("%s%c%c", f, 'a'+i%26, 'a'+i/26%26), fmt.Sprintf("%s%c", l, 'a'+i/676%26)
		}
		return person{first: f, last: l,
			email: fmt.Sprintf("%s.%s%d@posteo-mail.de", strings.ToLower(f[:3]), strings.ToLower(l[:4]), i),
			ip:    fmt.Sprintf("203.0.%d.%d", i/250, 1+i%250),
			phone: fmt.Sprintf("+49 171 %07d", 4400000+i*7)}
	}
	for i := range ps {
		ps[i] = mk(i)
	}
	if data == "real" {
		return realRows(r, text, raw, cols)
	}
	users := benchTable{t: &table{name: "wp_users", columns: cols("ID int", "user_login varchar(60)", "user_pass varchar(255)",
		"user_nicename varchar(50)", "user_email varchar(100)", "user_url varchar(100)", "display_name varchar(250)")}}
	meta := benchTable{t: &table{name: "wp_usermeta", columns: cols("umeta_id int", "user_id int", "meta_key varchar(255)", "meta_value longtext")}}
	for i, p := range ps {
		login := fmt.Sprintf("%s%d", strings.ToLower(p.last), i)
		users.rows = append(users.rows, raw(i+1, login, fmt.Sprintf("$P$B%022d", i), login, p.email, "", p.first+" "+p.last))
		meta.rows = append(meta.rows, raw(4*i+1, i+1, "first_name", p.first), raw(4*i+2, i+1, "last_name", p.last),
			raw(4*i+3, i+1, "billing_phone", p.phone), raw(4*i+4, i+1, "wp_capabilities", `a:1:{s:8:"customer";b:1;}`))
	}
	comments := benchTable{t: &table{name: "wp_comments", columns: cols("comment_ID int", "comment_post_ID int", "comment_author varchar(255)",
		"comment_author_email varchar(100)", "comment_author_IP varchar(100)", "comment_content text", "comment_agent varchar(255)")}}
	for i := range 10000 {
		p := ps[r.IntN(len(ps))]
		if unique {
			p = mk(len(ps) + i)
		}
		comments.rows = append(comments.rows, raw(i+1, 1+r.IntN(2000), p.first+" "+p.last, p.email, p.ip, text(100+r.IntN(400)),
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0", 100+r.IntN(30))))
	}
	posts := benchTable{t: &table{name: "wp_posts", columns: cols("ID int", "post_title text", "post_content longtext")}}
	for i := range 2000 {
		posts.rows = append(posts.rows, raw(i+1, text(40), text(1000+r.IntN(2000))))
	}
	return []benchTable{users, meta, comments, posts}
}

// BenchmarkWriteRows is the row-writing path of a dump (appendRow) over
// WordPress-shaped rows, without and with WordPress's default scrub rules. Bytes
// per op are the unscrubbed rows' SQL text.
func BenchmarkWriteRows(b *testing.B) {
	for _, data := range []string{"wp", "unique", "real"} {
		b.Run("data="+data, func(b *testing.B) { benchWriteRows(b, wordpressRows(data)) })
	}
}

func benchWriteRows(b *testing.B, tables []benchTable) {
	specs, _ := scrub.Defaults("wordpress", "wp_")
	var size int64
	for _, bt := range tables {
		_, cols := dataQuery(bt.t, "")
		scratch := make([][]byte, len(cols))
		for _, r := range bt.rows {
			size += int64(len(appendRow(nil, r, scratch, cols, nil))) + 2
		}
	}
	for _, scrubbed := range []bool{false, true} {
		b.Run(map[bool]string{false: "rules=none", true: "rules=wordpress"}[scrubbed], func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var row []byte
			cpu0 := cpuTime()
			for b.Loop() {
				var rules *scrub.Rules
				if scrubbed {
					rules = scrub.New([32]byte{1}, "wordpress", specs)
				}
				for _, bt := range tables {
					_, cols := dataQuery(bt.t, "")
					sc := scrubTable(rules, bt.t)
					scratch := make([][]byte, len(cols))
					for _, r := range bt.rows {
						row = appendRow(row[:0], r, scratch, cols, sc)
					}
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time (user and system) the process used so far, in
// nanoseconds: on a loaded machine a steadier measure than the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// realRows are wordpressRows' tables with realistic people, laid out as in e2e's
// scrub benchmark.
func realRows(r *rand.Rand, text func(int) string, raw func(...any) []sql.RawBytes, cols func(...string) []column) []benchTable {
	g := people.New(3)
	ps := g.People(5000)
	users := benchTable{t: &table{name: "wp_users", columns: cols("ID int", "user_login varchar(60)", "user_pass varchar(255)",
		"user_nicename varchar(50)", "user_email varchar(100)", "user_url varchar(100)", "display_name varchar(250)")}}
	meta := benchTable{t: &table{name: "wp_usermeta", columns: cols("umeta_id int", "user_id int", "meta_key varchar(255)", "meta_value longtext")}}
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i, p := range ps {
		pass := []byte("$P$B" + strings.Repeat(".", 30)) // phpass: salt and hash
		for j := 4; j < len(pass); j++ {
			pass[j] = itoa64[r.IntN(64)]
		}
		users.rows = append(users.rows, raw(i+1, p.Login, string(pass), p.Nicename, p.Email, "", p.Display))
		for j, kv := range [][2]string{{"first_name", p.First}, {"last_name", p.Last}, {"nickname", p.Login},
			{"billing_phone", p.Phone}, {"billing_address_1", p.Street}, {"billing_postcode", p.Postcode}, {"billing_city", p.City},
			{"wp_capabilities", `a:1:{s:8:"customer";b:1;}`}} {
			meta.rows = append(meta.rows, raw(8*i+j+1, i+1, kv[0], kv[1]))
		}
	}
	comments := benchTable{t: &table{name: "wp_comments", columns: cols("comment_ID int", "comment_post_ID int", "comment_author varchar(255)",
		"comment_author_email varchar(100)", "comment_author_IP varchar(100)", "comment_content text", "comment_agent varchar(255)")}}
	var guest people.Person
	guestLeft := 0
	for i := range 10000 {
		p := ps[r.IntN(len(ps))]
		if r.IntN(10) >= 7 {
			if guestLeft == 0 {
				guest, guestLeft = g.Person(), 1+r.IntN(3)
			}
			guestLeft--
			p = guest
		}
		comments.rows = append(comments.rows, raw(i+1, 1+r.IntN(2000), p.First+" "+p.Last, p.Email, p.IP, text(100+r.IntN(400)),
			fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0", 100+r.IntN(30))))
	}
	posts := benchTable{t: &table{name: "wp_posts", columns: cols("ID int", "post_title text", "post_content longtext")}}
	for i := range 2000 {
		posts.rows = append(posts.rows, raw(i+1, text(40), text(1000+r.IntN(2000))))
	}
	return []benchTable{users, meta, comments, posts}
}

// TestScrubSizes reports, per table of wordpressRows, the bytes of the rows and
// their size compressed as the store compresses chunks (zstd fastest, all
// literals entropy-coded) in 16 KiB pieces, about a chunk each: what fakes cost a
// day-2 download when a table's chunks change. A measurement, not a test:
// SYNCO_SCRUB_SIZES=1 runs it.
func TestScrubSizes(t *testing.T) {
	if os.Getenv("SYNCO_SCRUB_SIZES") == "" {
		t.Skip("set SYNCO_SCRUB_SIZES=1 to report the compressed sizes of scrubbed rows")
	}
	specs, _ := scrub.Defaults("wordpress", "wp_")
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
		zstd.WithAllLitEntropyCompression(true), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{"wp", "real"} {
		var sum [2]int
		for _, bt := range wordpressRows(data) {
			var z [2]int
			for k, rules := range []*scrub.Rules{nil, scrub.New([32]byte{1}, "wordpress", specs)} {
				_, cols := dataQuery(bt.t, "")
				sc := scrubTable(rules, bt.t)
				scratch := make([][]byte, len(cols))
				var b []byte
				for _, r := range bt.rows {
					b = append(appendRow(b, r, scratch, cols, sc), ",\n"...)
				}
				for p := b; len(p) > 0; p = p[min(len(p), 16<<10):] {
					z[k] += len(enc.EncodeAll(p[:min(len(p), 16<<10)], nil))
				}
				sum[k] += z[k]
			}
			t.Logf("data=%s %s: compressed %d unscrubbed, %d scrubbed: %+.1f %%", data, bt.t.name, z[0], z[1], 100*(float64(z[1])/float64(z[0])-1))
		}
		t.Logf("data=%s all: compressed %d unscrubbed, %d scrubbed: %+.1f %%", data, sum[0], sum[1], 100*(float64(sum[1])/float64(sum[0])-1))
	}
}

// TestAppendRowScrubbed: a scrubbed row is written as it was before fakes that need
// no escaping skipped appendString (appendRowRef), for the bench's rows and for
// values and constants that need escaping, in text and numeric columns.
func TestAppendRowScrubbed(t *testing.T) {
	specs, _ := scrub.Defaults("wordpress", "wp_")
	hostile := benchTable{t: &table{name: "t", columns: []column{{name: "n", kind: kindNumber}, {name: "q", kind: kindString},
		{name: "p", kind: kindString}, {name: "x", kind: kindString}, {name: "c", kind: kindString}, {name: "k", kind: kindNumber},
		{name: "e", kind: kindString}, {name: "b", kind: kindBinary}}}}
	for _, v := range []string{"O'Brien", `back\slash`, "cr\r\nlf", "nul\x00", "ctrl-z\x1a", "bad\xffutf8", "Grüße", "", "12", "+49 (30) 'x'\\"} {
		hostile.rows = append(hostile.rows, []sql.RawBytes{[]byte("7"), []byte(v), []byte(v), []byte(v), []byte(v), []byte(v), []byte(v), []byte(v)})
	}
	hostile.rows = append(hostile.rows, make([]sql.RawBytes, 8)) // NULLs
	specs = append(specs, spec(t, "t.q=name"), spec(t, "t.p=phone"), spec(t, "t.x=text"), spec(t, "t.c=const:it's"),
		spec(t, "t.k=const:x"), spec(t, "t.e=empty"), spec(t, "t.b=email"), spec(t, "t.n=ip"))
	for _, data := range []string{"wp", "unique", "real", "hostile"} {
		tables := []benchTable{hostile}
		if data != "hostile" {
			tables = wordpressRows(data)
		}
		rules := scrub.New([32]byte{1}, "wordpress", specs)
		ref := scrub.New([32]byte{1}, "wordpress", specs)
		for _, bt := range tables {
			_, cols := dataQuery(bt.t, "")
			sc, scRef := scrubTable(rules, bt.t), scrubTable(ref, bt.t)
			scratch := make([][]byte, len(cols))
			for i, r := range bt.rows {
				got := string(appendRow(nil, r, scratch, cols, sc))
				want := string(appendRowRef(nil, r, scratch, cols, scRef))
				if got != want {
					t.Fatalf("%s row %d:\n got %s\nwant %s", bt.t.name, i, got, want)
				}
			}
		}
	}
}

func spec(t *testing.T, s string) scrub.Spec {
	t.Helper()
	sp, err := scrub.ParseSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// appendRowRef is appendRow as it was before Clean: every value through appendValue.
func appendRowRef(b []byte, vals []sql.RawBytes, scratch [][]byte, cols []column, sc *scrub.Table) []byte {
	for i, v := range vals {
		scratch[i] = v
	}
	if sc != nil {
		sc.Row(scratch)
	}
	b = append(b, '(')
	for i, v := range scratch {
		if i > 0 {
			b = append(b, ',')
		}
		if k := cols[i].kind; sc != nil && k == kindNumber && !isNumber(v) {
			b = appendString(b, v)
			continue
		}
		b = appendValue(b, v, cols[i].kind)
	}
	return append(b, ')')
}
