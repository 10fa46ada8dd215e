package frameworks_test

import "testing"

// Laravel's config/database.php as the skeleton ships it (mysql part), edited to
// hold a literal connection, and untouched (env() with defaults).
func TestLaravelDatabasePHP(t *testing.T) {
	config := func(mysql string) string {
		return `<?php

use Illuminate\Support\Str;

return [
    'default' => env('DB_CONNECTION', 'sqlite'),

    'connections' => [
        'sqlite' => [
            'driver' => 'sqlite',
            'url' => env('DB_URL'),
            'database' => env('DB_DATABASE', database_path('database.sqlite')),
            'prefix' => '',
            'foreign_key_constraints' => env('DB_FOREIGN_KEYS', true),
        ],

        'mysql' => [` + mysql + `
            'charset' => env('DB_CHARSET', 'utf8mb4'),
            'collation' => env('DB_COLLATION', 'utf8mb4_unicode_ci'),
            'prefix' => '',
            'strict' => true,
            'engine' => null,
            'options' => extension_loaded('pdo_mysql') ? array_filter([
                PDO::MYSQL_ATTR_SSL_CA => env('MYSQL_ATTR_SSL_CA'),
            ]) : [],
        ],
    ],

    'migrations' => [
        'table' => 'migrations',
        'update_date_on_publish' => true,
    ],

    'redis' => [
        'client' => env('REDIS_CLIENT', 'phpredis'),
        'options' => [
            'prefix' => env('REDIS_PREFIX', Str::slug(env('APP_NAME', 'laravel'), '_').'_database_'),
        ],
    ],
];
`
	}
	stock := `
            'driver' => 'mysql',
            'url' => env('DB_URL'),
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '3306'),
            'database' => env('DB_DATABASE', 'laravel'),
            'username' => env('DB_USERNAME', 'root'),
            'password' => env('DB_PASSWORD', ''),
            'unix_socket' => env('DB_SOCKET', ''),`
	literal := `
            'driver' => 'mysql',
            'host' => 'db.internal',
            'port' => 3307,
            'database' => 'shop',
            'username' => 'shop',
            'password' => 'lit-pw',`
	storage := []string{"storage=/srv/app/storage/app"}
	runCases(t, []detectCase{
		{
			name:  "literal connection wins over .env",
			files: map[string]string{"artisan": "", ".env": "DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_DATABASE=fromenv\nDB_PASSWORD=envpw\n", "config/database.php": config(literal)},
			want:  want{framework: "laravel", dsn: "mysql://shop:lit-pw@db.internal:3307/shop", password: "lit-pw", fileSets: storage, source: "config/database.php"},
		},
		{
			name:  "stock file with .env",
			files: map[string]string{"artisan": "", ".env": "DB_CONNECTION=mysql\nDB_DATABASE=app\nDB_USERNAME=app\nDB_PASSWORD=\"p@ss\"\n", "config/database.php": config(stock)},
			want:  want{framework: "laravel", dsn: "mysql://app:p%40ss@127.0.0.1:3306/app", password: "p@ss", fileSets: storage},
		},
		{
			name:  "stock file, no DB_CONNECTION: Laravel 11's sqlite default",
			files: map[string]string{"artisan": "", ".env": "APP_NAME=x\n", "config/database.php": config(stock)},
			want:  want{framework: "laravel", fileSets: storage, why: []string{"sqlite"}},
		},
	})
}

func TestSymfonyDoctrineYAML(t *testing.T) {
	parts := `doctrine:
    dbal:
        driver: pdo_mysql
        host: '%env(DB_HOST)%'
        port: 3306
        dbname: shop
        user: '%env(DB_USER)%'
        password: '%env(resolve:DB_PASSWORD)%'
        server_version: '10.11.2-MariaDB'
    orm:
        auto_generate_proxy_classes: true

when@test:
    doctrine:
        dbal:
            dbname_suffix: '_test%env(default::TEST_TOKEN)%'
`
	conns := `doctrine:
    dbal:
        default_connection: main
        connections:
            main:
                url: '%env(resolve:MAIN_DATABASE_URL)%'
            legacy:
                url: '%env(LEGACY_URL)%'
when@prod:
    doctrine:
        dbal:
            connections:
                main:
                    url: '%env(resolve:PROD_DATABASE_URL)%'
`
	runCases(t, []detectCase{
		{
			name:  "parts, no DATABASE_URL",
			files: map[string]string{"bin/console": "", ".env": "APP_ENV=dev\nDB_HOST=db\nDB_USER=sf\nDB_PASSWORD=sfpw\n", "config/packages/doctrine.yaml": parts},
			want:  want{framework: "symfony", dsn: "mysql://sf:sfpw@db:3306/shop", password: "sfpw", source: "doctrine.yaml"},
		},
		{
			name:  "named connections with when@prod",
			files: map[string]string{"bin/console": "", ".env": "APP_ENV=prod\nMAIN_DATABASE_URL=mysql://a:b@h/main\nPROD_DATABASE_URL=postgresql://p:q@pg:5432/prod\n", "config/packages/doctrine.yaml": conns},
			want:  want{framework: "symfony", dsn: "postgres://p:q@pg:5432/prod", password: "q", source: "PROD_DATABASE_URL"},
		},
		{
			name:  "a container parameter is not guessed",
			files: map[string]string{"bin/console": "", ".env": "DATABASE_URL=mysql://a:b@h/x\n", "config/packages/doctrine.yaml": "doctrine:\n  dbal:\n    dbname: '%app.db_name%'\n    host: h\n"},
			want:  want{framework: "symfony"},
		},
	})
}

func TestDrupalPrivateFiles(t *testing.T) {
	settings := `<?php
$databases['default']['default'] = ['database' => 'd', 'username' => 'u', 'password' => 'dpw', 'host' => '127.0.0.1', 'driver' => 'mysql'];
$settings['file_private_path'] = '../private';
$settings['file_public_path'] = 'sites/default/files';
`
	runCases(t, []detectCase{{
		name:  "private path relative to the docroot",
		files: map[string]string{"web/sites/default/settings.php": settings, "private/": "", "web/sites/default/files/": ""},
		want: want{framework: "drupal", dsn: "mysql://u:dpw@127.0.0.1:3306/d", password: "dpw",
			fileSets: []string{"files=/srv/app/web/sites/default/files", "private=/srv/app/private"}},
	}})
}
