package frameworks

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

func matchWordPress(s *scan) (string, bool) {
	if s.exists("wp-config.php") {
		return "wp-config.php found (WordPress)", true
	}
	if s.exists("web/wp-config.php") && s.exists("config/application.php") {
		return "web/wp-config.php and config/application.php found (WordPress, Bedrock layout)", true
	}
	return "", false
}

// wpSkip names the files a wp-config.php includes that are WordPress itself, not
// configuration: they are not read. p may be a pattern of a path synco only partly
// knows ("*wp-settings.php" for ABSPATH . 'wp-settings.php' with ABSPATH unknown).
func wpSkip(p string) bool {
	switch strings.TrimPrefix(path.Base(p), "*") {
	case "wp-settings.php", "wp-load.php", "wp-blog-header.php", "autoload.php":
		return true
	}
	return strings.Contains(p, "/wp-includes/") || strings.Contains(p, "/wp-admin/") || strings.Contains(p, "/vendor/")
}

// loadWordPress reads the DB_* constants, $table_prefix, WP_CONTENT_DIR, UPLOADS
// and MULTISITE from wp-config.php and the files it includes.
func loadWordPress(s *scan, p *Project) error {
	p.Framework = "wordpress"
	if !s.exists("wp-config.php") {
		return loadBedrock(s, p)
	}
	const file = "wp-config.php"
	var f phpFile
	_, err := runPHPFile(s, file, &f, func(r *phpRun) { r.skip = wpSkip })
	p.addPHP(&f)
	if err != nil {
		return err
	}
	source := strings.Join(f.files, " + ") + " (DB_NAME, DB_USER, DB_PASSWORD, DB_HOST)"

	// A value set only under a condition synco cannot evaluate, or possibly by an
	// include it could not follow, is not guessed.
	undecided := ""
	get := func(name string, def string) string {
		v := f.consts[name]
		switch {
		case undecided != "":
		case v == nil && f.opaque != "":
			undecided = fmt.Sprintf("%s may be defined by %s", name, f.opaque)
		case v == nil:
			return def
		case v.cond != "":
			undecided = fmt.Sprintf("define('%s') in %s line %d depends on %s", name, v.file, v.line, v.cond)
		default:
			s, ok, e := phpStr(v, file, "define('"+name+"')")
			if e != nil && err == nil {
				err = e
			}
			if !ok {
				return def
			}
			return s
		}
		return ""
	}
	prefix := "wp_"
	if v := f.vars["table_prefix"]; v != nil && v.cond == "" {
		if prefix, _, err = phpStr(v, file, "$table_prefix"); err != nil {
			return err
		}
	} else if v != nil || f.opaque != "" {
		p.Warnings = append(p.Warnings, "$table_prefix is not determined (it depends on "+orWhy(v, f.opaque)+"): assuming wp_")
	}
	p.Why = append(p.Why, fmt.Sprintf("table prefix %q", prefix))
	wpUploads(s, p, &f)
	wpTransients(p, prefix, f.consts["MULTISITE"])

	wpURLs(p, &f, file)

	vals := [4]string{get("DB_NAME", ""), get("DB_USER", ""), get("DB_PASSWORD", ""), get("DB_HOST", "localhost")}
	if err != nil {
		return err
	}
	if undecided != "" {
		p.undetermined(undecided)
		return nil
	}
	if f.consts["DB_NAME"] == nil {
		return nil // no DB defines at all
	}
	return wpDB(p, vals, source)
}

// wpURLs reads WP_HOME and WP_SITEURL, the URLs WordPress uses instead of its
// home and siteurl options when they are defined. One that depends on a condition
// or is not a plain string is left out with a warning.
func wpURLs(p *Project, f *phpFile, file string) {
	var from []string
	for _, c := range [][2]string{{"home", "WP_HOME"}, {"siteurl", "WP_SITEURL"}} {
		v := f.consts[c[1]]
		if v == nil {
			continue
		}
		s, ok, err := phpStr(v, file, "define('"+c[1]+"')")
		if err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s is not determined (%v): the local URL is taken from the local database, or pass --rewrite FROM=TO", c[1], err))
			continue
		}
		if !ok || s == "" {
			continue
		}
		if p.URLs == nil {
			p.URLs = map[string]string{}
		}
		p.URLs[c[0]] = s
		from = append(from, c[1])
	}
	if len(from) > 0 {
		p.URLSource = file + " (" + strings.Join(from, ", ") + ")"
	}
}

func orWhy(v *phpValue, opaque string) string {
	if v != nil && v.cond != "" {
		return v.cond
	}
	return opaque
}

// wpDB makes the connection from DB_NAME, DB_USER, DB_PASSWORD and DB_HOST.
func wpDB(p *Project, vals [4]string, source string) error {
	c := conn{engine: "mysql", dbname: vals[0], user: vals[1], password: vals[2]}
	if err := wpHost(&c, vals[3]); err != nil {
		return fmt.Errorf("%s: DB_HOST: %v: %w", source, err, ErrSyntax)
	}
	var err error
	p.DB, err = c.db(source)
	return err
}

// wpUploads finds the uploads directory as WordPress does without an upload_path
// option: ABSPATH/UPLOADS when UPLOADS is defined, else WP_CONTENT_DIR/uploads
// (WP_CONTENT_DIR defaults to ABSPATH/wp-content).
func wpUploads(s *scan, p *Project, f *phpFile) {
	abspath := s.rootSlash() + "/"
	str := func(name string) (string, bool, string) {
		v := f.consts[name]
		if v == nil {
			if f.opaque != "" {
				return "", false, f.opaque
			}
			return "", false, ""
		}
		if v.cond != "" {
			return "", false, v.cond
		}
		if v.kind != pString {
			return "", false, fmt.Sprintf("%s (%s line %d)", whyOf(v), v.file, v.line)
		}
		return v.s, true, ""
	}
	notKnown := func(name, why string) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the uploads directory is not determined: %s depends on %s; pass --files uploads=DIR", name, why))
	}
	if v, ok, why := str("ABSPATH"); ok {
		abspath = v
	} else if why != "" {
		notKnown("ABSPATH", why)
		return
	}
	dir := ""
	if v, ok, why := str("UPLOADS"); ok {
		dir = path.Join(abspath, v)
		p.Why = append(p.Why, "uploads in ABSPATH/UPLOADS ("+v+")")
	} else if why != "" && f.consts["UPLOADS"] != nil {
		notKnown("UPLOADS", why)
		return
	} else if v, ok, why := str("WP_CONTENT_DIR"); ok {
		dir = path.Join(v, "uploads")
		p.Why = append(p.Why, "uploads in WP_CONTENT_DIR/uploads (WP_CONTENT_DIR "+v+")")
	} else if why != "" {
		notKnown("WP_CONTENT_DIR", why)
		return
	} else {
		dir = path.Join(abspath, "wp-content/uploads")
	}
	if !strings.HasPrefix(dir, "/") {
		dir = path.Join(s.rootSlash(), dir)
	}
	if !s.existsAbs(dir) {
		p.Why = append(p.Why, fmt.Sprintf("file set %q: %s does not exist (yet)", "uploads", s.display(dir)))
	}
	if rel := s.display(dir); !strings.HasPrefix(rel, "/") {
		dir = s.abs(rel)
	}
	p.FileSets = append(p.FileSets, FileSet{Name: "uploads", Dir: dir})
	p.Why = append(p.Why, "WordPress's upload_path option (in the database), if set, overrides this directory: synco does not read it")
}

// wpMultisiteDigits is how many digits of site IDs the multisite filters cover.
const wpMultisiteDigits = 6

// wpTransients leaves WordPress's caches in the database out: the transients of
// <prefix>options, and on a multisite network those of every site's
// <prefix><n>_options and the network's <prefix>sitemeta.
func wpTransients(p *Project, prefix string, multisite *phpValue) {
	p.TablePrefix = prefix // for the scrub rules
	const opts = `option_name NOT LIKE '\_transient\_%' AND option_name NOT LIKE '\_site\_transient\_%'`
	p.Where = map[string]string{prefix + "options": opts}
	p.Why = append(p.Why, "transients (rows _transient_% and _site_transient_% of "+prefix+"options, WordPress's cache) are left out")
	if multisite == nil {
		return
	}
	if on, known := truth(multisite); known && !on {
		return
	}
	// Table names are globs (path.Match, as StructureOnly): a site's table is
	// <prefix><id>_options with a numeric id; one pattern per length of the id
	// keeps a plugin's <prefix><id>_foo_options out.
	digits := "[1-9]"
	for range wpMultisiteDigits {
		p.Where[globEscape(prefix)+digits+"_options"] = opts
		digits += "[0-9]"
	}
	p.Where[prefix+"sitemeta"] = `meta_key NOT LIKE '\_site\_transient\_%'`
	p.Why = append(p.Why, fmt.Sprintf("multisite: transients of every site's %sN_options and the network's %ssitemeta (_site_transient_%%) are left out too", prefix, prefix))
}

// wpHost splits DB_HOST: "host", "host:port", "host:/path/to.sock", "[::1]:3306".
func wpHost(c *conn, h string) error {
	h = strings.TrimPrefix(h, "p:") // mysqli persistent connection
	if h == "" {
		h = "localhost"
	}
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
			return errors.New("unterminated [ in host")
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

// loadBedrock reads a Bedrock project (roots/bedrock): the database from .env (and
// .env.local) as its config/application.php does, uploads in web/app/uploads.
func loadBedrock(s *scan, p *Project) error {
	d := newDotenv()
	var loaded []string
	for _, name := range []string{".env", ".env.local"} {
		ok, err := d.load(s, name)
		if err != nil {
			return err
		}
		if ok {
			loaded = append(loaded, name)
		}
	}
	p.Why = append(p.Why, "Bedrock: read "+orNone(loaded)+", then the real environment, as config/application.php does (a changed application.php or config/environments/*.php is not read)")
	prefix, _ := d.get(s, "DB_PREFIX")
	if prefix == "" {
		prefix = "wp_"
	}
	p.Why = append(p.Why, fmt.Sprintf("table prefix %q", prefix))
	fileSet(s, p, "uploads", "web/app/uploads", true)
	wpTransients(p, prefix, nil)
	var urlFrom []string
	for _, c := range [][2]string{{"home", "WP_HOME"}, {"siteurl", "WP_SITEURL"}} {
		if v, from := d.get(s, c[1]); v != "" {
			if p.URLs == nil {
				p.URLs = map[string]string{}
			}
			p.URLs[c[0]] = v
			urlFrom = append(urlFrom, from+" ("+c[1]+")")
		}
	}
	p.URLSource = strings.Join(urlFrom, ", ")
	froms := map[string]bool{}
	get := func(k string) string {
		v, from := d.get(s, k)
		if v != "" {
			froms[from] = true
		}
		return v
	}
	if raw := get("DATABASE_URL"); raw != "" {
		vals, err := bedrockURL(raw)
		if err != nil {
			return fmt.Errorf("%s (DATABASE_URL): %w", strings.Join(mapKeys(froms), " + "), err)
		}
		return wpDB(p, vals, strings.Join(mapKeys(froms), " + ")+" (DATABASE_URL)")
	}
	vals := [4]string{get("DB_NAME"), get("DB_USER"), get("DB_PASSWORD"), get("DB_HOST")}
	if vals[0] == "" {
		p.Why = append(p.Why, "DB_NAME is not set in the environment or the .env files")
		return nil
	}
	return wpDB(p, vals, strings.Join(mapKeys(froms), " + ")+" (DB_NAME, DB_USER, DB_PASSWORD, DB_HOST)")
}

// bedrockURL splits DATABASE_URL as Bedrock does with PHP's parse_url: user and
// password are taken as written (parse_url does not decode them), the host with
// its port becomes DB_HOST.
func bedrockURL(raw string) ([4]string, error) {
	var v [4]string
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return v, fmt.Errorf("not a URL: %w", ErrSyntax)
	}
	auth, hostPath := "", rest
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		if at := strings.LastIndexByte(rest[:slash], '@'); at >= 0 {
			auth, hostPath = rest[:at], rest[at+1:]
		}
	} else if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		auth, hostPath = rest[:at], rest[at+1:]
	}
	v[1], v[2], _ = strings.Cut(auth, ":")
	host, dbpath, _ := strings.Cut(hostPath, "/")
	dbpath, _, _ = strings.Cut(dbpath, "?")
	v[0], v[3] = dbpath, host
	return v, nil
}

func mapKeys(m map[string]bool) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}
