package frameworks_test

import (
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"synco/frameworks"
)

// sysTree builds a whole file system from absolute path → content ("/" suffix: a
// directory, "=sock" content: a Unix socket).
func sysTree(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for name, content := range files {
		name = strings.TrimPrefix(name, "/")
		switch {
		case strings.HasSuffix(name, "/"):
			m[strings.TrimSuffix(name, "/")] = &fstest.MapFile{Mode: os.ModeDir | 0o755}
		case content == "=sock":
			m[name] = &fstest.MapFile{Mode: os.ModeSocket | 0o777}
		default:
			m[name] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	return m
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// debianConfig is Debian's examples/config-default.php with a site's values.
func debianConfig(t *testing.T, db, user, pw, host string) string {
	c := fixture(t, "debian-wordpress/config-default.php")
	for from, to := range map[string]string{"database_name_here": db, "username_here": user, "password_here": pw, "'localhost'": "'" + host + "'"} {
		if !strings.Contains(c, from) {
			t.Fatalf("config-default.php fixture lacks %q", from)
		}
		c = strings.Replace(c, from, to, 1)
	}
	return c
}

func detectSys(t *testing.T, files map[string]string, root string, env func(string) string) *frameworks.Project {
	t.Helper()
	p, err := frameworks.DetectSystem(sysTree(t, files), root, env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func has(t *testing.T, what string, list []string, subs ...string) {
	t.Helper()
	all := strings.Join(list, "\n")
	for _, s := range subs {
		if !strings.Contains(all, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, all)
		}
	}
}

// Debian's wordpress package: /usr/share/wordpress/wp-config.php picks
// /etc/wordpress/config-<host>.php by $_SERVER['HTTP_HOST'], defines fallbacks
// (wordpress@localhost/wordpress) after it, and keeps uploads in /var/lib/wordpress.
func TestDebianWordPress(t *testing.T) {
	const root = "/usr/share/wordpress"
	base := func() map[string]string {
		return map[string]string{
			root + "/wp-config.php":                      fixture(t, "debian-wordpress/wp-config.php"),
			root + "/wp-settings.php":                    "<?php this is WordPress itself ( and not read",
			root + "/wp-content/themes/":                 "",
			"/var/lib/wordpress/wp-content/uploads/":     "",
			"/var/lib/wordpress/wp-content/uploads/a.jp": "x",
			"/run/mysqld/mysqld.sock":                    "=sock",
		}
	}
	t.Run("one host config", func(t *testing.T) {
		files := base()
		files["/etc/wordpress/config-blog.example.com.php"] = debianConfig(t, "blog", "bloguser", "s3cret", "localhost")
		p := detectSys(t, files, root, nil)
		check(t, p, want{framework: "wordpress",
			dsn: "mysql://bloguser:s3cret@localhost:3306/blog?socket=%2Frun%2Fmysqld%2Fmysqld.sock", password: "s3cret",
			fileSets: []string{"uploads=/var/lib/wordpress/wp-content/uploads"},
			why:      []string{"includes /etc/wordpress/config-blog.example.com.php", "socket /run/mysqld/mysqld.sock"},
			source:   "/etc/wordpress/config-blog.example.com.php"})
		has(t, "warnings", p.Warnings, "HTTP_HOST", "/etc/wordpress/config-blog.example.com.php", "the only file matching /etc/wordpress/config-*.php")
	})
	t.Run("two host configs", func(t *testing.T) {
		files := base()
		files["/etc/wordpress/config-a.example.com.php"] = debianConfig(t, "a", "a", "pa", "localhost")
		files["/etc/wordpress/config-b.example.com.php"] = debianConfig(t, "b", "b", "pb", "localhost")
		p := detectSys(t, files, root, nil)
		if p.DB != nil {
			t.Fatalf("DB %s guessed, want none", p.DB.Redacted())
		}
		if p.Undetermined == "" {
			t.Error("Undetermined is empty")
		}
		has(t, "warnings", p.Warnings, "database not determined", "config-a.example.com.php", "config-b.example.com.php", "--db")
	})
	t.Run("no host config: PHP stops with 404", func(t *testing.T) {
		p := detectSys(t, base(), root, nil)
		if p.DB != nil {
			t.Fatalf("DB %s from the fallback defines, want none", p.DB.Redacted())
		}
		has(t, "warnings", p.Warnings, "wp-config.php line", "exit")
	})
	t.Run("WORDPRESS_CONFIG in the environment", func(t *testing.T) {
		files := base()
		files["/etc/wordpress/config-a.example.com.php"] = debianConfig(t, "a", "a", "pa", "db.internal:3307")
		files["/etc/wordpress/config-blog.php"] = debianConfig(t, "b", "b", "pb", "127.0.0.1")
		p := detectSys(t, files, root, envOf("WORDPRESS_CONFIG", "blog"))
		// preg_match() of the name is not evaluated: the choice is not determined.
		if p.DB != nil {
			t.Fatalf("DB %s, want none", p.DB.Redacted())
		}
	})
}

// The Debian package itself, when installed (apt-get install -y wordpress): its
// wp-config.php, with a host config written from its own example.
func TestDebianWordPressPackage(t *testing.T) {
	const cfg = "/usr/share/wordpress/wp-config.php"
	main, err := os.ReadFile(cfg)
	if err != nil {
		t.Skipf("Debian's wordpress package is not installed (%v): apt-get install -y wordpress", err)
	}
	example, err := os.ReadFile("/usr/share/doc/wordpress/examples/config-default.php")
	if err != nil {
		t.Skipf("Debian's wordpress package has no example config: %v", err)
	}
	c := strings.NewReplacer("database_name_here", "wpdb", "username_here", "wpuser", "password_here", "pw").Replace(string(example))
	p := detectSys(t, map[string]string{cfg: string(main), "/etc/wordpress/config-localhost.php": c,
		"/var/lib/wordpress/wp-content/uploads/": ""}, "/usr/share/wordpress", nil)
	check(t, p, want{framework: "wordpress", dsn: "mysql://wpuser:pw@localhost:3306/wpdb", password: "pw",
		fileSets: []string{"uploads=/var/lib/wordpress/wp-content/uploads"}, source: "/etc/wordpress/config-localhost.php"})
}

// WordPress-Skeleton's wp-config.php: local-config.php, when present, holds the
// developer's database; the else branch is production's.
func TestWordPressConditions(t *testing.T) {
	skeleton := `<?php
// ===================================================
// Load database info and local development parameters
// ===================================================
if ( file_exists( dirname( __FILE__ ) . '/local-config.php' ) ) {
	define( 'WP_LOCAL_DEV', true );
	include( dirname( __FILE__ ) . '/local-config.php' );
} else {
	define( 'WP_LOCAL_DEV', false );
	define( 'DB_NAME', 'production_db' );
	define( 'DB_USER', 'production_user' );
	define( 'DB_PASSWORD', 'production_password' );
	define( 'DB_HOST', 'db.production.example' ); // Probably 'localhost'
}

// ========================
// Custom Content Directory
// ========================
define( 'WP_CONTENT_DIR', dirname( __FILE__ ) . '/content' );
define( 'WP_CONTENT_URL', 'http://' . $_SERVER['HTTP_HOST'] . '/content' );

$table_prefix  = 'wp_';

if ( !defined( 'ABSPATH' ) )
	define( 'ABSPATH', dirname( __FILE__ ) . '/wp/' );
require_once( ABSPATH . 'wp-settings.php' );
`
	local := `<?php
define( 'DB_NAME', 'local_db_name' );
define( 'DB_USER', 'local_db_user' );
define( 'DB_PASSWORD', 'local_db_password' );
define( 'DB_HOST', '127.0.0.1' );
`
	t.Run("local-config.php present", func(t *testing.T) {
		p := detectSys(t, map[string]string{"/srv/app/wp-config.php": skeleton, "/srv/app/local-config.php": local, "/srv/app/content/uploads/": ""}, root, nil)
		check(t, p, want{framework: "wordpress", dsn: "mysql://local_db_user:local_db_password@127.0.0.1:3306/local_db_name", password: "local_db_password",
			fileSets: []string{"uploads=/srv/app/content/uploads"}, why: []string{"includes local-config.php"}, source: "local-config.php"})
	})
	t.Run("no local-config.php", func(t *testing.T) {
		p := detectSys(t, map[string]string{"/srv/app/wp-config.php": skeleton}, root, nil)
		check(t, p, want{framework: "wordpress", dsn: "mysql://production_user:production_password@db.production.example:3306/production_db",
			password: "production_password", fileSets: []string{"uploads=/srv/app/content/uploads"}, source: "wp-config.php"})
	})
	byHost := `<?php
if ( $_SERVER['HTTP_HOST'] === 'www.example.com' ) {
	define( 'DB_NAME', 'prod' );
	define( 'DB_USER', 'prod' );
	define( 'DB_PASSWORD', 'prodpw' );
} else {
	define( 'DB_NAME', 'dev' );
	define( 'DB_USER', 'dev' );
	define( 'DB_PASSWORD', 'devpw' );
}
define( 'DB_HOST', 'localhost' );
`
	t.Run("by HTTP_HOST", func(t *testing.T) {
		p := detectSys(t, map[string]string{"/srv/app/wp-config.php": byHost}, root, nil)
		if p.DB != nil {
			t.Fatalf("DB %s guessed, want none", p.DB.Redacted())
		}
		has(t, "warnings", p.Warnings, "database not determined", "wp-config.php line 2", "HTTP_HOST", "--db")
		if strings.Contains(strings.Join(p.Warnings, " "), "prodpw") {
			t.Error("warning shows a password")
		}
	})
	byEnv := strings.ReplaceAll(byHost, "$_SERVER['HTTP_HOST'] === 'www.example.com'", "getenv('WP_ENV') === 'production'")
	t.Run("by an environment variable set here", func(t *testing.T) {
		p := detectSys(t, map[string]string{"/srv/app/wp-config.php": byEnv}, root, envOf("WP_ENV", "development"))
		check(t, p, want{framework: "wordpress", dsn: "mysql://dev:devpw@localhost:3306/dev", password: "devpw",
			fileSets: []string{"uploads=/srv/app/wp-content/uploads"}})
	})
	t.Run("include synco cannot follow", func(t *testing.T) {
		p := detectSys(t, map[string]string{"/srv/app/wp-config.php": "<?php\nrequire __DIR__ . '/../secrets/' . php_uname('n') . '/db.php';\ndefine('DB_NAME', 'x');\n"}, root, nil)
		if p.DB != nil {
			t.Fatalf("DB %s guessed, want none", p.DB.Redacted())
		}
		has(t, "warnings", p.Warnings, "wp-config.php line 2", "php_uname()")
	})
	t.Run("include outside the project without system access", func(t *testing.T) {
		p, err := frameworks.Detect(tree(map[string]string{"wp-config.php": "<?php\nrequire_once '/etc/wordpress/db.php';\n"}), root, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.DB != nil {
			t.Fatalf("DB %s, want none", p.DB.Redacted())
		}
		has(t, "warnings", p.Warnings, "/etc/wordpress/db.php", "outside the project")
	})
}

func TestWordPressContentDirs(t *testing.T) {
	cfg := "<?php\ndefine('DB_NAME', 'wp'); define('DB_USER', 'u'); define('DB_HOST', '127.0.0.1');\n"
	for _, c := range []struct{ name, extra, want string }{
		{"WP_CONTENT_DIR absolute", "define('WP_CONTENT_DIR', '/data/wp-content');", "/data/wp-content/uploads"},
		{"WP_CONTENT_DIR from __DIR__", "define('WP_CONTENT_DIR', __DIR__ . '/app');", "/srv/app/app/uploads"},
		{"UPLOADS relative to ABSPATH", "define('UPLOADS', 'wp-content/media');", "/srv/app/wp-content/media"},
		{"UPLOADS with ABSPATH", "define('UPLOADS', 'files'); define('ABSPATH', __DIR__ . '/wp/');", "/srv/app/wp/files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg + c.extra + "\n"}, root, nil)
			check(t, p, want{framework: "wordpress", dsn: "mysql://u@127.0.0.1:3306/wp", fileSets: []string{"uploads=" + c.want}})
		})
	}
}

func TestWordPressMultisite(t *testing.T) {
	cfg := "<?php\ndefine('DB_NAME', 'wp'); define('DB_USER', 'u');\n$table_prefix = 'blog_';\n"
	p := detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg + "define('MULTISITE', true);\ndefine('SUBDOMAIN_INSTALL', false);\n"}, root, nil)
	matched := func(table string) (string, bool) {
		for k, v := range p.Where {
			if ok, _ := path.Match(k, table); ok {
				return v, true
			}
		}
		return "", false
	}
	for _, table := range []string{"blog_options", "blog_2_options", "blog_17_options", "blog_123456_options"} {
		if cond, ok := matched(table); !ok || !strings.Contains(cond, `option_name NOT LIKE '\_transient\_%'`) {
			t.Errorf("%s: condition %q, want the transient filter", table, cond)
		}
	}
	if cond, ok := matched("blog_sitemeta"); !ok || !strings.Contains(cond, `meta_key NOT LIKE '\_site\_transient\_%'`) {
		t.Errorf("blog_sitemeta: condition %q", cond)
	}
	for _, table := range []string{"blog_2_foo_options", "blog_x_options", "blog_0_options", "wp_2_options", "blog_2_posts"} {
		if _, ok := matched(table); ok {
			t.Errorf("%s gets a transient filter", table)
		}
	}
	single := detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg}, root, nil)
	if len(single.Where) != 1 {
		t.Errorf("single site: Where %q, want only blog_options", single.Where)
	}
}

// PHP's mysqli and PDO reach "localhost" through the default socket.
func TestLocalhostSocket(t *testing.T) {
	cfg := func(host string) string {
		return "<?php\ndefine('DB_NAME', 'wp'); define('DB_USER', 'u'); define('DB_PASSWORD', 'pw9'); define('DB_HOST', '" + host + "');\n"
	}
	for _, c := range []struct {
		name, host string
		files      map[string]string
		dsn        string
	}{
		{"localhost", "localhost", map[string]string{"/run/mysqld/mysqld.sock": "=sock"},
			"mysql://u:pw9@localhost:3306/wp?socket=%2Frun%2Fmysqld%2Fmysqld.sock"},
		{"localhost with port: PHP ignores the port", "localhost:3307", map[string]string{"/var/run/mysqld/mysqld.sock": "=sock"},
			"mysql://u:pw9@localhost:3307/wp?socket=%2Fvar%2Frun%2Fmysqld%2Fmysqld.sock"},
		{"localhost with socket", "localhost:/srv/my.sock", map[string]string{"/run/mysqld/mysqld.sock": "=sock"},
			"mysql://u:pw9@localhost:3306/wp?socket=%2Fsrv%2Fmy.sock"},
		{"php.ini default_socket", "localhost", map[string]string{"/run/mysqld/mysqld.sock": "=sock", "/var/lib/mysql/mysql.sock": "=sock",
			"/etc/php/8.2/fpm/php.ini": "[MySQLi]\nmysqli.default_socket = /var/lib/mysql/mysql.sock ; from the RPM\n"},
			"mysql://u:pw9@localhost:3306/wp?socket=%2Fvar%2Flib%2Fmysql%2Fmysql.sock"},
		{"127.0.0.1 stays TCP", "127.0.0.1", map[string]string{"/run/mysqld/mysqld.sock": "=sock"}, "mysql://u:pw9@127.0.0.1:3306/wp"},
		{"no socket: TCP", "localhost", nil, "mysql://u:pw9@localhost:3306/wp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"/srv/app/wp-config.php": cfg(c.host)}
			for k, v := range c.files {
				files[k] = v
			}
			p := detectSys(t, files, root, nil)
			check(t, p, want{framework: "wordpress", dsn: c.dsn, password: "pw9", fileSets: []string{"uploads=/srv/app/wp-content/uploads"}})
		})
	}
	// Laravel's PDO does the same.
	p := detectSys(t, map[string]string{"/srv/app/artisan": "", "/srv/app/.env": "DB_HOST=localhost\nDB_DATABASE=l\n", "/tmp/mysql.sock": "=sock"}, root, nil)
	check(t, p, want{framework: "laravel", dsn: "mysql://root@localhost:3306/l?socket=%2Ftmp%2Fmysql.sock", fileSets: []string{"storage=/srv/app/storage/app"}})
}

// Bedrock (roots/bedrock): web/wp-config.php loads config/application.php, which
// reads .env; content in web/app.
func TestBedrock(t *testing.T) {
	files := func(env string) map[string]string {
		return map[string]string{
			"web/wp-config.php":      "<?php\nrequire_once dirname(__DIR__) . '/vendor/autoload.php';\nrequire_once dirname(__DIR__) . '/config/application.php';\nrequire_once ABSPATH . 'wp-settings.php';\n",
			"config/application.php": "<?php\nConfig::define('DB_NAME', env('DB_NAME'));\n",
			"web/app/uploads/":       "", "web/wp/": "",
			".env": env,
		}
	}
	runCases(t, []detectCase{
		{
			name:  "DB_ variables",
			files: files("DB_NAME='bedrock'\nDB_USER='bu'\nDB_PASSWORD='p@ss'\n# Optionally, you can use a data source name (DSN)\n# DATABASE_URL='mysql://database_user:database_password@database_host:database_port/database_name'\nDB_HOST='db:3307'\nDB_PREFIX='bd_'\nWP_ENV='development'\n"),
			want: want{framework: "wordpress", dsn: "mysql://bu:p%40ss@db:3307/bedrock", password: "p@ss",
				fileSets: []string{"uploads=/srv/app/web/app/uploads"}, why: []string{"Bedrock", `table prefix "bd_"`, "bd_options"}, source: ".env"},
		},
		{
			name:  "DATABASE_URL as parse_url reads it",
			files: files("DATABASE_URL='mysql://bu:p%40ss@db.internal:3308/site'\n"),
			want: want{framework: "wordpress", dsn: "mysql://bu:p%2540ss@db.internal:3308/site", password: "p%40ss",
				fileSets: []string{"uploads=/srv/app/web/app/uploads"}, source: "DATABASE_URL"},
		},
	})
}

// TestWordPressSettingsWithoutABSPATH: the last line of every wp-config.php loads
// WordPress itself; when ABSPATH is not defined in the file (a hand-made config),
// that include is still WordPress, not configuration: no warning, and the uploads
// directory is the default one.
func TestWordPressSettingsWithoutABSPATH(t *testing.T) {
	p, err := frameworks.Detect(tree(map[string]string{
		"wp-config.php":       "<?php\ndefine('DB_NAME', 'x');\ndefine('DB_USER', 'u');\ndefine('DB_HOST', '127.0.0.1');\n$table_prefix = 'wp_';\nrequire_once ABSPATH . 'wp-settings.php';\n",
		"wp-content/uploads/": "",
	}), "/srv/app", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) > 0 || len(p.FileSets) != 1 || p.FileSets[0].Dir != "/srv/app/wp-content/uploads" {
		t.Errorf("warnings %q, file sets %+v; want none and wp-content/uploads", p.Warnings, p.FileSets)
	}
}

// TestWordPressURLs: WP_HOME and WP_SITEURL of wp-config.php (and Bedrock's .env)
// are the local URLs a synced database is rewritten to; one under a condition
// is not guessed.
func TestWordPressURLs(t *testing.T) {
	cfg := "<?php\ndefine('DB_NAME', 'wp'); define('DB_USER', 'u');\n"
	p := detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg + "define('WP_HOME', 'http://example.test');\ndefine( 'WP_SITEURL', WP_HOME . '/wp' );\n"}, root, nil)
	if p.URLs["home"] != "http://example.test" || p.URLs["siteurl"] != "http://example.test/wp" || !strings.Contains(p.URLSource, "WP_HOME, WP_SITEURL") {
		t.Errorf("URLs %v from %q", p.URLs, p.URLSource)
	}
	p = detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg}, root, nil)
	if p.URLs != nil {
		t.Errorf("URLs %v without WP_HOME", p.URLs)
	}
	p = detectSys(t, map[string]string{"/srv/app/wp-config.php": cfg + "if ($_SERVER['HTTP_HOST'] === 'a.test') { define('WP_HOME', 'http://a.test'); } else { define('WP_HOME', 'http://b.test'); }\n"}, root, nil)
	if p.URLs != nil {
		t.Errorf("conditional WP_HOME taken: %v", p.URLs)
	}
	has(t, "warnings", p.Warnings, "WP_HOME")
	p = detectSys(t, map[string]string{
		"/srv/app/web/wp-config.php":      "<?php\nrequire_once dirname(__DIR__) . '/config/application.php';\n",
		"/srv/app/config/application.php": "<?php\n",
		"/srv/app/.env":                   "DB_NAME=b\nWP_HOME='http://bedrock.test'\nWP_SITEURL=\"${WP_HOME}/wp\"\n",
	}, root, nil)
	if p.URLs["home"] != "http://bedrock.test" || p.URLs["siteurl"] != "http://bedrock.test/wp" {
		t.Errorf("Bedrock URLs %v", p.URLs)
	}
}
