package frameworks

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

var drupalRoots = []string{"", "web/", "docroot/"}

func matchDrupal(s *scan) (string, bool) {
	for _, r := range drupalRoots {
		if s.exists(r + "sites/default/settings.php") {
			return r + "sites/default/settings.php found (Drupal)", true
		}
	}
	return "", false
}

// loadDrupal reads $databases['default']['default'] and the file paths of
// $settings from sites/default/settings.php and the files it includes
// (settings.local.php, host-specific files), as Drupal would with $app_root and
// $site_path set.
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
	appRoot := strings.TrimSuffix(s.absSlash(docroot), "/")
	var f phpFile
	f.init()
	f.vars["app_root"] = &phpValue{kind: pString, s: appRoot}
	f.vars["site_path"] = &phpValue{kind: pString, s: "sites/default"}
	f.vars["databases"] = &phpValue{kind: pArray}
	f.vars["settings"] = &phpValue{kind: pArray}
	_, err := runPHPFile(s, main, &f, nil)
	p.addPHP(&f)
	if err != nil {
		return err
	}
	if !slices.Contains(f.files, local) && s.exists(local) {
		p.Why = append(p.Why, local+" exists but settings.php does not include it: ignored")
	}
	prefix := ""
	source := strings.Join(f.files, " + ") + " ($databases['default']['default'])"
	dbv := phpGet(f.vars["databases"], "default", "default")
	if dbv == nil && f.opaque != "" {
		p.undetermined("$databases['default']['default'] may be set by " + f.opaque)
	} else if dbv != nil {
		if err := drupalDB(p, dbv, source, &prefix); err != nil {
			return err
		}
	}
	p.TablePrefix = prefix
	if prefix != "" {
		p.Why = append(p.Why, fmt.Sprintf("table prefix %q", prefix))
	}
	// File paths are relative to the Drupal root (the docroot) or absolute.
	setting := func(key, def string) (string, bool) {
		v := phpGet(f.vars["settings"], key)
		if v == nil {
			return def, def != ""
		}
		d, ok, err := phpStr(v, main, "$settings['"+key+"']")
		if err != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%v; pass --files", err))
			return "", false
		}
		if !ok || d == "" {
			return "", false
		}
		if !strings.HasPrefix(d, "/") {
			d = path.Join(docroot, d)
		}
		return d, true
	}
	public, ok := setting("file_public_path", docroot+"sites/default/files")
	if ok {
		drupalFileSet(s, p, "files", public, true)
	}
	sites, _ := fs.Glob(s.fsys, docroot+"sites/*/files")
	sort.Strings(sites)
	for _, d := range sites {
		site := path.Base(path.Dir(d))
		if site != "default" {
			fileSet(s, p, "files-"+site, d, false)
		}
	}
	if private, ok := setting("file_private_path", ""); ok {
		drupalFileSet(s, p, "private", private, false)
	}
	for _, t := range []string{"cache_*", "cachetags", "watchdog", "sessions", "semaphore", "flood", "queue"} {
		p.StructureOnly = append(p.StructureOnly, prefix+t)
	}
	return nil
}

// drupalFileSet adds a file set at a path relative to the project or absolute.
func drupalFileSet(s *scan, p *Project, name, dir string, required bool) {
	if !strings.HasPrefix(dir, "/") {
		fileSet(s, p, name, path.Clean(dir), required)
		return
	}
	if !s.existsAbs(dir) {
		if !required {
			p.Why = append(p.Why, fmt.Sprintf("file set %q: %s does not exist here", name, dir))
			return
		}
		p.Why = append(p.Why, fmt.Sprintf("file set %q: %s does not exist (yet)", name, dir))
	}
	p.FileSets = append(p.FileSets, FileSet{Name: name, Dir: filepath.FromSlash(dir)})
}

// drupalDB reads one connection array of $databases.
func drupalDB(p *Project, dbv *phpValue, source string, prefix *string) error {
	key := "$databases['default']['default']"
	v, err := phpFields(dbv, source, key, "database", "username", "password", "host", "port", "driver", "prefix", "unix_socket")
	if errors.Is(err, errUndecided) {
		p.undetermined(err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	*prefix = v["prefix"]
	driver := v["driver"]
	if driver == "" {
		driver = "mysql"
	}
	if driver == "sqlite" {
		p.Why = append(p.Why, source+": driver sqlite, which synco does not dump: pass --db")
		return nil
	}
	c := conn{engine: engineOf(driver), host: v["host"], socket: v["unix_socket"],
		user: v["username"], password: v["password"], dbname: v["database"]}
	if c.engine == "" {
		return fmt.Errorf("%s: driver %q is not supported (want mysql or pgsql): %w", source, driver, ErrUnsupported)
	}
	if c.port, err = parsePort(v["port"]); err != nil {
		return fmt.Errorf("%s: %s['port']: %v: %w", source, key, err, ErrSyntax)
	}
	p.DB, err = c.db(source)
	return err
}
