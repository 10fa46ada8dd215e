package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// person is realistic personal data; none of it may reach the destination of a
// scrubbed publish. The names are not in the fakes' lists.
type person struct{ first, last, email, ip, phone string }

func people(n int) []person {
	firsts := []string{"Jolanda", "Bartholomäus", "Sieglinde", "Thorvald", "Kunigunde", "Leopoldine", "Ottokar", "Walburga"}
	lasts := []string{"Quirrenbach", "Zwetschke", "Obermoser", "Pfeffersack", "Rautenstrauch", "Wimmelbach", "Haberkorn", "Glöckler"}
	out := make([]person, n)
	for i := range out {
		f, l := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
		out[i] = person{
			first: f, last: l,
			email: fmt.Sprintf("%s.%s%d@posteo-mail.de", strings.ToLower(f[:3]), strings.ToLower(l[:4]), i),
			ip:    fmt.Sprintf("203.0.%d.%d", i/250, 1+i%250),
			phone: fmt.Sprintf("+49 171 %07d", 4400000+i*7),
		}
	}
	return out
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// mysqlText is every value of every table of db, for grepping.
func mysqlText(t *testing.T, root *sql.DB, db string) string {
	t.Helper()
	rows, err := root.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", db)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		rs, err := root.Query("SELECT * FROM " + db + "." + tb)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			rs.Scan(ptrs...)
			for _, v := range vals {
				b.Write(v)
				b.WriteByte('\t')
			}
			b.WriteByte('\n')
		}
		rs.Close()
	}
	return b.String()
}

// scrubRun publishes the project in dir (detection, no flags but extra) and fetches
// it into dstDSN and a --to directory; it returns the fetched .sql file, the fetch's
// stderr and the publish's stderr.
func scrubRun(t *testing.T, dir, dstDSN, state, cache string, extra ...string) (dump, fetchErr, pubErr string) {
	t.Helper()
	www := t.TempDir()
	srv := serveStatic(t, www)
	args := append([]string{"publish", "--out", www, "--url", srv.url, "--state-dir", state}, extra...)
	p := &publisher{proc: startDir(t, dir, bin.lite, "", nil, args...)}
	waitFor(t, 90*time.Second, "the publication", func() bool {
		if p.exited() {
			t.Fatalf("publish exited with %d\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stderr.String(), "serving until")
	})
	defer p.stop()
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	to := filepath.Join(t.TempDir(), "out")
	res := fetchDB(t, strings.TrimPrefix(line, "synco fetch "), dstDSN, to, cache)
	if res.code != 0 {
		t.Fatalf("fetch: exit %d\n%s\npublish:\n%s", res.code, res.stderr, p.stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(to, "db.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), res.stderr, p.stderr.String()
}

func noneOf(t *testing.T, where, text string, originals []string) {
	t.Helper()
	n := 0
	for _, o := range originals {
		if strings.Contains(text, o) {
			if n++; n <= 5 {
				t.Errorf("%s holds the original %q", where, o)
			}
		}
	}
	if n > 5 {
		t.Errorf("%s holds %d originals in all", where, n)
	}
}

func TestScrubWordPress(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := dbName("synco_e2e_scrub_wp_src"), dbName("synco_e2e_scrub_wp_dst")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
	})
	run := func(q string) {
		t.Helper()
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run("CREATE DATABASE " + src + " CHARACTER SET utf8mb4")
	run("CREATE TABLE " + src + ".wp_users (ID BIGINT UNSIGNED PRIMARY KEY, user_login VARCHAR(60), user_pass VARCHAR(255), user_nicename VARCHAR(50), user_email VARCHAR(100), user_url VARCHAR(100), display_name VARCHAR(250), UNIQUE KEY (user_email), UNIQUE KEY (user_login))")
	run("CREATE TABLE " + src + ".wp_usermeta (umeta_id BIGINT UNSIGNED PRIMARY KEY, user_id BIGINT UNSIGNED, meta_key VARCHAR(255), meta_value LONGTEXT)")
	run("CREATE TABLE " + src + ".wp_comments (comment_ID BIGINT UNSIGNED PRIMARY KEY, comment_author TINYTEXT, comment_author_email VARCHAR(100), comment_author_url VARCHAR(200), comment_author_IP VARCHAR(100), comment_content TEXT, comment_agent VARCHAR(255))")
	run("CREATE TABLE " + src + ".wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)")
	run("CREATE TABLE " + src + ".wp_newsletter (id INT PRIMARY KEY, subscriber VARCHAR(100))") // a plugin: no rule
	run("INSERT INTO " + src + ".wp_options VALUES (1,'siteurl','https://example.com')")
	ps := people(400)
	var users, meta, comments, news []string
	var originals []string
	for i, p := range ps {
		login := strings.ToLower(p.first + "." + p.last + fmt.Sprint(i))
		users = append(users, fmt.Sprintf("(%d,%s,'$P$Bxxxxxxxxreal-hash-%d',%s,%s,'https://%s.example.org',%s)", i+1, sqlQuote(login), i, sqlQuote(login), sqlQuote(p.email), strings.ToLower(p.last), sqlQuote(p.first+" "+p.last)))
		billing := fmt.Sprintf(`a:2:{s:5:"email";s:%d:"%s";s:5:"phone";s:%d:"%s";}`, len(p.email), p.email, len(p.phone), p.phone)
		meta = append(meta,
			fmt.Sprintf("(%d,%d,'first_name',%s)", 4*i+1, i+1, sqlQuote(p.first)),
			fmt.Sprintf("(%d,%d,'last_name',%s)", 4*i+2, i+1, sqlQuote(p.last)),
			fmt.Sprintf("(%d,%d,'billing_email',%s)", 4*i+3, i+1, sqlQuote(p.email)),
			fmt.Sprintf("(%d,%d,'billing_phone',%s)", 4*i+4, i+1, sqlQuote(billing)))
		comments = append(comments, fmt.Sprintf("(%d,%s,%s,'',%s,'Great post, thanks!','Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0')", i+1, sqlQuote(p.first+" "+p.last), sqlQuote(strings.ToUpper(p.email[:1])+p.email[1:]), sqlQuote(p.ip)))
		news = append(news, fmt.Sprintf("(%d,%s)", i+1, sqlQuote(p.email)))
		originals = append(originals, p.email, p.ip, p.phone, login, p.last)
	}
	originals = append(originals, "real-hash-", "Mozilla/5.0")
	run("INSERT INTO " + src + ".wp_users VALUES " + strings.Join(users, ","))
	run("INSERT INTO " + src + ".wp_usermeta VALUES " + strings.Join(meta, ","))
	run("INSERT INTO " + src + ".wp_comments VALUES " + strings.Join(comments, ","))
	run("INSERT INTO " + src + ".wp_newsletter VALUES " + strings.Join(news, ","))
	proj := t.TempDir()
	writeFile(t, filepath.Join(proj, "wp-config.php"), []byte(`<?php
define( 'DB_NAME', '`+src+`' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:3306' );
$table_prefix = 'wp_';
`), 0o644)
	// The plugin table has no rule: with this rule it is scrubbed too.
	writeFile(t, filepath.Join(proj, ".synco.yml"), []byte("scrub:\n  wp_newsletter.subscriber: email\n"), 0o644)
	dstDSN := "mysql://root@127.0.0.1:3306/" + dst

	state := t.TempDir()
	dump, fetchErr, pubErr := scrubRun(t, proj, dstDSN, state, t.TempDir())
	noneOf(t, "the fetched dump", dump, originals)
	noneOf(t, "the local database", mysqlText(t, root, dst), originals)
	for _, want := range []string{"scrubbing personal data while dumping (wordpress defaults, .synco.yml", "wp_users.user_email=email", "wp_newsletter.subscriber=email"} {
		if !strings.Contains(pubErr, want) {
			t.Errorf("publish stderr lacks %q:\n%s", want, pubErr)
		}
	}
	if !strings.Contains(fetchErr, "scrubbed at the source") {
		t.Errorf("fetch does not say the dump was scrubbed:\n%s", fetchErr)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := root.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	// unique indexes loaded, joins by e-mail (in another case, another table) hold
	if n := count("SELECT COUNT(DISTINCT user_email) FROM " + dst + ".wp_users"); n != len(ps) {
		t.Errorf("%d distinct e-mails, want %d", n, len(ps))
	}
	if n := count("SELECT COUNT(*) FROM " + dst + ".wp_users u JOIN " + dst + ".wp_comments c ON c.comment_author_email = u.user_email"); n != len(ps) {
		t.Errorf("join users-comments by e-mail: %d rows, want %d", n, len(ps))
	}
	if n := count("SELECT COUNT(*) FROM " + dst + ".wp_users u JOIN " + dst + ".wp_newsletter n ON n.subscriber = u.user_email"); n != len(ps) {
		t.Errorf("join users-newsletter by e-mail: %d rows, want %d", n, len(ps))
	}
	if n := count("SELECT COUNT(*) FROM " + dst + ".wp_users WHERE user_pass = '$P$BsyncosyngUSCUMmxejGRpzMLPyocG/'"); n != len(ps) {
		t.Errorf("%d users have the local password, want %d", n, len(ps))
	}
	// the serialized billing array is still valid: its lengths match
	var ser string
	if err := root.QueryRow("SELECT meta_value FROM " + dst + ".wp_usermeta WHERE meta_key='billing_phone' LIMIT 1").Scan(&ser); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ser, `a:2:{s:5:"email";s:24:"`) || !strings.Contains(ser, `";s:5:"phone";s:15:"+`) || !serializedLengthsHold(ser) {
		t.Errorf("serialized meta: %s", ser)
	}

	// --no-scrub: the originals, and both ends say so.
	dump, fetchErr, pubErr = scrubRun(t, proj, dstDSN, state, t.TempDir(), "--no-scrub")
	if !strings.Contains(dump, ps[17].email) || !strings.Contains(mysqlText(t, root, dst), ps[17].ip) {
		t.Error("--no-scrub did not publish the originals")
	}
	if !strings.Contains(pubErr, "WARNING: --no-scrub") || !strings.Contains(fetchErr, "NOT scrubbed") {
		t.Errorf("--no-scrub is not loud:\npublish:\n%s\nfetch:\n%s", pubErr, fetchErr)
	}
}

func TestScrubDrupal(t *testing.T) {
	t.Parallel()
	root := mariadb(t)
	src, dst := dbName("synco_e2e_scrub_dr_src"), dbName("synco_e2e_scrub_dr_dst")
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + src)
		root.Exec("DROP DATABASE IF EXISTS " + dst)
	})
	run := func(q string) {
		t.Helper()
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run("CREATE DATABASE " + src + " CHARACTER SET utf8mb4")
	run("CREATE TABLE " + src + ".users_field_data (uid INT UNSIGNED, langcode VARCHAR(12), name VARCHAR(60), pass VARCHAR(255), mail VARCHAR(254), init VARCHAR(254), data LONGBLOB, PRIMARY KEY (uid, langcode), UNIQUE KEY user__name (name, langcode))")
	run("CREATE TABLE " + src + ".comment_field_data (cid INT UNSIGNED PRIMARY KEY, uid INT UNSIGNED, name VARCHAR(60), mail VARCHAR(254), homepage VARCHAR(255), hostname VARCHAR(128), subject VARCHAR(64))")
	ps := people(300)
	var users, comments, originals []string
	for i, p := range ps {
		name := p.first + " " + p.last + fmt.Sprint(i)
		users = append(users, fmt.Sprintf("(%d,'en',%s,'$2y$10$realrealrealrealrealreal%d',%s,%s,NULL)", i+1, sqlQuote(name), i, sqlQuote(p.email), sqlQuote(p.email)))
		comments = append(comments, fmt.Sprintf("(%d,%d,%s,%s,NULL,%s,'Hello')", i+1, i+1, sqlQuote(name), sqlQuote(p.email), sqlQuote("2001:db8:beef::"+fmt.Sprint(i))))
		originals = append(originals, p.email, name, "2001:db8:beef::"+fmt.Sprint(i)+"'")
	}
	originals = append(originals, "realrealreal")
	run("INSERT INTO " + src + ".users_field_data VALUES " + strings.Join(users, ","))
	run("INSERT INTO " + src + ".comment_field_data VALUES " + strings.Join(comments, ","))
	proj := t.TempDir()
	writeFile(t, filepath.Join(proj, "web", "sites", "default", "settings.php"), []byte(`<?php
$databases['default']['default'] = [
  'database' => '`+src+`', 'username' => 'root', 'password' => '',
  'host' => '127.0.0.1', 'port' => '3306', 'driver' => 'mysql', 'prefix' => '',
];
`), 0o644)
	dump, fetchErr, _ := scrubRun(t, proj, "mysql://root@127.0.0.1:3306/"+dst, t.TempDir(), t.TempDir())
	noneOf(t, "the fetched dump", dump, originals)
	noneOf(t, "the local database", mysqlText(t, root, dst), originals)
	if !strings.Contains(fetchErr, "scrubbed at the source") {
		t.Errorf("fetch stderr:\n%s", fetchErr)
	}
	var n int
	if err := root.QueryRow("SELECT COUNT(*) FROM " + dst + ".users_field_data u JOIN " + dst + ".comment_field_data c ON c.mail = u.mail AND c.name = u.name").Scan(&n); err != nil || n != len(ps) {
		t.Errorf("join by mail and name: %d rows (%v), want %d", n, err, len(ps))
	}
}

func TestScrubLaravelPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	if err != nil {
		t.Skipf("PostgreSQL on 127.0.0.1:5432: %v", err)
	}
	defer admin.Close(ctx)
	src, dst := dbName("synco_e2e_scrub_lv_src"), dbName("synco_e2e_scrub_lv_dst")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+src); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), "postgres://postgres@127.0.0.1:5432/postgres")
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+src+" WITH (FORCE)")
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+dst+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	sc, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+src)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sc.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE users (id bigserial PRIMARY KEY, name varchar(255) NOT NULL, email varchar(255) NOT NULL UNIQUE,
		password varchar(255) NOT NULL, remember_token varchar(100), settings jsonb, notes text)`)
	exec(`CREATE TABLE password_reset_tokens (email varchar(255) PRIMARY KEY, token varchar(255) NOT NULL)`)
	exec(`CREATE TABLE orders (id bigserial PRIMARY KEY, customer_email varchar(255), client_ip inet)`)
	ps := people(300)
	var originals []string
	for i, p := range ps {
		settings := fmt.Sprintf(`{"contact": {"email": %q, "newsletter": true}, "n": %d}`, p.email, i)
		exec("INSERT INTO users (name, email, password, remember_token, settings, notes) VALUES ($1, $2, $3, $4, $5, $6)",
			p.first+" "+p.last, p.email, fmt.Sprintf("$2y$12$secretsecretsecret%d", i), fmt.Sprintf("tok%dtok", i), settings, "tab\there\\back\nline "+fmt.Sprint(i))
		exec("INSERT INTO password_reset_tokens VALUES ($1, $2)", p.email, fmt.Sprintf("reset%dreset", i))
		exec("INSERT INTO orders (customer_email, client_ip) VALUES ($1, $2)", p.email, p.ip)
		originals = append(originals, p.email, p.first+" "+p.last, p.ip, fmt.Sprintf("tok%dtok", i), fmt.Sprintf("reset%dreset", i))
	}
	originals = append(originals, "secretsecret")
	proj := t.TempDir()
	writeFile(t, filepath.Join(proj, "artisan"), []byte("#!/usr/bin/env php\n"), 0o755)
	writeFile(t, filepath.Join(proj, ".env"), []byte("DB_CONNECTION=pgsql\nDB_HOST=127.0.0.1\nDB_PORT=5432\nDB_DATABASE="+src+"\nDB_USERNAME=postgres\nDB_PASSWORD=\n"), 0o644)
	writeFile(t, filepath.Join(proj, ".synco.yml"), []byte("scrub:\n  orders.customer_email: email\n  orders.client_ip: ip\n  users.settings: email\n"), 0o644)
	dump, fetchErr, pubErr := scrubRun(t, proj, "postgres://postgres@127.0.0.1:5432/"+dst, t.TempDir(), t.TempDir())
	noneOf(t, "the fetched dump", dump, originals)
	if i := strings.Index(dump, ps[5].email); i >= 0 {
		t.Logf("dump around %s: %s", ps[5].email, dump[max(0, i-300):i+100])
	}
	if !strings.Contains(fetchErr, "scrubbed at the source") || !strings.Contains(pubErr, "laravel defaults") {
		t.Errorf("fetch stderr:\n%s\npublish stderr:\n%s", fetchErr, pubErr)
	}
	dc, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+dst)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close(ctx)
	var all string
	for _, tb := range []string{"users", "orders", "password_reset_tokens"} {
		var s string
		if err := dc.QueryRow(ctx, "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM "+tb+" t").Scan(&s); err != nil {
			t.Fatal(err)
		}
		all += s
	}
	noneOf(t, "the local database", all, originals)
	var n int
	if err := dc.QueryRow(ctx, "SELECT count(*) FROM users u JOIN orders o ON o.customer_email = u.email AND o.customer_email = u.settings->'contact'->>'email'").Scan(&n); err != nil || n != len(ps) {
		t.Errorf("join by e-mail (column and inside jsonb): %d (%v), want %d", n, err, len(ps))
	}
	if err := dc.QueryRow(ctx, "SELECT count(*) FROM users WHERE notes = 'tab' || chr(9) || 'here' || chr(92) || 'back' || chr(10) || 'line ' || (id-1) AND remember_token IS NULL AND password LIKE '$2y$10$%'").Scan(&n); err != nil || n != len(ps) {
		t.Errorf("untouched escapes, null token, local password: %d rows (%v)", n, err)
	}
	if err := dc.QueryRow(ctx, "SELECT count(*) FROM password_reset_tokens").Scan(&n); err != nil || n != 0 {
		t.Errorf("password_reset_tokens has %d rows (%v), want structure only", n, err)
	}
	if !strings.Contains(pubErr, "users.notes") && !strings.Contains(pubErr, "look personal") {
		t.Logf("publish stderr:\n%s", pubErr)
	}
}

// serializedLengthsHold checks every s:N:"…" of a PHP-serialized value.
func serializedLengthsHold(s string) bool {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], `s:`)
		if j < 0 {
			return true
		}
		i += j + 2
		var n int
		if _, err := fmt.Sscanf(s[i:], "%d:", &n); err != nil {
			return false
		}
		q := strings.IndexByte(s[i:], '"')
		i += q + 1
		if i+n >= len(s) || s[i+n] != '"' {
			return false
		}
		i += n + 1
	}
	return true
}
