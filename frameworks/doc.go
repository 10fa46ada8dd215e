// Package frameworks recognises the web application in a directory and reads, from
// the application's own configuration files only (no PHP is run), what synco should
// move: the database connection, the file sets, and the tables whose rows never need
// to travel. Detect is the entry point; docs/frameworks.md is the user-facing
// version of this list.
//
// # Priority
//
// When several frameworks match, the first of Priority wins and Project.Why says so:
// neos/flow > typo3 > drupal > wordpress > laravel > symfony > generic. Applications
// with their own marker file come before the frameworks they are built on or ship
// with (TYPO3, Drupal and Laravel projects contain Symfony components).
//
// # Neos and Flow
//
// Marker: a "flow" script and a Configuration directory. Neos when composer.json
// requires neos/neos or Packages/{Application,Neos}/Neos.Neos exists, else Flow.
// FLOW_CONTEXT (default Development) with its sub-contexts: for Production/Live,
// Configuration/, Configuration/Production/ and Configuration/Production/Live/ are
// read in this order, in each Settings.yaml then Settings.*.yaml in name order,
// merged recursively (later wins), as Flow's YamlSource does. Package settings are
// not read; Flow's defaults (driver pdo_mysql, host 127.0.0.1) apply.
// Neos.Flow.persistence.backendOptions gives driver (pdo_mysql, mysqli → mysql;
// pdo_pgsql → postgres), host, port, dbname, user, password, unix_socket;
// %env:NAME% is replaced from the environment (unset: empty, noted in Why).
// Files: "persistent" = Data/Persistent/Resources. Structure-only: cache,
// cache_tags, and for Neos neos_neos_eventlog_domain_model_event and
// neos_media_domain_model_thumbnail; SkipFiles leaves the thumbnails' resources
// out of "persistent" (found by their SHA-1 in the database).
//
// # Symfony
//
// Marker: bin/console, symfony.lock or config/bundles.php. If .env.local.php
// (composer dump-env) exists, its returned array is used instead of the .env files.
// Otherwise .env (or .env.dist), then .env.local (not for APP_ENV=test), then
// .env.$APP_ENV and .env.$APP_ENV.local; APP_ENV from the real environment, else the
// files (re-read after .env.local), default dev. The real environment overrides
// every file. Dotenv syntax: export, comments, single quotes (literal), double
// quotes (escapes, multi-line), $VAR, ${VAR}, ${VAR:-default}. DATABASE_URL schemes
// mysql, mysql2, mariadb, pdo-mysql, postgres, postgresql, pgsql, pdo-pgsql;
// url-encoded user and password; unix_socket (and host=/dir for PostgreSQL);
// serverVersion and charset are ignored; sqlite is noted, not an error. Files:
// "uploads" = public/uploads and "var-uploads" = var/uploads when present.
// config/packages/doctrine.yaml (doctrine.dbal, its default connection, when@ENV)
// wins over DATABASE_URL when it configures a connection; %env()% is resolved.
// Structure-only: messenger_messages, sessions, cache_items.
//
// # Laravel
//
// Marker: artisan. .env, or .env.$APP_ENV when APP_ENV is set in the real
// environment and that file exists; the real environment overrides it.
// config/database.php (or vendor/laravel/framework/config/database.php) when
// present: its default connection, env() read from the same sources. Otherwise
// DB_URL (or DATABASE_URL) wins over DB_CONNECTION (mysql, mariadb, pgsql; default
// mysql; sqlite and sqlsrv are noted), DB_HOST (127.0.0.1), DB_PORT, DB_DATABASE
// (laravel), DB_USERNAME (root), DB_PASSWORD, DB_SOCKET. Files: "storage" =
// storage/app (public and private). Structure-only: cache, cache_locks, sessions,
// jobs, job_batches, failed_jobs.
//
// # WordPress
//
// Marker: wp-config.php, or web/wp-config.php with config/application.php
// (Bedrock: the database from .env/.env.local and the environment, DATABASE_URL
// split as parse_url does, DB_PREFIX, uploads in web/app/uploads). define() of
// DB_NAME, DB_USER, DB_PASSWORD, DB_HOST ("host", "host:port",
// "host:/path/to.sock", "[::1]:port"; default localhost) in wp-config.php and the
// files it includes (Debian: /etc/wordpress/config-HOST.php, taken when it is the
// only candidate), $table_prefix (default wp_), MULTISITE. Files: "uploads" =
// ABSPATH/UPLOADS, else WP_CONTENT_DIR/uploads, else wp-content/uploads.
// Structure-only: none; Where leaves the transients (_transient_%,
// _site_transient_%: WordPress's cache) out of <prefix>options, and on a multisite
// network out of <prefix>N_options (glob keys, one per length of N) and
// <prefix>sitemeta.
//
// # Drupal
//
// Marker: sites/default/settings.php, also under web/ or docroot/.
// $databases['default']['default'] (array() or [] syntax, or key by key) from
// settings.php and the files it includes ($app_root and $site_path set): database,
// username, password, host, port, driver (mysql, pgsql; sqlite noted), prefix,
// unix_socket. Files: "files" = sites/default/files, "files-SITE" for other
// sites/*/files. Structure-only (with the table prefix): cache_*, cachetags,
// watchdog, sessions, semaphore, flood, queue.
//
// # TYPO3
//
// Marker and source, first found: config/system/settings.php (v12+ composer
// mode), typo3conf/system/settings.php (v12+ classic), public/typo3conf/
// LocalConfiguration.php, typo3conf/LocalConfiguration.php (v11 and older); then the
// matching additional.php / AdditionalConfiguration.php, whose literal
// $GLOBALS['TYPO3_CONF_VARS'][…] = …; assignments are applied.
// DB.Connections.Default: dbname, host, port, user, password, driver (mysqli,
// pdo_mysql; pdo_pgsql; default mysqli), unix_socket. Files: "fileadmin" =
// public/fileadmin when public/ exists, else fileadmin. Structure-only: cache_*,
// sys_log, be_sessions, fe_sessions.
//
// # Generic
//
// No marker, but .env sets DATABASE_URL: framework "generic" with that database and
// no file sets.
//
// # PHP files
//
// PHP configuration is read by a small tokenizer and evaluator: literals, arrays,
// concatenation, define() (the first wins), assignments and reading variables,
// return, include/require of paths it can work out (__DIR__, dirname(), ABSPATH,
// known constants; a partly known path is globbed and taken only when exactly one
// file matches), if/elseif/else with the conditions it can evaluate (defined,
// file_exists, isset, getenv/$_ENV/$_SERVER, comparisons, ! && ||). A value set
// under a condition it cannot evaluate (the web request's $_SERVER['HTTP_HOST'], a
// function call), or possibly by an include it could not follow, is not guessed:
// it goes to Project.Warnings and the database to Project.Undetermined. Other
// values synco does not evaluate give an error wrapping ErrUnsupported that names
// file, key and line.
//
// # localhost
//
// A MySQL host "localhost" of a PHP framework gets the socket PHP would use
// (php.ini's mysqli/pdo_mysql.default_socket, else /run/mysqld/mysqld.sock,
// /var/run/mysqld/mysqld.sock, /tmp/mysql.sock: the first that exists), when
// DetectSystem can look outside the project.
//
// # Errors
//
// ErrNotFound (no framework; the message lists the files looked at), ErrSyntax
// (malformed file; the message names file and line) and ErrUnsupported (a value
// synco does not evaluate). Messages never contain passwords or file contents.
//
// # Size
//
// ≈4,300 lines without tests, above the house guide of ~1,500: most of it is the
// small PHP interpreter (phplex.go, phpeval.go, phprun.go, phpcall.go, phpget.go)
// that reads configuration the way PHP does, which every PHP framework here shares;
// the framework files themselves are short. It stays one package so the
// interpreter's values stay unexported.
package frameworks
