package frameworks_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/frameworks"
)

const root = "/srv/app"

// tree builds a MapFS from name → content; names ending in "/" are directories.
func tree(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, content := range files {
		if strings.HasSuffix(name, "/") {
			m[strings.TrimSuffix(name, "/")] = &fstest.MapFile{Mode: os.ModeDir | 0o755}
			continue
		}
		m[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return m
}

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

type want struct {
	framework string
	dsn       string // exact DSN; "" means no DB
	password  string // decoded password the dumpers must see
	fileSets  []string
	structure []string // must all be in StructureOnly
	why       []string // substrings that must appear in Why
	source    string   // substring of DB.Source
}

type detectCase struct {
	name  string
	files map[string]string
	env   func(string) string
	want  want
}

func runCases(t *testing.T, cases []detectCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := frameworks.Detect(tree(c.files), root, c.env)
			if err != nil {
				t.Fatal(err)
			}
			check(t, p, c.want)
		})
	}
}

func check(t *testing.T, p *frameworks.Project, w want) {
	t.Helper()
	if p.Framework != w.framework {
		t.Errorf("framework %q, want %q (why %q)", p.Framework, w.framework, p.Why)
	}
	switch {
	case w.dsn == "" && p.DB != nil:
		t.Errorf("DB %q, want none", p.DB.Redacted())
	case w.dsn != "" && p.DB == nil:
		t.Errorf("no DB, want %s (why %q)", w.dsn, p.Why)
	case w.dsn != "":
		if p.DB.DSN != w.dsn {
			t.Errorf("DSN\n got %s\nwant %s", p.DB.DSN, w.dsn)
		}
		checkDSN(t, p.DB, w.password)
		if !strings.Contains(p.DB.Source, w.source) {
			t.Errorf("source %q, want it to contain %q", p.DB.Source, w.source)
		}
	}
	var sets []string
	for _, fs := range p.FileSets {
		sets = append(sets, fs.Name+"="+fs.Dir)
	}
	if !slices.Equal(sets, w.fileSets) {
		t.Errorf("file sets %q, want %q", sets, w.fileSets)
	}
	for _, s := range w.structure {
		if !slices.Contains(p.StructureOnly, s) {
			t.Errorf("structure-only %q lacks %q", p.StructureOnly, s)
		}
	}
	all := strings.Join(p.Why, "\n")
	for _, s := range w.why {
		if !strings.Contains(all, s) {
			t.Errorf("why lacks %q:\n%s", s, all)
		}
	}
	if len(p.Looked) == 0 {
		t.Error("Looked is empty")
	}
}

// checkDSN parses the DSN with the real dumpers: the password must come back
// decoded, and never appear in Redacted.
func checkDSN(t *testing.T, db *frameworks.DB, password string) {
	t.Helper()
	var got string
	switch db.Engine {
	case "mysql":
		c, err := mysql.ParseDSN(db.DSN)
		if err != nil {
			t.Fatalf("mysql dumper rejects %s: %v", db.Redacted(), err)
		}
		got = c.Password
	case "postgres":
		c, err := postgres.ParseDSN(db.DSN)
		if err != nil {
			t.Fatalf("postgres dumper rejects %s: %v", db.Redacted(), err)
		}
		got = c.Password
	default:
		t.Fatalf("engine %q", db.Engine)
	}
	if got != password {
		t.Errorf("dumper sees password %q, want %q", got, password)
	}
	if password != "" && strings.Contains(db.Redacted(), password) {
		t.Errorf("Redacted() %s contains the password", db.Redacted())
	}
	if password != "" && !strings.Contains(db.Redacted(), "xxxxx") {
		t.Errorf("Redacted() %s has no xxxxx", db.Redacted())
	}
}

func TestNotFound(t *testing.T) {
	_, err := frameworks.Detect(tree(map[string]string{"index.html": "hi", "composer.json": "{}"}), root, nil)
	if !errors.Is(err, frameworks.ErrNotFound) {
		t.Fatalf("err %v, want ErrNotFound", err)
	}
	for _, s := range []string{"wp-config.php", "artisan", "--db", "--files", root} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
}

func TestGeneric(t *testing.T) {
	runCases(t, []detectCase{{
		name:  "env DATABASE_URL only",
		files: map[string]string{".env": "DATABASE_URL=postgresql://app:s%23cret@db:5433/app?serverVersion=16&charset=utf8\n"},
		want: want{framework: "generic", dsn: "postgres://app:s%23cret@db:5433/app", password: "s#cret",
			why: []string{"pass --files"}, source: ".env (DATABASE_URL)"},
	}})
}

func TestPriority(t *testing.T) {
	files := map[string]string{
		"artisan": "", "bin/console": "", "wp-config.php": "<?php define('DB_NAME','wp');",
		"storage/app/": "",
	}
	p, err := frameworks.Detect(tree(files), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Framework != "wordpress" {
		t.Fatalf("framework %q, want wordpress", p.Framework)
	}
	all := strings.Join(p.Why, "\n")
	for _, s := range []string{"laravel", "symfony", "by priority"} {
		if !strings.Contains(all, s) {
			t.Errorf("why lacks %q:\n%s", s, all)
		}
	}
}

// TestTempDir runs Detect on a real directory through os.DirFS.
func TestTempDir(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"wp-config.php":            "<?php\ndefine( 'DB_NAME', 'blog' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', 'pw' );\n",
		"wp-content/uploads/a.jpg": "xx",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := frameworks.Detect(os.DirFS(dir), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(t, p, want{framework: "wordpress", dsn: "mysql://wp:pw@localhost:3306/blog", password: "pw",
		fileSets: []string{"uploads=" + filepath.Join(dir, "wp-content/uploads")}, source: "wp-config.php"})
}

// TestErrors: broken or unsupported configuration gives a clear error that names
// the file and never the password.
func TestErrors(t *testing.T) {
	const secret = "TopSecret42"
	for _, c := range []struct {
		name  string
		files map[string]string
		is    error
		say   []string
	}{
		{"broken yaml", map[string]string{"flow": "", "Configuration/Settings.yaml": "Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        password: '" + secret + "\n  bad: [\n"},
			frameworks.ErrSyntax, []string{"Configuration/Settings.yaml"}},
		{"broken php", map[string]string{"wp-config.php": "<?php define('DB_PASSWORD', '" + secret + ");"},
			frameworks.ErrSyntax, []string{"wp-config.php", "line 1"}},
		{"function call", map[string]string{"wp-config.php": "<?php define('DB_NAME', 'x'); define('DB_PASSWORD', trim(file_get_contents('/etc/" + secret + "')));"},
			frameworks.ErrUnsupported, []string{"wp-config.php", "DB_PASSWORD", "file_get_contents()"}},
		{"unset getenv", map[string]string{"sites/default/settings.php": "<?php $databases['default']['default'] = ['database' => 'd', 'password' => getenv('DRUPAL_DB_PW')];"},
			frameworks.ErrUnsupported, []string{"settings.php", "['password']", "DRUPAL_DB_PW"}},
		{"unencoded url", map[string]string{"bin/console": "", ".env": "DATABASE_URL=mysql://app:" + secret + "#x@db/app\n"},
			frameworks.ErrSyntax, []string{".env (DATABASE_URL)", "url-encode"}},
		{"broken dotenv", map[string]string{"artisan": "", ".env": "DB_PASSWORD=\"" + secret + "\n"},
			frameworks.ErrSyntax, []string{".env", "line 1"}},
		{"typo3 computed", map[string]string{"config/system/settings.php": "<?php return ['DB' => ['Connections' => ['Default' => ['dbname' => 't3', 'password' => '" + secret + "']]]];",
			"config/system/additional.php": "<?php $GLOBALS['TYPO3_CONF_VARS']['DB']['Connections']['Default'] = array_merge($GLOBALS['TYPO3_CONF_VARS']['DB']['Connections']['Default'], []);"},
			frameworks.ErrUnsupported, []string{"additional.php", "array_merge()"}},
		{"bad port", map[string]string{"artisan": "", ".env": "DB_DATABASE=x\nDB_PASSWORD=" + secret + "\nDB_PORT=abc\n"},
			frameworks.ErrSyntax, []string{"DB_PORT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := frameworks.Detect(tree(c.files), root, nil)
			if !errors.Is(err, c.is) {
				t.Fatalf("err %v, want %v", err, c.is)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the password: %v", err)
			}
			for _, s := range c.say {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"mysql://u:p%40ss@h:3306/db?socket=%2Frun%2Fm.sock", "mysql://u:xxxxx@h:3306/db?socket=%2Frun%2Fm.sock"},
		{"postgres://u@h:5432/db", "postgres://u@h:5432/db"},
		{"postgres://u:pw@/db?host=%2Frun%2Fpostgresql", "postgres://u:xxxxx@/db?host=%2Frun%2Fpostgresql"},
	} {
		if got := (&frameworks.DB{DSN: c.dsn}).Redacted(); got != c.want {
			t.Errorf("Redacted(%s) = %s, want %s", c.dsn, got, c.want)
		}
	}
}
