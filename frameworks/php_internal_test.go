package frameworks

import (
	"errors"
	"strings"
	"testing"
)

func TestRunPHP(t *testing.T) {
	src := `<html><?php
// comment with 'quote
# hash comment
/* block
   'comment' */
define( 'DB_NAME', 'wp' );
define("DB_PASSWORD", "p\"a\x41\$s\n");
define('WP_DEBUG', false);
$table_prefix = 'wp_' . "x_";
$databases['default']['default'] = array (
  'database' => 'drupal',
  'port' => 3307,
  'neg' => -1,
  "nested" => ['a', 'b', 'k' => [1, 2,],],
  'pw' => getenv('PW'),
  'pw2' => getenv('NOPE') ?: 'fallback',
  'calc' => file_get_contents('/etc/secret') . 'x',
  'var' => $app_root . '/x',
  'obj' => \PDO::MYSQL_ATTR_SSL_CA,
  'nowdoc' => <<<'EOT'
    raw $x
    EOT,
);
$databases['default']['default']['host'] = 'db';
$list[] = 'a';
$list[] = 'b';
if ($_SERVER['HTTP_HOST'] == 'dev.example.com') {
  $cond = 'yes';
}
$settings['hash_salt'] = file_get_contents($app_root . '/salt.txt');
if (file_exists($app_root . '/' . $site_path . '/settings.local.php')) {
  include $app_root . '/' . $site_path . '/settings.local.php';
}
return ['DB' => ['Connections' => ['Default' => ['dbname' => 't3']]]];
?>trailing html`
	var f phpFile
	env := func(k string) string { return map[string]string{"PW": "from-env"}[k] }
	if err := runPHP(src, env, &f); err != nil {
		t.Fatal(err)
	}
	str := func(v *phpValue) string {
		s, _, err := phpStr(v, "f", "k")
		if err != nil {
			return "ERR:" + err.Error()
		}
		return s
	}
	db := phpGet(f.vars["databases"], "default", "default")
	for _, c := range []struct{ got, want string }{
		{str(f.consts["DB_NAME"]), "wp"},
		{str(f.consts["DB_PASSWORD"]), "p\"aA$s\n"},
		{str(f.consts["WP_DEBUG"]), ""},
		{str(f.vars["table_prefix"]), "wp_x_"},
		{str(phpGet(db, "database")), "drupal"},
		{str(phpGet(db, "port")), "3307"},
		{str(phpGet(db, "neg")), "-1"},
		{str(phpGet(db, "nested", "1")), "b"},
		{str(phpGet(db, "nested", "k", "1")), "2"},
		{str(phpGet(db, "pw")), "from-env"},
		{str(phpGet(db, "pw2")), "fallback"},
		{str(phpGet(db, "nowdoc")), "raw $x"},
		{str(phpGet(db, "host")), "db"},
		{str(phpGet(f.vars["list"], "1")), "b"},
		{str(phpGet(f.ret, "DB", "Connections", "Default", "dbname")), "t3"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, k := range []string{"calc", "var", "obj"} {
		_, _, err := phpStr(phpGet(db, k), "settings.php", k)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want ErrUnsupported", k, err)
		}
	}
	if _, _, err := phpStr(phpGet(db, "calc"), "settings.php", "k"); !strings.Contains(err.Error(), "file_get_contents()") {
		t.Errorf("error does not name the construct: %v", err)
	}
	if v := f.vars["cond"]; v == nil || v.cond == "" || !strings.Contains(v.cond, "HTTP_HOST") {
		t.Errorf("assignment under an unknown condition not marked: %+v", v)
	}
	if _, _, err := phpStr(f.vars["cond"], "f", "$cond"); !errors.Is(err, errUndecided) {
		t.Errorf("reading a conditional value: %v, want errUndecided", err)
	}
}

func TestRunPHPSyntaxErrors(t *testing.T) {
	for _, src := range []string{
		"<?php $a = 'unterminated secret",
		"<?php $a = [1, 2",
		"<?php /* open",
	} {
		var f phpFile
		err := runPHP(src, nil, &f)
		if err == nil {
			t.Errorf("%q: no error", src)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks content: %v", err)
		}
	}
}
