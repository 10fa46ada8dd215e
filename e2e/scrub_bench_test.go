package e2e_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	ps := people(50000)
	insert := func(table string, rows []string) {
		for len(rows) > 0 {
			n := min(len(rows), 2000)
			run("INSERT INTO " + src + "." + table + " VALUES " + strings.Join(rows[:n], ","))
			rows = rows[n:]
		}
	}
	var users, meta, comments, posts []string
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
		comments = append(comments, fmt.Sprintf("(%d,%d,%s,%s,%s,'%s','Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0')", i+1, 1+r.IntN(20000), sqlQuote(p.first+" "+p.last), sqlQuote(p.email), sqlQuote(p.ip), text(r, 100+r.IntN(400)), 100+r.IntN(30)))
	}
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

	// Dump throughput, in process: alternate rounds, best of each.
	cfg, err := mysql.ParseDSN("mysql://root@127.0.0.1:3306/" + src)
	if err != nil {
		t.Fatal(err)
	}
	specs, _ := scrub.Defaults("wordpress", "wp_")
	best := map[bool]time.Duration{}
	var size int64
	for range 3 {
		for _, scrubbed := range []bool{false, true} {
			opt := dumpers.Options{Parallel: 2}
			if scrubbed {
				opt.Scrub = scrub.New([32]byte{1}, "wordpress", specs)
			}
			sink := &discard{}
			start := time.Now()
			if err := mysql.NewDumper(cfg).Dump(t.Context(), sink, opt); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			if best[scrubbed] == 0 || d < best[scrubbed] {
				best[scrubbed] = d
			}
			size = sink.n
		}
	}
	mb := float64(size) / 1e6
	t.Logf("dump of %.1f MB: unscrubbed %v (%.0f MB/s), scrubbed %v (%.0f MB/s): %+.1f %%", mb,
		best[false].Round(time.Millisecond), mb/best[false].Seconds(), best[true].Round(time.Millisecond), mb/best[true].Seconds(),
		100*(best[true].Seconds()/best[false].Seconds()-1))

	// Publish → fetch, day 1 and day 2 (1 % of the users, meta and comments edited,
	// 1 % more comments), scrubbed and not.
	type run2 struct {
		state, cache string
		day          [2]stats
		ready        [2]string
	}
	runs := map[bool]*run2{false: {state: t.TempDir(), cache: t.TempDir()}, true: {state: t.TempDir(), cache: t.TempDir()}}
	pubFetch := func(scrubbed bool, day int) {
		rr := runs[scrubbed]
		www := t.TempDir()
		srv := serveStatic(t, www)
		args := []string{"publish", "--out", www, "--url", srv.url, "--state-dir", rr.state}
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
		res := fetchDB(t, strings.TrimPrefix(line, "synco fetch "), "", filepath.Join(t.TempDir(), "out"), rr.cache)
		if res.code != 0 {
			t.Fatalf("fetch: %s", res.stderr)
		}
		rr.day[day] = res.stats(t)
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			if i := strings.Index(l, "ready in "); i >= 0 {
				rr.ready[day] = l[i+9 : i+9+strings.IndexByte(l[i+9:], ':')]
			}
		}
		p.stop()
	}
	pubFetch(false, 0)
	pubFetch(true, 0)
	run("UPDATE " + src + ".wp_users SET display_name = CONCAT(display_name, ' Jr.') WHERE ID % 100 = 7")
	run("UPDATE " + src + ".wp_usermeta SET meta_value = CONCAT(meta_value, '0') WHERE meta_key = 'billing_phone' AND umeta_id % 100 = 3")
	run("UPDATE " + src + ".wp_comments SET comment_content = CONCAT(comment_content, ' (edited)') WHERE comment_ID % 100 = 11")
	run("INSERT INTO " + src + ".wp_comments SELECT comment_ID + 100000, comment_post_ID, comment_author, comment_author_email, comment_author_IP, comment_content, comment_agent FROM " + src + ".wp_comments WHERE comment_ID <= 1000")
	pubFetch(false, 1)
	pubFetch(true, 1)
	for _, scrubbed := range []bool{false, true} {
		rr := runs[scrubbed]
		t.Logf("scrubbed=%v: publish ready in %s / %s; day 1 downloaded %d bytes, day 2 %d bytes (%d of %d chunks from cache)",
			scrubbed, rr.ready[0], rr.ready[1], rr.day[0].BytesDownloaded, rr.day[1].BytesDownloaded, rr.day[1].ChunksFromCache, rr.day[1].ChunksTotal)
	}
	d0, d1 := runs[false].day[1].BytesDownloaded, runs[true].day[1].BytesDownloaded
	t.Logf("day-2 bytes scrubbed vs unscrubbed: %+.1f %%", 100*(float64(d1)/float64(d0)-1))
}
