package frameworks

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// detector recognises one framework. match is cheap (marker files); load reads the
// configuration into p.
type detector struct {
	name  string
	match func(s *scan) (why string, ok bool)
	load  func(s *scan, p *Project) error
}

// detectors in priority order: when several match, the first wins. Application
// frameworks with their own marker file come before the frameworks they are built
// on or ship with: TYPO3, Drupal and Laravel projects contain Symfony components,
// and a Neos/Flow project's "flow" script plus Configuration/ is unique to it.
var detectors = []detector{
	{"neos/flow", matchFlow, loadFlow},
	{"typo3", matchTYPO3, loadTYPO3},
	{"drupal", matchDrupal, loadDrupal},
	{"wordpress", matchWordPress, loadWordPress},
	{"laravel", matchLaravel, loadLaravel},
	{"symfony", matchSymfony, loadSymfony},
}

// Priority is the order in which Detect prefers frameworks when several match.
var Priority = []string{"neos/flow", "typo3", "drupal", "wordpress", "laravel", "symfony", "generic"}

// Detect recognises the framework of the project in fsys (rooted at the project
// directory; root is its absolute path, used for FileSet.Dir) and reads its database
// connection, file sets and table defaults from the project's own configuration
// files. env looks up the real environment (FLOW_CONTEXT, APP_ENV, DATABASE_URL, …);
// nil means an empty environment.
//
// When no framework is recognised, the error wraps ErrNotFound and lists the files
// looked at. A configuration that exists but cannot be used gives an error wrapping
// ErrSyntax or ErrUnsupported that names the file and key. Errors never contain
// passwords.
func Detect(fsys fs.FS, root string, env func(string) string) (*Project, error) {
	return detect(&scan{fsys: fsys, root: root, env: env})
}

// DetectSystem is Detect for a project that may keep its configuration outside
// its directory: sys is the whole file system (os.DirFS("/")) and root an absolute
// path in it. Includes of absolute paths are followed (Debian's WordPress reads
// /etc/wordpress/config-HOST.php; its uploads are in /var/lib/wordpress), and a
// MySQL host "localhost" gets the socket PHP would use (see docs/frameworks.md).
func DetectSystem(sys fs.FS, root string, env func(string) string) (*Project, error) {
	r := path.Clean(filepath.ToSlash(root))
	if !strings.HasPrefix(r, "/") {
		return nil, fmt.Errorf("detect project in %s: want an absolute path", root)
	}
	fsys := sys
	if r != "/" {
		var err error
		if fsys, err = fs.Sub(sys, r[1:]); err != nil {
			return nil, fmt.Errorf("detect project in %s: %w", root, err)
		}
	}
	return detect(&scan{fsys: fsys, sys: sys, root: root, env: env})
}

func detect(s *scan) (*Project, error) {
	root := s.root
	var found []detector
	var whys []string
	for _, d := range detectors {
		if why, ok := d.match(s); ok {
			found = append(found, d)
			whys = append(whys, why)
		}
	}
	p := &Project{Root: root}
	if len(found) == 0 {
		ok, err := loadGeneric(s, p)
		if err != nil {
			return nil, fmt.Errorf("detect project in %s: %w", root, err)
		}
		if !ok {
			return nil, &notFoundError{root: root, looked: s.looked}
		}
		p.Looked = s.looked
		return p, nil
	}
	p.Why = append(p.Why, whys[0])
	if len(found) > 1 {
		var others []string
		for i, d := range found[1:] {
			others = append(others, d.name+" ("+whys[i+1]+")")
		}
		p.Why = append(p.Why, fmt.Sprintf("also looks like %s; chose %s by priority (%s)",
			strings.Join(others, ", "), found[0].name, strings.Join(Priority, " > ")))
	}
	if err := found[0].load(s, p); err != nil {
		return nil, fmt.Errorf("detect %s project in %s: %w", found[0].name, root, err)
	}
	phpLocalhost(s, p)
	if p.DB == nil && p.Undetermined == "" {
		p.Why = append(p.Why, "no database connection found: pass --db")
	}
	p.Looked = s.looked
	return p, nil
}

// notFoundError wraps ErrNotFound with what was looked at.
type notFoundError struct {
	root   string
	looked []string
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("detect project in %s: no Neos, Flow, Symfony, Laravel, WordPress, Drupal or TYPO3 configuration found (looked at %s); pass --db and --files to say what to sync",
		e.root, strings.Join(e.looked, ", "))
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }

// loadGeneric accepts a directory with only a .env file that names DATABASE_URL.
func loadGeneric(s *scan, p *Project) (bool, error) {
	d := newDotenv()
	if _, err := d.load(s, ".env"); err != nil {
		return false, err
	}
	raw, from := d.vals["DATABASE_URL"], d.from["DATABASE_URL"]
	if raw == "" {
		return false, nil
	}
	if v := s.getenv("DATABASE_URL"); v != "" {
		raw, from = v, "environment"
	}
	p.Framework = "generic"
	p.Why = append(p.Why, "no framework marker found, but "+from+" sets DATABASE_URL")
	db, note, err := dbFromURL(raw, from+" (DATABASE_URL)")
	if err != nil {
		return false, err
	}
	p.DB = db
	if note != "" {
		p.Why = append(p.Why, note)
	}
	p.Why = append(p.Why, "no file sets known for a generic project: pass --files")
	return true, nil
}

// dbFromURL reads a Doctrine/Laravel style database URL. note explains a URL that
// is valid but names no database synco can dump (sqlite): then db is nil.
func dbFromURL(raw, source string) (db *DB, note string, err error) {
	if strings.HasPrefix(strings.ToLower(raw), "sqlite") {
		return nil, source + " names an SQLite database, which synco does not dump: pass --db or --files", nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// url errors quote the input, which holds the password: do not wrap them.
		return nil, "", fmt.Errorf("%s is not a valid URL (url-encode special characters in the password, e.g. @ as %%40): %w", source, ErrSyntax)
	}
	scheme := strings.ToLower(u.Scheme)
	c := conn{engine: engineOf(scheme), host: u.Hostname(), dbname: strings.TrimPrefix(u.Path, "/")}
	if c.engine == "" {
		return nil, "", fmt.Errorf("%s: unsupported scheme %q (want mysql, mariadb, postgresql, postgres or pgsql): %w", source, u.Scheme, ErrUnsupported)
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	if c.port, err = parsePort(u.Port()); err != nil {
		return nil, "", fmt.Errorf("%s: %v: %w", source, err, ErrSyntax)
	}
	q := u.Query()
	if v := q.Get("unix_socket"); v != "" {
		c.socket = v
	}
	if v := q.Get("host"); strings.HasPrefix(v, "/") && c.engine == "postgres" {
		c.socket = v
	}
	if c.engine == "postgres" && strings.HasPrefix(c.host, "/") {
		c.socket, c.host = c.host, ""
	}
	c.sslmode = q.Get("sslmode")
	db, err = c.db(source)
	return db, "", err
}

// fileSet adds a file set; required sets are added even when the directory does not
// exist yet (the destination creates it), with a note.
func fileSet(s *scan, p *Project, name, rel string, required bool) {
	if !s.isDir(rel) {
		if !required {
			p.Missing = append(p.Missing, FileSet{Name: name, Dir: s.abs(rel)})
			return
		}
		p.Why = append(p.Why, fmt.Sprintf("file set %q: %s does not exist (yet)", name, rel))
	}
	p.FileSets = append(p.FileSets, FileSet{Name: name, Dir: s.abs(rel)})
}
