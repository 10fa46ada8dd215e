package frameworks

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

func matchSymfony(s *scan) (string, bool) {
	for _, f := range []string{"bin/console", "symfony.lock", "config/bundles.php"} {
		if s.exists(f) {
			return f + " found (Symfony)", true
		}
	}
	return "", false
}

// loadSymfony reads the .env files in Symfony's order (Dotenv::loadEnv) or the
// compiled .env.local.php, with the real environment on top, and DATABASE_URL.
func loadSymfony(s *scan, p *Project) error {
	p.Framework = "symfony"
	d, err := symfonyEnv(s, p)
	if err != nil {
		return err
	}
	appEnv, _ := d.get(s, "APP_ENV")
	if appEnv == "" {
		appEnv = "dev"
	}
	ok, err := loadDoctrine(s, p, d, appEnv)
	if err != nil {
		return err
	}
	raw, from := d.get(s, "DATABASE_URL")
	switch {
	case ok: // doctrine.yaml decided
	case raw == "":
		p.Why = append(p.Why, "DATABASE_URL is not set in the environment or the .env files")
	default:
		db, note, err := dbFromURL(raw, from+" (DATABASE_URL)")
		if err != nil {
			return err
		}
		p.DB = db
		if note != "" {
			p.Why = append(p.Why, note)
		}
	}
	fileSet(s, p, "uploads", "public/uploads", false)
	fileSet(s, p, "var-uploads", "var/uploads", false)
	if len(p.FileSets) == 0 {
		p.Why = append(p.Why, "no upload directory found (looked for public/uploads, var/uploads): pass --files")
	}
	p.StructureOnly = []string{"messenger_messages", "sessions", "cache_items"}
	return nil
}

func symfonyEnv(s *scan, p *Project) (*dotenv, error) {
	d := newDotenv()
	if data, ok, err := s.read(".env.local.php"); err != nil {
		return nil, err
	} else if ok {
		var f phpFile
		if err := runPHP(string(data), s.getenv, &f); err != nil {
			return nil, phpErr(".env.local.php", err)
		}
		if f.ret == nil || f.ret.kind != pArray {
			return nil, fmt.Errorf(".env.local.php does not return an array: %w", ErrUnsupported)
		}
		for _, k := range f.ret.keys {
			v, _, err := phpStr(f.ret.elems[k], ".env.local.php", "['"+k+"']")
			if err != nil {
				return nil, err
			}
			d.vals[k], d.from[k] = v, ".env.local.php"
		}
		p.Why = append(p.Why, ".env.local.php (composer dump-env) found: Symfony uses it instead of the .env files")
		return d, nil
	}
	var loaded []string
	load := func(name string) error {
		ok, err := d.load(s, name)
		if ok {
			loaded = append(loaded, name)
		}
		return err
	}
	if ok, err := d.load(s, ".env"); err != nil {
		return nil, err
	} else if ok {
		loaded = append(loaded, ".env")
	} else if err := load(".env.dist"); err != nil {
		return nil, err
	}
	appEnv := func() (string, string) {
		v, from := d.get(s, "APP_ENV")
		if v == "" {
			return "dev", "default"
		}
		return v, from
	}
	if env, _ := appEnv(); env != "test" {
		if err := load(".env.local"); err != nil {
			return nil, err
		}
	}
	env, from := appEnv()
	if env != "local" {
		if err := load(".env." + env); err != nil {
			return nil, err
		}
		if err := load(".env." + env + ".local"); err != nil {
			return nil, err
		}
	}
	p.Why = append(p.Why, fmt.Sprintf("APP_ENV=%s (%s); read %s, then the real environment", env, from, orNone(loaded)))
	return d, nil
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "no .env files"
	}
	return strings.Join(l, ", ")
}

func matchLaravel(s *scan) (string, bool) {
	if s.exists("artisan") {
		return "artisan found (Laravel)", true
	}
	return "", false
}

// loadLaravel reads .env (or .env.$APP_ENV when APP_ENV is set in the environment
// and that file exists), with the real environment on top, as config/database.php
// does by default.
func loadLaravel(s *scan, p *Project) error {
	p.Framework = "laravel"
	file := ".env"
	if e := s.getenv("APP_ENV"); e != "" && s.exists(".env."+e) {
		file = ".env." + e
	}
	d := newDotenv()
	ok, err := d.load(s, file)
	if err != nil {
		return err
	}
	if !ok {
		p.Why = append(p.Why, file+" not found: only the real environment is used")
	} else {
		p.Why = append(p.Why, "read "+file+", then the real environment")
	}
	fileSet(s, p, "storage", "storage/app", true)
	p.StructureOnly = []string{"cache", "cache_locks", "sessions", "jobs", "job_batches", "failed_jobs"}

	for _, cfg := range []string{"config/database.php", "vendor/laravel/framework/config/database.php"} {
		if ok, err := laravelConfig(s, p, d, cfg); ok || err != nil {
			return err
		}
	}
	froms := map[string]bool{}
	get := func(k string) string {
		v, from := d.get(s, k)
		if v != "" {
			froms[from] = true
		}
		return v
	}
	driver := get("DB_CONNECTION")
	if driver == "" {
		driver = "mysql"
		p.Why = append(p.Why, "DB_CONNECTION not set: assuming mysql")
	}
	source := func(keys string) string {
		var l []string
		for f := range froms {
			l = append(l, f)
		}
		sort.Strings(l)
		return strings.Join(l, " + ") + " (" + keys + ")"
	}
	if driver == "sqlite" || driver == "sqlsrv" {
		p.Why = append(p.Why, fmt.Sprintf("DB_CONNECTION=%s, which synco does not dump: pass --db", driver))
		return nil
	}
	if raw := get("DB_URL"); raw != "" || get("DATABASE_URL") != "" {
		key := "DB_URL"
		if raw == "" {
			raw, key = get("DATABASE_URL"), "DATABASE_URL"
		}
		db, note, err := dbFromURL(raw, source(key))
		if err != nil {
			return err
		}
		if note != "" {
			p.Why = append(p.Why, note)
		}
		p.DB = db
		return nil
	}
	c := conn{engine: engineOf(driver), host: get("DB_HOST"), socket: get("DB_SOCKET"),
		user: get("DB_USERNAME"), password: get("DB_PASSWORD"), dbname: get("DB_DATABASE")}
	if c.engine == "" {
		return fmt.Errorf("%s: DB_CONNECTION=%s is not supported (want mysql, mariadb or pgsql): %w", source("DB_CONNECTION"), driver, ErrUnsupported)
	}
	if c.port, err = parsePort(get("DB_PORT")); err != nil {
		return fmt.Errorf("%s: %v: %w", source("DB_PORT"), err, ErrSyntax)
	}
	if c.dbname == "" {
		c.dbname = "laravel"
		p.Why = append(p.Why, "DB_DATABASE not set: using Laravel's default \"laravel\"")
	}
	if c.user == "" {
		c.user = "root"
	}
	var set []string // the keys that gave a value, not those left at their default
	for _, k := range []string{"DB_CONNECTION", "DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USERNAME", "DB_PASSWORD", "DB_SOCKET"} {
		if get(k) != "" {
			set = append(set, k)
		}
	}
	p.DB, err = c.db(source(strings.Join(set, ", ")))
	return err
}

// laravelConfig reads the default connection of a Laravel config/database.php
// (or the framework's own, which Laravel 11 uses when the application has none),
// with env() reading the .env values and the real environment. ok is false when
// the file does not exist.
func laravelConfig(s *scan, p *Project, d *dotenv, name string) (ok bool, err error) {
	var f phpFile
	ok, err = runPHPFile(s, name, &f, func(r *phpRun) {
		r.laravelEnv = true
		r.env = func(k string) string { v, _ := d.get(s, k); return v }
	})
	p.addPHP(&f)
	if !ok || err != nil {
		return ok, err
	}
	if f.ret == nil || f.ret.kind != pArray {
		p.Warnings = append(p.Warnings, name+" does not return a literal array: pass --db")
		return true, nil
	}
	source := name + " (connections."
	def, _, err := phpStr(phpGet(f.ret, "default"), name, "['default']")
	if errors.Is(err, errUndecided) {
		p.undetermined(err.Error())
		return true, nil
	}
	if err != nil {
		return true, err
	}
	p.Why = append(p.Why, fmt.Sprintf("%s: default connection %q", name, def))
	cv := phpGet(f.ret, "connections", def)
	if cv == nil {
		return true, fmt.Errorf("%s: connection %q is not configured: %w", name, def, ErrUnsupported)
	}
	source += def + ")"
	key := "['connections']['" + def + "']"
	driver, _, err := phpStr(phpGet(cv, "driver"), name, key+"['driver']")
	if err == nil && (driver == "sqlite" || driver == "sqlsrv") {
		p.Why = append(p.Why, fmt.Sprintf("%s: driver %s, which synco does not dump: pass --db", source, driver))
		return true, nil
	}
	v, err := phpFields(cv, name, key, "driver", "url", "host", "port", "database", "username", "password", "unix_socket")
	if errors.Is(err, errUndecided) {
		p.undetermined(err.Error())
		return true, nil
	}
	if err != nil {
		return true, err
	}
	if v["url"] != "" {
		db, note, err := dbFromURL(v["url"], source+" url")
		if note != "" {
			p.Why = append(p.Why, note)
		}
		p.DB = db
		return true, err
	}
	c := conn{engine: engineOf(v["driver"]), host: v["host"], socket: v["unix_socket"],
		user: v["username"], password: v["password"], dbname: v["database"]}
	if c.engine == "" {
		return true, fmt.Errorf("%s: driver %q is not supported (want mysql, mariadb or pgsql): %w", source, v["driver"], ErrUnsupported)
	}
	if c.port, err = parsePort(v["port"]); err != nil {
		return true, fmt.Errorf("%s: port: %v: %w", source, err, ErrSyntax)
	}
	p.DB, err = c.db(source)
	return true, err
}
