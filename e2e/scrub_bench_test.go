package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	peoplegen "synco/bench/gen/people"
	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/scrub"
)

// discard is a dumpers.Sink that only counts.
type discard struct {
	mu sync.Mutex
	n  int64
}

func (d *discard) Create(context.Context, string) (io.WriteCloser, error) { return d, nil }
func (d *discard) Write(p []byte) (int, error) {
	d.mu.Lock()
	d.n += int64(len(p))
	d.mu.Unlock()
	return len(p), nil
}
func (d *discard) Close() error { return nil }

// TestScrubBenchmark measures a WordPress-shaped database (50,000 users with
// meta, 100,000 comments, 20,000 posts): dump throughput with and without the
// WordPress scrub defaults, and what a destination downloads on day 2 after 1 %
// of the rows changed. It is a measurement, not a test: SYNCO_BENCH_SCRUB=1 runs it.
// SYNCO_BENCH_SCRUB_DATA=old: the first, repetitive people; SYNCO_BENCH_SCRUB_ROUNDS:
// publish rounds (7); SYNCO_BENCH_SCRUB_WARM: warm publishes per round (1);
// SYNCO_BENCH_SCRUB_BASE: another synco-lite build whose
// publishes run in the same rounds; SYNCO_BENCH_SCRUB_STORES: stores of the day-2
// measurement (5; 0 leaves it out).
func TestScrubBenchmark(t *testing.T) {
	if os.Getenv("SYNCO_BENCH_SCRUB") == "" {
		t.Skip("set SYNCO_BENCH_SCRUB=1 to run the scrub benchmark")
	}
	root := mariadb(t)
	src := dbName("synco_bench_scrub")
	t.Cleanup(func() { root.Exec("DROP DATABASE IF EXISTS " + src) })
	run := func(q string) {
		t.Helper()
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%.200s: %v", q, err)
		}
	}
	run("CREATE DATABASE " + src + " CHARACTER SET utf8mb4")
	run("CREATE TABLE " + src + ".wp_users (ID BIGINT UNSIGNED PRIMARY KEY, user_login VARCHAR(60), user_pass VARCHAR(255), user_nicename VARCHAR(50), user_email VARCHAR(100), user_url VARCHAR(100), display_name VARCHAR(250), UNIQUE KEY (user_email))")
	run("CREATE TABLE " + src + ".wp_usermeta (umeta_id BIGINT UNSIGNED PRIMARY KEY, user_id BIGINT UNSIGNED, meta_key VARCHAR(255), meta_value LONGTEXT)")
	run("CREATE TABLE " + src + ".wp_comments (comment_ID BIGINT UNSIGNED PRIMARY KEY, comment_post_ID BIGINT UNSIGNED, comment_author TINYTEXT, comment_author_email VARCHAR(100), comment_author_IP VARCHAR(100), comment_content TEXT, comment_agent VARCHAR(255))")
	run("CREATE TABLE " + src + ".wp_posts (ID BIGINT UNSIGNED PRIMARY KEY, post_title TEXT, post_content LONGTEXT)")
	run("CREATE TABLE " + src + ".wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)")
	r := newRand(3)
	insert := func(table string, rows []string) {
		for len(rows) > 0 {
			n := min(len(rows), 2000)
			run("INSERT INTO " + src + "." + table + " VALUES " + strings.Join(rows[:n], ","))
			rows = rows[n:]
		}
	}
	users, meta, comments := scrubBenchPeople(r, os.Getenv("SYNCO_BENCH_SCRUB_DATA") == "old")
	var posts []string
	for i := range 20000 {
		posts = append(posts, fmt.Sprintf("(%d,'%s','%s')", i+1, text(r, 40), text(r, 1000+r.IntN(2000))))
	}
	insert("wp_users", users)
	insert("wp_usermeta", meta)
	insert("wp_comments", comments)
	insert("wp_posts", posts)
	run("INSERT INTO " + src + ".wp_options VALUES (1,'siteurl','https://example.com')")
	proj := t.TempDir()
	writeFile(t, filepath.Join(proj, "wp-config.php"), []byte(`<?php
define( 'DB_NAME', '`+src+`' ); define( 'DB_USER', 'root' ); define( 'DB_PASSWORD', '' ); define( 'DB_HOST', '127.0.0.1:3306' );
$table_prefix = 'wp_';
`), 0o644)

	// Dump cost, in process: CPU time (user + system, this process: the driver and
	// the dumper, not the database server) of 7 interleaved rounds, medians.
	cfg, err := mysql.ParseDSN("mysql://root@127.0.0.1:3306/" + src)
	if err != nil {
		t.Fatal(err)
	}
	specs, _ := scrub.Defaults("wordpress", "wp_")
	cpu := map[bool][]time.Duration{}
	var size int64
	for round := range 7 {
		for _, scrubbed := range []bool{round%2 == 1, round%2 == 0} {
			opt := dumpers.Options{Parallel: 2}
			if scrubbed {
				opt.Scrub = scrub.New([32]byte{1}, "wordpress", specs)
			}
			sink := &discard{}
			c0 := selfCPU()
			if err := mysql.NewDumper(cfg).Dump(t.Context(), sink, opt); err != nil {
				t.Fatal(err)
			}
			cpu[scrubbed] = append(cpu[scrubbed], selfCPU()-c0)
			size = sink.n
		}
	}
	mb := float64(size) / 1e6
	for _, sc := range []bool{false, true} {
		slices.Sort(cpu[sc])
	}
	p0, p1 := cpu[false][3], cpu[true][3]
	t.Logf("dump of %.1f MB, CPU median of 7: unscrubbed %v [%v–%v], scrubbed %v [%v–%v]: %+.1f %%", mb,
		p0.Round(time.Millisecond), cpu[false][0].Round(time.Millisecond), cpu[false][6].Round(time.Millisecond),
		p1.Round(time.Millisecond), cpu[true][0].Round(time.Millisecond), cpu[true][6].Round(time.Millisecond),
		100*(p1.Seconds()/p0.Seconds()-1))

	// Publish cost: CPU time (user + system) of synco-lite publish (dump, chunk,
	// compress, seal; not the database server's), cold (a new store) and warm (the
	// same store again, nothing changed), scrubbed and not, interleaved, medians.
	// SYNCO_BENCH_SCRUB_BASE names another build of synco-lite (the one to compare
	// with): its publishes run in the same rounds, in alternating order.
	rounds := 7
	if n, err := strconv.Atoi(os.Getenv("SYNCO_BENCH_SCRUB_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	warms := 1 // warm publishes per round and variant
	if n, err := strconv.Atoi(os.Getenv("SYNCO_BENCH_SCRUB_WARM")); err == nil && n > 0 {
		warms = n
	}
	builds := []struct{ name, bin string }{{"this build", bin.lite}}
	if b := os.Getenv("SYNCO_BENCH_SCRUB_BASE"); b != "" {
		builds = append(builds, struct{ name, bin string }{"base " + filepath.Base(b), b})
	}
	pubCPU := func(lite, state string, scrubbed bool) time.Duration {
		t.Helper()
		www := t.TempDir()
		srv := serveStatic(t, www)
		args := []string{"publish", "--out", www, "--url", srv.url, "--state-dir", state}
		if !scrubbed {
			args = append(args, "--no-scrub")
		}
		p := &publisher{proc: startDir(t, proj, lite, "", nil, args...)}
		waitFor(t, 300*time.Second, "the publication", func() bool {
			if p.exited() {
				t.Fatalf("publish exited with %d\n%s", p.code, p.stderr.String())
			}
			return strings.Contains(p.stderr.String(), "serving until")
		})
		p.stop()
		return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	}
	type variant struct {
		build    int
		scrubbed bool
	}
	pub := map[variant][2][]time.Duration{} // cold, warm: one per round
	for round := range rounds {
		var order []variant
		for k := range builds {
			b := (k + round) % len(builds)
			order = append(order, variant{b, round%2 == 1}, variant{b, round%2 == 0})
		}
		for _, v := range order {
			state := t.TempDir()
			c := pub[v]
			c[0] = append(c[0], pubCPU(builds[v.build].bin, state, v.scrubbed))
			for range warms {
				c[1] = append(c[1], pubCPU(builds[v.build].bin, state, v.scrubbed))
			}
			pub[v] = c
		}
	}
	for b, build := range builds {
		for i, what := range []string{"cold", "warm"} {
			var m [2]time.Duration
			n := len(pub[variant{b, false}][i]) // runs: rounds, or rounds × warms
			for j, sc := range []bool{false, true} {
				v := slices.Clone(pub[variant{b, sc}][i])
				slices.Sort(v)
				m[j] = v[len(v)/2]
				t.Logf("%s: publish CPU, %s, scrubbed=%v, %d runs: median %v [%v–%v]", build.name, what, sc, n, m[j].Round(time.Millisecond),
					v[0].Round(time.Millisecond), v[len(v)-1].Round(time.Millisecond))
			}
			var ratios []float64 // per round: the runs next to each other
			for r := range n {
				ratios = append(ratios, pub[variant{b, true}][i][r].Seconds()/pub[variant{b, false}][i][r].Seconds())
			}
			slices.Sort(ratios)
			t.Logf("%s: publish CPU, %s: scrubbed %+.1f %% (medians), %+.1f %% (median of the rounds' ratios, [%+.1f %% – %+.1f %%])", build.name, what,
				100*(m[1].Seconds()/m[0].Seconds()-1), 100*(ratios[n/2]-1), 100*(ratios[0]-1), 100*(ratios[n-1]-1))
		}
	}
	stores := 5
	if n, err := strconv.Atoi(os.Getenv("SYNCO_BENCH_SCRUB_STORES")); err == nil && n >= 0 {
		stores = n
	}
	if stores == 0 {
		return // SYNCO_BENCH_SCRUB_STORES=0: no day-2 measurement
	}

	// What the scrubber itself does to a day-2 delta, independent of any chunker:
	// the bytes of dump lines (rows) of day 2 that day 1 does not have.
	dumpLines := func(rules *scrub.Rules) map[string]int {
		t.Helper()
		sink := &memSink{streams: map[string]*bytes.Buffer{}}
		if err := mysql.NewDumper(cfg).Dump(t.Context(), sink, dumpers.Options{Parallel: 2, Scrub: rules}); err != nil {
			t.Fatal(err)
		}
		lines := map[string]int{}
		for _, name := range slices.Sorted(maps.Keys(sink.streams)) {
			if b := sink.streams[name]; b.Len() > 1<<20 {
				// compressed in 16 KiB pieces, about a chunk each: what fakes cost a delta
				enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
				var z int
				for p := b.Bytes(); len(p) > 0; p = p[min(len(p), 16<<10):] {
					z += len(enc.EncodeAll(p[:min(len(p), 16<<10)], nil))
				}
				t.Logf("scrubbed=%v %s: %d bytes, %d compressed in 16 KiB pieces", rules != nil, name, b.Len(), z)
			}
		}
		for _, b := range sink.streams {
			for l := range bytes.Lines(b.Bytes()) {
				lines[string(l)]++
			}
		}
		return lines
	}
	newLines := func(day1, day2 map[string]int) (n int64) {
		for l, c := range day2 {
			if d := c - day1[l]; d > 0 {
				n += int64(d * len(l))
			}
		}
		return n
	}
	edit := func() {
		run("UPDATE " + src + ".wp_users SET display_name = CONCAT(display_name, ' Jr.') WHERE ID % 100 = 7")
		run("UPDATE " + src + ".wp_usermeta SET meta_value = CONCAT(meta_value, '0') WHERE meta_key = 'billing_phone' AND user_id % 25 = 1")
		run("UPDATE " + src + ".wp_comments SET comment_content = CONCAT(comment_content, ' (edited)') WHERE comment_ID % 100 = 11")
		run("INSERT INTO " + src + ".wp_comments SELECT comment_ID + 100000, comment_post_ID, comment_author, comment_author_email, comment_author_IP, comment_content, comment_agent FROM " + src + ".wp_comments WHERE comment_ID <= 1000")
	}
	revert := func() {
		run("DELETE FROM " + src + ".wp_comments WHERE comment_ID > 100000")
		run("UPDATE " + src + ".wp_comments SET comment_content = LEFT(comment_content, CHAR_LENGTH(comment_content) - 9) WHERE comment_ID % 100 = 11")
		run("UPDATE " + src + ".wp_usermeta SET meta_value = LEFT(meta_value, CHAR_LENGTH(meta_value) - 1) WHERE meta_key = 'billing_phone' AND user_id % 25 = 1")
		run("UPDATE " + src + ".wp_users SET display_name = LEFT(display_name, CHAR_LENGTH(display_name) - 4) WHERE ID % 100 = 7")
	}
	checksum := func() string {
		var out []string
		for _, tb := range []string{"wp_users", "wp_usermeta", "wp_comments", "wp_posts"} {
			var name, sum string
			if err := root.QueryRow("CHECKSUM TABLE "+src+"."+tb).Scan(&name, &sum); err != nil {
				t.Fatal(err)
			}
			out = append(out, sum)
		}
		return strings.Join(out, ",")
	}
	day1Sum := checksum()
	rules := scrub.New([32]byte{1}, "wordpress", specs)
	plain1, scrubbed1 := dumpLines(nil), dumpLines(rules)
	edit()
	plain2, scrubbed2 := dumpLines(nil), dumpLines(rules)
	revert()
	np, ns := newLines(plain1, plain2), newLines(scrubbed1, scrubbed2)
	t.Logf("day-2 new row bytes (no chunker): unscrubbed %d, scrubbed %d: %+.1f %%", np, ns, 100*(float64(ns)/float64(np)-1))

	// Publish → fetch, day 1 and day 2 (1 % of the users, meta and comments edited,
	// 1 % more comments), scrubbed and not, each with stores new stores (a store's
	// secret chunker polynomial and scrub key are its own): the same edits on the
	// same data, the spread of the stores shows the chunker's share.
	type result struct {
		day   [2]stats
		ready [2]time.Duration
		cpu   [2]time.Duration // user + system time of synco-lite publish
	}
	results := map[bool][]result{}
	pubFetch := func(state, cache string, scrubbed bool) (stats, time.Duration, time.Duration) {
		www := t.TempDir()
		srv := serveStatic(t, www)
		args := []string{"publish", "--out", www, "--url", srv.url, "--state-dir", state}
		if !scrubbed {
			args = append(args, "--no-scrub")
		}
		p := &publisher{proc: startDir(t, proj, bin.lite, "", nil, args...)}
		waitFor(t, 300*time.Second, "the publication", func() bool {
			if p.exited() {
				t.Fatalf("publish exited with %d\n%s", p.code, p.stderr.String())
			}
			return strings.Contains(p.stderr.String(), "serving until")
		})
		line, _, _ := strings.Cut(p.stdout.String(), "\n")
		res := fetchDB(t, strings.TrimPrefix(line, "synco fetch "), "", filepath.Join(t.TempDir(), "out"), cache)
		if res.code != 0 {
			t.Fatalf("fetch: %s", res.stderr)
		}
		var ready time.Duration
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			if i := strings.Index(l, "ready in "); i >= 0 {
				ready, _ = time.ParseDuration(l[i+9 : i+9+strings.IndexByte(l[i+9:], ':')])
			}
		}
		p.stop()
		ps := p.cmd.ProcessState
		return res.stats(t), ready, ps.UserTime() + ps.SystemTime()
	}
	for s := range stores {
		order := []bool{false, true}
		if s%2 == 1 {
			order = []bool{true, false}
		}
		dirs := map[bool][2]string{}
		rs := map[bool]*result{false: {}, true: {}}
		for _, sc := range order {
			dirs[sc] = [2]string{t.TempDir(), t.TempDir()}
		}
		for day := range 2 {
			for _, sc := range order {
				rs[sc].day[day], rs[sc].ready[day], rs[sc].cpu[day] = pubFetch(dirs[sc][0], dirs[sc][1], sc)
			}
			if day == 0 {
				edit()
			}
		}
		revert()
		if sum := checksum(); sum != day1Sum {
			t.Fatalf("the edits did not revert: %s, want %s", sum, day1Sum)
		}
		for _, sc := range order {
			results[sc] = append(results[sc], *rs[sc])
			t.Logf("store %d scrubbed=%v: ready in %v / %v, CPU %v / %v; day 1 %d bytes, day 2 %d bytes (%d of %d chunks from cache)", s+1, sc,
				rs[sc].ready[0], rs[sc].ready[1], rs[sc].cpu[0], rs[sc].cpu[1], rs[sc].day[0].BytesDownloaded, rs[sc].day[1].BytesDownloaded,
				rs[sc].day[1].ChunksFromCache, rs[sc].day[1].ChunksTotal)
		}
	}
	med := func(sc bool, f func(result) float64) (m, lo, hi float64) {
		var v []float64
		for _, r := range results[sc] {
			v = append(v, f(r))
		}
		slices.Sort(v)
		m = v[len(v)/2]
		if len(v)%2 == 0 {
			m = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		return m, v[0], v[len(v)-1]
	}
	for _, m := range []struct {
		name string
		f    func(result) float64
	}{
		{"day-1 bytes", func(r result) float64 { return float64(r.day[0].BytesDownloaded) }},
		{"day-2 bytes", func(r result) float64 { return float64(r.day[1].BytesDownloaded) }},
		{"publish day 1 (cold), s", func(r result) float64 { return r.ready[0].Seconds() }},
		{"publish day 2, s", func(r result) float64 { return r.ready[1].Seconds() }},
		{"publish CPU day 1 (cold), s", func(r result) float64 { return r.cpu[0].Seconds() }},
		{"publish CPU day 2, s", func(r result) float64 { return r.cpu[1].Seconds() }},
	} {
		p, plo, phi := med(false, m.f)
		q, qlo, qhi := med(true, m.f)
		t.Logf("%s over %d stores: unscrubbed median %.6g [%.6g–%.6g], scrubbed median %.6g [%.6g–%.6g]: %+.1f %%",
			m.name, stores, p, plo, phi, q, qlo, qhi, 100*(q/p-1))
	}
}

// memSink is a dumpers.Sink that keeps every stream in memory.
type memSink struct {
	mu      sync.Mutex
	streams map[string]*bytes.Buffer
}

func (m *memSink) Create(_ context.Context, name string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &bytes.Buffer{}
	m.streams[name] = b
	return nopCloser{b}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// scrubBenchPeople are the rows of wp_users, wp_usermeta and wp_comments of the
// scrub benchmark: 50,000 users and 100,000 comments. With old, the people of the
// first measurements (people: 8 first and 8 last names, e-mails and phone numbers
// that differ in a counter, four meta rows per user, every comment by a user): far
// more repetitive than real personal data, so they flatter the unscrubbed side.
// Otherwise realistic people (bench/gen/people: long name lists with a Zipf-like
// spread, e-mails and logins made from the names, real phone formats, public IPs,
// addresses), a WooCommerce shop's usermeta (names, nickname, billing phone,
// address, postcode and city: eight meta rows per user), and comments by users
// (70 %, from one of their two addresses) and by guests (30 %, one to three
// comments each).
func scrubBenchPeople(r *rand.Rand, old bool) (users, meta, comments []string) {
	comment := func(i int, name, email, ip string) string {
		return fmt.Sprintf("(%d,%d,%s,%s,%s,'%s','Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0')", i+1, 1+r.IntN(20000),
			sqlQuote(name), sqlQuote(email), sqlQuote(ip), text(r, 100+r.IntN(400)), 100+r.IntN(30))
	}
	if old {
		ps := people(50000)
		for i, p := range ps {
			login := fmt.Sprintf("%s%d", strings.ToLower(p.last), i)
			users = append(users, fmt.Sprintf("(%d,'%s','$P$B%022d','%s',%s,'',%s)", i+1, login, i, login, sqlQuote(p.email), sqlQuote(p.first+" "+p.last)))
			meta = append(meta, fmt.Sprintf("(%d,%d,'first_name',%s)", 4*i+1, i+1, sqlQuote(p.first)),
				fmt.Sprintf("(%d,%d,'last_name',%s)", 4*i+2, i+1, sqlQuote(p.last)),
				fmt.Sprintf("(%d,%d,'billing_phone',%s)", 4*i+3, i+1, sqlQuote(p.phone)),
				fmt.Sprintf("(%d,%d,'wp_capabilities','a:1:{s:8:\"customer\";b:1;}')", 4*i+4, i+1))
		}
		for i := range 100000 {
			p := ps[r.IntN(len(ps))]
			comments = append(comments, comment(i, p.first+" "+p.last, p.email, p.ip))
		}
		return users, meta, comments
	}
	g := peoplegen.New(3)
	ps := g.People(50000)
	ips := make([]string, len(ps)) // each user's second address
	for i, p := range ps {
		ips[i] = g.Person().IP
		users = append(users, fmt.Sprintf("(%d,%s,'$P$B%s','%s',%s,'',%s)", i+1, sqlQuote(p.Login), phpass(r), p.Nicename,
			sqlQuote(p.Email), sqlQuote(p.Display)))
		id := 8 * i
		for j, kv := range [][2]string{{"first_name", p.First}, {"last_name", p.Last}, {"nickname", p.Login},
			{"billing_phone", p.Phone}, {"billing_address_1", p.Street}, {"billing_postcode", p.Postcode}, {"billing_city", p.City},
			{"wp_capabilities", `a:1:{s:8:"customer";b:1;}`}} {
			meta = append(meta, fmt.Sprintf("(%d,%d,'%s',%s)", id+j+1, i+1, kv[0], sqlQuote(kv[1])))
		}
	}
	var guest peoplegen.Person
	guestLeft := 0
	for i := range 100000 {
		if r.IntN(10) < 7 {
			k := r.IntN(len(ps))
			p, ip := ps[k], ps[k].IP
			if r.IntN(2) == 0 {
				ip = ips[k]
			}
			comments = append(comments, comment(i, p.First+" "+p.Last, p.Email, ip))
			continue
		}
		if guestLeft == 0 {
			guest, guestLeft = g.Person(), 1+r.IntN(3)
		}
		guestLeft--
		comments = append(comments, comment(i, guest.First+" "+guest.Last, guest.Email, guest.IP))
	}
	return users, meta, comments
}

// selfCPU is the CPU time (user and system) this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// phpass is the salt and hash of a WordPress (phpass) password hash.
func phpass(r *rand.Rand) string {
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 30)
	for i := range b {
		b[i] = itoa64[r.IntN(64)]
	}
	return string(b)
}
