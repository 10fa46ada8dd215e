package frameworks

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// runPHPFile reads and interprets one PHP file into f; ok is false when it is missing.
func runPHPFile(s *scan, name string, f *phpFile, onInclude func(phpInclude) error) (ok bool, err error) {
	data, ok, err := s.read(name)
	if err != nil || !ok {
		return ok, err
	}
	if err := runPHP(string(data), s.getenv, f, onInclude); err != nil {
		return true, phpErr(name, err)
	}
	return true, nil
}

func matchWordPress(s *scan) (string, bool) {
	if s.exists("wp-config.php") {
		return "wp-config.php found (WordPress)", true
	}
	return "", false
}

// loadWordPress reads the DB_* constants and $table_prefix of wp-config.php.
func loadWordPress(s *scan, p *Project) error {
	p.Framework = "wordpress"
	const file = "wp-config.php"
	var f phpFile
	if _, err := runPHPFile(s, file, &f, nil); err != nil {
		return err
	}
	get := func(name string) (string, error) {
		v, _, err := phpStr(f.consts[name], file, "define('"+name+"')")
		return v, err
	}
	var vals [4]string
	for i, n := range []string{"DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST"} {
		v, err := get(n)
		if err != nil {
			return err
		}
		vals[i] = v
	}
	prefix, ok, err := phpStr(f.vars["table_prefix"], file, "$table_prefix")
	if err != nil {
		return err
	}
	if !ok {
		prefix = "wp_"
	}
	p.Why = append(p.Why, fmt.Sprintf("table prefix %q", prefix))
	fileSet(s, p, "uploads", "wp-content/uploads", true)
	// Transients are WordPress's cache in the options table: a missing one is
	// simply recomputed, so none of them needs to travel (expired or not).
	p.Where = map[string]string{prefix + "options": `option_name NOT LIKE '\_transient\_%' AND option_name NOT LIKE '\_site\_transient\_%'`}
	p.Why = append(p.Why, "transients (rows _transient_% and _site_transient_% of "+prefix+"options, WordPress's cache) are left out")
	if vals[0] == "" && vals[3] == "" && f.consts["DB_NAME"] == nil {
		return nil // no DB defines at all
	}
	c := conn{engine: "mysql", dbname: vals[0], user: vals[1], password: vals[2]}
	host := vals[3]
	if host == "" {
		host = "localhost"
	}
	if err := wpHost(&c, host); err != nil {
		return fmt.Errorf("%s: define('DB_HOST'): %v: %w", file, err, ErrSyntax)
	}
	if c.host == "localhost" && c.socket == "" {
		p.Why = append(p.Why, "DB_HOST is localhost: PHP uses the default MySQL socket there, synco connects over TCP to localhost (add ?socket=… with --db if TCP is off)")
	}
	p.DB, err = c.db(file + " (DB_NAME, DB_USER, DB_PASSWORD, DB_HOST)")
	return err
}

// wpHost splits DB_HOST: "host", "host:port", "host:/path/to.sock", "[::1]:3306".
func wpHost(c *conn, h string) error {
	h = strings.TrimPrefix(h, "p:") // mysqli persistent connection
	if i := strings.Index(h, ":/"); i >= 0 {
		c.host, c.socket = h[:i], h[i+1:]
		return nil
	}
	if strings.HasPrefix(h, "/") {
		c.socket = h
		return nil
	}
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return fmt.Errorf("unterminated [ in host")
		}
		c.host = h[1:end]
		h = strings.TrimPrefix(h[end+1:], ":")
		var err error
		c.port, err = parsePort(h)
		return err
	}
	host, port, found := strings.Cut(h, ":")
	c.host = host
	if found {
		var err error
		if c.port, err = parsePort(port); err != nil {
			return err
		}
	}
	return nil
}

var drupalRoots = []string{"", "web/", "docroot/"}

func matchDrupal(s *scan) (string, bool) {
	for _, r := range drupalRoots {
		if s.exists(r + "sites/default/settings.php") {
			return r + "sites/default/settings.php found (Drupal)", true
		}
	}
	return "", false
}

// loadDrupal reads $databases['default']['default'] from sites/default/settings.php
// and the settings.local.php it includes.
func loadDrupal(s *scan, p *Project) error {
	p.Framework = "drupal"
	docroot := ""
	for _, r := range drupalRoots {
		if s.exists(r + "sites/default/settings.php") {
			docroot = r
			break
		}
	}
	main := docroot + "sites/default/settings.php"
	local := docroot + "sites/default/settings.local.php"
	files := []string{main}
	var f phpFile
	included := false
	var onInclude func(phpInclude) error
	onInclude = func(inc phpInclude) error {
		if len(inc.strings) == 0 || !strings.HasSuffix(inc.strings[len(inc.strings)-1], "settings.local.php") || included {
			return nil
		}
		included = true
		ok, err := runPHPFile(s, local, &f, onInclude)
		if ok {
			files = append(files, local)
			p.Why = append(p.Why, fmt.Sprintf("%s includes settings.local.php (line %d)", main, inc.line))
		}
		return err
	}
	if _, err := runPHPFile(s, main, &f, onInclude); err != nil {
		return err
	}
	if !included && s.exists(local) {
		p.Why = append(p.Why, local+" exists but settings.php does not include it: ignored")
	}
	if line := f.condSet["databases"]; line != 0 {
		p.Why = append(p.Why, fmt.Sprintf("$databases is assigned inside a block (line %d); synco applied it without evaluating the condition", line))
	}
	prefix := ""
	source := strings.Join(files, " + ") + " ($databases['default']['default'])"
	if dbv := phpGet(f.vars["databases"], "default", "default"); dbv != nil {
		key := "$databases['default']['default']"
		v, err := phpFields(dbv, source, key, "database", "username", "password", "host", "port", "driver", "prefix", "unix_socket")
		if err != nil {
			return err
		}
		prefix = v["prefix"]
		driver := v["driver"]
		if driver == "" {
			driver = "mysql"
		}
		if driver == "sqlite" {
			p.Why = append(p.Why, source+": driver sqlite, which synco does not dump: pass --db")
		} else {
			c := conn{engine: engineOf(driver), host: v["host"], socket: v["unix_socket"],
				user: v["username"], password: v["password"], dbname: v["database"]}
			if c.engine == "" {
				return fmt.Errorf("%s: driver %q is not supported (want mysql or pgsql): %w", source, driver, ErrUnsupported)
			}
			if c.port, err = parsePort(v["port"]); err != nil {
				return fmt.Errorf("%s: %s['port']: %v: %w", source, key, err, ErrSyntax)
			}
			if p.DB, err = c.db(source); err != nil {
				return err
			}
		}
	}
	if prefix != "" {
		p.Why = append(p.Why, fmt.Sprintf("table prefix %q", prefix))
	}
	sites, _ := fs.Glob(s.fsys, docroot+"sites/*/files")
	sort.Strings(sites)
	fileSet(s, p, "files", docroot+"sites/default/files", true)
	for _, d := range sites {
		site := path.Base(path.Dir(d))
		if site != "default" {
			fileSet(s, p, "files-"+site, d, false)
		}
	}
	for _, t := range []string{"cache_*", "cachetags", "watchdog", "sessions", "semaphore", "flood", "queue"} {
		p.StructureOnly = append(p.StructureOnly, prefix+t)
	}
	return nil
}
