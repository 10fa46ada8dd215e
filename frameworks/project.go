package frameworks

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotFound means no known framework was recognised in the directory. Detect wraps
// it in an error that lists the files it looked at and names the flags to use instead.
var ErrNotFound = errors.New("frameworks: no known framework found")

// Project is what Detect found in an application directory.
type Project struct {
	Framework string    // "neos", "flow", "symfony", "laravel", "wordpress", "drupal", "typo3", "generic"
	Root      string    // the project directory as given to Detect
	Why       []string  // human reasons: which files and values led to the decision, notes
	DB        *DB       // nil if no database configuration was found
	FileSets  []FileSet // file trees worth syncing (uploads, persistent resources)
	// Missing are the file sets the framework places by convention that do
	// not exist here (yet), where a destination puts them when the source
	// publishes them (a fresh checkout without public/uploads); never
	// published.
	Missing       []FileSet
	StructureOnly []string // table globs whose rows never need to travel
	Exclude       []string // table globs left out entirely
	// Where filters rows that never need to travel: table → SQL condition on the rows
	// to keep (e.g. WordPress transients, which are caches, out of <prefix>options).
	Where map[string]string
	// SkipFiles names files the application regenerates, so they need not travel.
	SkipFiles []SkipFiles
	// Public says where the application publishes files of a file set on its web
	// site, for publish --public-url; nil if it does not.
	Public *Public
	Looked []string // files examined, relative to Root (absolute when outside it)
	// Warnings name what detection did not understand (a value that depends on a
	// condition or file synco cannot evaluate, an include it could not follow, a
	// setting it does not read), where, and what to do instead.
	Warnings []string
	// Undetermined is set when the configuration names a database whose connection
	// synco could not work out without guessing: DB is then nil and this says why
	// (pass --db).
	Undetermined string
	// URLs are the site's own base URLs as its local configuration sets them, for
	// rewriting the production URLs of a synced database (WordPress: "home" from
	// WP_HOME, "siteurl" from WP_SITEURL); nil when the configuration does not
	// say. URLSource names where they were read.
	URLs      map[string]string
	URLSource string
	// TablePrefix is the prefix of the application's tables (WordPress
	// $table_prefix, Drupal's prefix), for the framework's scrub rules.
	TablePrefix string
}

// undetermined reports the database as not determined: no guess is made.
func (p *Project) undetermined(reason string) {
	p.DB = nil
	p.Undetermined = reason
	p.Warnings = append(p.Warnings, "database not determined: "+reason+": pass --db")
}

// addPHP copies what reading PHP files noted into p.
func (p *Project) addPHP(f *phpFile) {
	p.Why = append(p.Why, f.notes...)
	for _, w := range f.warns {
		if !slices.Contains(p.Warnings, w) {
			p.Warnings = append(p.Warnings, w)
		}
	}
	f.notes, f.warns = nil, nil
}

// SkipFiles leaves out the files of file set Set whose base name is a value in the
// first column of Query's rows (run on the project's database; publish --all keeps
// them). Neos stores resources under their SHA-1, so its thumbnails are found this way.
type SkipFiles struct {
	Set, Query, Why string
}

// Public: a file of file set Set whose base name (a SHA-1) names a directory below
// Dir is served by the application at <public URL>/<URLPath>/<path below Dir>.
// Neos publishes its persistent resources this way (Web/_Resources/Persistent).
type Public struct {
	Set, Dir, URLPath string
}

// DB is a database connection found in a project's configuration.
type DB struct {
	Engine string // "mysql" or "postgres"
	// DSN is in the URL form the dumpers accept, password url-encoded:
	// mysql://user:pass@host:port/db?socket=/path or
	// postgres://user:pass@host:port/db?host=/socketdir.
	DSN    string
	Source string // where it came from: file and key
}

// Redacted is the DSN with the password replaced by "xxxxx".
func (d *DB) Redacted() string {
	u, err := url.Parse(d.DSN)
	if err != nil {
		return d.Engine + "://(unparsable dsn)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// FileSet is a named directory tree to sync.
type FileSet struct {
	Name string // e.g. "persistent", "uploads"
	Dir  string // absolute (Root joined with the relative path)
}

// conn is a database connection in parts, before it becomes a DSN.
type conn struct {
	engine   string // "mysql" or "postgres"
	host     string
	port     int // 0: engine default
	socket   string
	user     string
	password string
	dbname   string
	sslmode  string // postgres only
}

// dsn renders c in the URL form of the dumpers (mysql.ParseDSN, postgres.ParseDSN).
func (c conn) dsn() string {
	u := url.URL{Scheme: c.engine, Path: "/" + c.dbname}
	if c.user != "" || c.password != "" {
		if c.password != "" {
			u.User = url.UserPassword(c.user, c.password)
		} else {
			u.User = url.User(c.user)
		}
	}
	q := url.Values{}
	host := c.host
	if host == "" {
		host = "127.0.0.1"
	}
	port := c.port
	if port == 0 {
		port = map[string]int{"mysql": 3306, "postgres": 5432}[c.engine]
	}
	switch {
	case c.engine == "mysql":
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
		if c.socket != "" {
			q.Set("socket", c.socket)
		}
	case c.socket != "":
		q.Set("host", pgSocketDir(c.socket))
		if c.port != 0 && c.port != 5432 {
			q.Set("port", strconv.Itoa(c.port))
		}
	default:
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	}
	if c.engine == "postgres" && c.sslmode != "" {
		q.Set("sslmode", c.sslmode)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// pgSocketDir turns a socket file path (/run/postgresql/.s.PGSQL.5432) into the
// directory libpq and pgx expect; a directory is returned as is.
func pgSocketDir(s string) string {
	if strings.HasPrefix(path.Base(s), ".s.PGSQL.") {
		return path.Dir(s)
	}
	return s
}

// db validates c and makes a DB; what names the configuration for errors.
func (c conn) db(source string) (*DB, error) {
	if c.dbname == "" {
		return nil, fmt.Errorf("no database name in %s", source)
	}
	return &DB{Engine: c.engine, DSN: c.dsn(), Source: source}, nil
}

// engineOf maps driver and scheme names of PHP frameworks to "mysql" or "postgres".
func engineOf(driver string) string {
	switch strings.ToLower(strings.ReplaceAll(driver, "-", "_")) {
	case "mysql", "mysqli", "pdo_mysql", "mariadb", "mysql2", "pdo_mariadb":
		return "mysql"
	case "pgsql", "pdo_pgsql", "postgres", "postgresql", "pgsql2":
		return "postgres"
	}
	return ""
}

// parsePort reads a port from config text; empty gives 0 (engine default).
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// scan wraps the filesystem with the bookkeeping detection needs: files looked at.
type scan struct {
	fsys   fs.FS // the project directory
	sys    fs.FS // the whole file system ("/"); nil: only the project is read
	root   string
	env    func(string) string
	looked []string
	seen   map[string]bool
}

func (s *scan) look(name string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[name] {
		s.seen[name] = true
		s.looked = append(s.looked, name)
	}
}

// read returns the file's content; ok is false when it does not exist.
func (s *scan) read(name string) (data []byte, ok bool, err error) {
	s.look(name)
	data, err = fs.ReadFile(s.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", name, err)
	}
	return data, true, nil
}

// exists reports whether name exists (file or directory) and records the look.
func (s *scan) exists(name string) bool {
	s.look(name)
	_, err := fs.Stat(s.fsys, name)
	return err == nil
}

func (s *scan) isDir(name string) bool {
	s.look(name)
	fi, err := fs.Stat(s.fsys, name)
	return err == nil && fi.IsDir()
}

func (s *scan) getenv(name string) string {
	if s.env == nil {
		return ""
	}
	return s.env(name)
}

func (s *scan) abs(rel string) string {
	return filepath.Join(s.root, filepath.FromSlash(rel))
}

// errOutside: a file outside the project directory, when only the project is read.
var errOutside = errors.New("outside the project directory")

func (s *scan) rootSlash() string { return path.Clean(filepath.ToSlash(s.root)) }

// absSlash is the absolute slash path of a project-relative name.
func (s *scan) absSlash(rel string) string { return path.Join(s.rootSlash(), rel) }

// locate finds the file system and name of an absolute path.
func (s *scan) locate(abs string) (fs.FS, string, error) {
	r, abs := s.rootSlash(), path.Clean(abs)
	switch {
	case abs == r:
		return s.fsys, ".", nil
	case strings.HasPrefix(abs, strings.TrimSuffix(r, "/")+"/"):
		return s.fsys, strings.TrimPrefix(abs[len(r):], "/"), nil
	case s.sys != nil && abs == "/":
		return s.sys, ".", nil
	case s.sys != nil && strings.HasPrefix(abs, "/"):
		return s.sys, abs[1:], nil
	}
	return nil, "", errOutside
}

// display names abs in messages and Looked: relative inside the project.
func (s *scan) display(abs string) string {
	r := s.rootSlash()
	if strings.HasPrefix(abs, strings.TrimSuffix(r, "/")+"/") {
		return strings.TrimPrefix(abs[len(r):], "/")
	}
	return abs
}

func (s *scan) statAbs(abs string) (fs.FileInfo, error) {
	s.look(s.display(abs))
	fsys, name, err := s.locate(abs)
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", abs, err)
	}
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", abs, errors.Unwrap(err))
	}
	return fi, nil
}

func (s *scan) existsAbs(abs string) bool {
	_, err := s.statAbs(abs)
	return err == nil
}

func (s *scan) readAbs(abs string) ([]byte, error) {
	s.look(s.display(abs))
	fsys, name, err := s.locate(abs)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", abs, err)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %s: %w", abs, err)
	}
	return data, nil
}

// globAbs lists the absolute paths matching an absolute pattern whose directory
// is literal, sorted; ok is false for a pattern in the directory part or a
// directory synco cannot read.
func (s *scan) globAbs(pattern string) (matches []string, ok bool) {
	pattern = path.Clean(pattern)
	dir := path.Dir(pattern)
	if strings.ContainsAny(dir, "*?[\\") {
		return nil, false
	}
	s.look(pattern)
	fsys, name, err := s.locate(dir)
	if err != nil {
		return nil, false
	}
	entries, err := fs.ReadDir(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	for _, e := range entries {
		if ok, _ := path.Match(path.Base(pattern), e.Name()); ok {
			matches = append(matches, path.Join(dir, e.Name()))
		}
	}
	return matches, true
}
