package frameworks_test

import (
	"strings"
	"testing"
)

// wp-config.php as wp-config-sample.php has it, with the usual edits.
func TestWordPress(t *testing.T) {
	cfg := func(host, extra string) string {
		pw := `'it\'s \\ "secret"'`
		if strings.HasPrefix(extra, "define('DB_PASSWORD'") {
			pw, extra = strings.TrimSuffix(strings.TrimPrefix(extra, "define('DB_PASSWORD', "), ");"), ""
		}
		return `<?php
/**
 * The base configuration for WordPress
 *
 * @package WordPress
 */

// ** Database settings - You can get this info from your web host ** //
/** The name of the database for WordPress */
define( 'DB_NAME', 'wordpress' );

/** Database username */
define( 'DB_USER', "wp_user" );

/** Database password */
define( 'DB_PASSWORD', ` + pw + ` );

/** Database hostname */
define( 'DB_HOST', '` + host + `' );

/** Database charset to use in creating database tables. */
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

define( 'AUTH_KEY',         'put your unique phrase here' );
# define( 'DB_NAME', 'commented_out' );
/* define( 'DB_NAME', 'also_commented' ); */

$table_prefix = 'wp_';
` + extra + `
define( 'WP_DEBUG', false );

/* That's all, stop editing! Happy publishing. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`
	}
	const pw = `it's \ "secret"`
	const enc = `it%27s%20%5C%20%22secret%22`
	uploads := []string{"uploads=/srv/app/wp-content/uploads"}
	runCases(t, []detectCase{
		{
			name:  "localhost",
			files: map[string]string{"wp-config.php": cfg("localhost", ""), "wp-content/uploads/2024/": ""},
			want: want{framework: "wordpress", dsn: "mysql://wp_user:" + enc + "@localhost:3306/wordpress", password: pw, fileSets: uploads,
				why: []string{`table prefix "wp_"`, "transients", "default MySQL socket"}, source: "wp-config.php"},
		},
		{
			name:  "host with port, custom prefix",
			files: map[string]string{"wp-config.php": cfg("db.example.com:3307", "$table_prefix = 'blog2_';"), "wp-content/uploads/": ""},
			want: want{framework: "wordpress", dsn: "mysql://wp_user:" + enc + "@db.example.com:3307/wordpress", password: pw, fileSets: uploads,
				why: []string{`table prefix "blog2_"`, "blog2_options"}},
		},
		{
			name:  "socket",
			files: map[string]string{"wp-config.php": cfg("localhost:/var/run/mysqld/mysqld.sock", ""), "wp-content/uploads/": ""},
			want: want{framework: "wordpress", dsn: "mysql://wp_user:" + enc + "@localhost:3306/wordpress?socket=%2Fvar%2Frun%2Fmysqld%2Fmysqld.sock",
				password: pw, fileSets: uploads},
		},
		{
			name:  "IPv6 with port; getenv with fallback",
			files: map[string]string{"wp-config.php": cfg("[::1]:3308", "define('DB_PASSWORD', getenv('WP_DB_PASSWORD') ?: 'fallback');"), "wp-content/uploads/": ""},
			env:   envOf("WP_DB_PASSWORD", "p@ss"),
			want:  want{framework: "wordpress", dsn: "mysql://wp_user:p%40ss@[::1]:3308/wordpress", password: "p@ss", fileSets: uploads},
		},
	})
}

// Drupal trees as drupal/recommended-project lays them out (web/ docroot).
func TestDrupal(t *testing.T) {
	settings := `<?php

// phpcs:ignoreFile

/**
 * @file
 * Drupal site-specific configuration file.
 */
$databases = [];

$settings['hash_salt'] = file_get_contents('/home/example/salt.txt');
$settings['config_sync_directory'] = '../config/sync';

$databases['default']['default'] = array (
  'database' => 'drupal',
  'username' => 'drupal',
  'password' => 'in-settings',
  'prefix' => '',
  'host' => 'localhost',
  'port' => '3306',
  'isolation_level' => 'READ COMMITTED',
  'driver' => 'mysql',
  'namespace' => 'Drupal\\mysql\\Driver\\Database\\mysql',
  'autoload' => 'core/modules/mysql/src/Driver/Database/mysql/',
);

if (file_exists($app_root . '/' . $site_path . '/settings.local.php')) {
  include $app_root . '/' . $site_path . '/settings.local.php';
}
`
	local := `<?php
$databases['default']['default']['password'] = "p@ss\$word";
$databases['default']['default']['host'] = 'db';
`
	structure := []string{"cache_*", "cachetags", "watchdog", "sessions", "semaphore", "flood", "queue"}
	runCases(t, []detectCase{
		{
			name: "web docroot, settings.local.php overrides, multisite files",
			files: map[string]string{"web/sites/default/settings.php": settings, "web/sites/default/settings.local.php": local,
				"web/sites/default/files/": "", "web/sites/example.com/files/": "", "web/core/": ""},
			want: want{framework: "drupal", dsn: "mysql://drupal:p%40ss$word@db:3306/drupal", password: "p@ss$word",
				fileSets:  []string{"files=/srv/app/web/sites/default/files", "files-example.com=/srv/app/web/sites/example.com/files"},
				structure: structure, why: []string{"includes web/sites/default/settings.local.php"},
				source: "web/sites/default/settings.php + web/sites/default/settings.local.php"},
		},
		{
			name: "pgsql with short array syntax and a prefix, local not included",
			files: map[string]string{"sites/default/settings.php": `<?php
$databases['default']['default'] = [
  'database' => 'd10', 'username' => 'postgres', 'password' => '', 'host' => 'pg', 'port' => 5433,
  'driver' => 'pgsql', 'prefix' => 'dr_',
];`, "sites/default/settings.local.php": local},
			want: want{framework: "drupal", dsn: "postgres://postgres@pg:5433/d10", fileSets: []string{"files=/srv/app/sites/default/files"},
				structure: []string{"dr_cache_*", "dr_watchdog"}, why: []string{"does not include it", `table prefix "dr_"`}},
		},
	})
}

func TestTYPO3(t *testing.T) {
	v12 := `<?php
return [
    'BE' => [
        'debug' => false,
        'installToolPassword' => '$argon2i$v=19$m=65536,t=16,p=1$abc',
    ],
    'DB' => [
        'Connections' => [
            'Default' => [
                'charset' => 'utf8mb4',
                'dbname' => 'typo3',
                'driver' => 'mysqli',
                'host' => 'db',
                'password' => 'from-settings',
                'port' => 3306,
                'tableoptions' => [
                    'charset' => 'utf8mb4',
                    'collate' => 'utf8mb4_unicode_ci',
                ],
                'user' => 'typo3',
            ],
        ],
    ],
    'SYS' => ['sitename' => 'New TYPO3 site', 'encryptionKey' => 'abc'],
];
`
	structure := []string{"cache_*", "sys_log", "be_sessions", "fe_sessions"}
	runCases(t, []detectCase{
		{
			name: "v12 composer mode with additional.php override",
			files: map[string]string{"config/system/settings.php": v12, "public/fileadmin/": "",
				"config/system/additional.php": "<?php\n$GLOBALS['TYPO3_CONF_VARS']['DB']['Connections']['Default']['password'] = 'p@ss';\n$GLOBALS['TYPO3_CONF_VARS']['DB']['Connections']['Default']['port'] = 3307;\n$GLOBALS['TYPO3_CONF_VARS']['SYS']['trustedHostsPattern'] = '.*';\n"},
			want: want{framework: "typo3", dsn: "mysql://typo3:p%40ss@db:3307/typo3", password: "p@ss",
				fileSets: []string{"fileadmin=/srv/app/public/fileadmin"}, structure: structure,
				source: "config/system/settings.php + config/system/additional.php (DB.Connections.Default)"},
		},
		{
			// a fresh clone, before composer install made public/: the
			// uploads still go to public/fileadmin (they went to fileadmin/)
			name:  "v12 composer mode without public/ yet",
			files: map[string]string{"config/system/settings.php": v12},
			want: want{framework: "typo3", dsn: "mysql://typo3:from-settings@db:3306/typo3", password: "from-settings",
				fileSets: []string{"fileadmin=/srv/app/public/fileadmin"}, structure: structure, why: []string{"does not exist (yet)"}},
		},
		{
			name: "v11 classic mode, LocalConfiguration.php with array(), postgres socket",
			files: map[string]string{"typo3conf/LocalConfiguration.php": `<?php
return array(
    'DB' => array(
        'Connections' => array(
            'Default' => array(
                'dbname' => 't3',
                'driver' => 'pdo_pgsql',
                'password' => 'pgpw',
                'user' => 't3',
                'unix_socket' => '/run/postgresql',
            ),
        ),
    ),
);`, "fileadmin/": ""},
			want: want{framework: "typo3", dsn: "postgres://t3:pgpw@/t3?host=%2Frun%2Fpostgresql", password: "pgpw",
				fileSets: []string{"fileadmin=/srv/app/fileadmin"}, source: "typo3conf/LocalConfiguration.php"},
		},
	})
}
