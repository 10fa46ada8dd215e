package frameworks

import (
	"testing"
	"testing/fstest"
)

// The readers of configuration files take what a server holds; none may panic or
// hang on any input. Seeds: the realistic files the tests use, plus edge cases.

func FuzzPHP(f *testing.F) {
	for _, s := range []string{
		"<?php define('DB_NAME', 'wp'); $table_prefix = 'wp_';",
		"<?php $databases['default']['default'] = ['database' => 'd', 'port' => 3306, 'host' => getenv('H') ?: 'x'];",
		"<?php return ['DB' => ['Connections' => ['Default' => ['dbname' => \"a\\x41\\u{1F600}\"]]]];",
		"<?php $x = <<<EOT\nhello $y\nEOT;\n",
		"<?php if ($a) { $b = 1; } /* c */ # d\n// e",
		"<?php $a = array(1, 2, array('k' => \"v\"));",
		"<?php include __DIR__ . '/settings.local.php';",
		"<?php $a = 'unterminated",
	} {
		f.Add(s)
	}
	env := func(string) string { return "" }
	f.Fuzz(func(t *testing.T, src string) {
		var file phpFile
		runPHP(src, env, &file)
	})
}

func FuzzDotenv(f *testing.F) {
	for _, s := range []string{
		"DATABASE_URL=\"mysql://u:p%40ss@127.0.0.1:3306/db?serverVersion=8.0\"\n",
		"export A=1\nB='single $A'\nC=\"double ${A:-x} \\n\"\n# comment\nD=${C}",
		"A=\"unterminated\nB=2",
		"A=${",
		"=novar\n\n\t\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		parseDotenv(src, func(string) string { return "" }, map[string]string{})
	})
}

// FuzzDetect runs the whole detection on trees whose config files hold the input.
func FuzzDetect(f *testing.F) {
	f.Add("Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        driver: pdo_mysql\n        dbname: x\n")
	f.Add("DB_CONNECTION=pgsql\nDB_HOST=/run/postgresql\nDB_DATABASE=x\n")
	f.Add("<?php define('DB_HOST', 'localhost:/tmp/my.sock');")
	f.Fuzz(func(t *testing.T, content string) {
		for _, tree := range []fstest.MapFS{
			{"flow": {}, "Configuration/Settings.yaml": {Data: []byte(content)}},
			{"artisan": {}, ".env": {Data: []byte(content)}},
			{"bin/console": {}, ".env": {Data: []byte(content)}, ".env.local": {Data: []byte(content)}},
			{"wp-config.php": {Data: []byte(content)}},
			{"sites/default/settings.php": {Data: []byte(content)}},
			{"config/system/settings.php": {Data: []byte(content)}},
		} {
			Detect(tree, "/app", func(string) string { return "" })
		}
	})
}
