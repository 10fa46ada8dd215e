package frameworks

import (
	"errors"
	"fmt"
)

// typo3Configs pairs each main configuration file with its override file, newest
// layout first.
var typo3Configs = [][2]string{
	{"config/system/settings.php", "config/system/additional.php"},                              // v12+ composer mode
	{"typo3conf/system/settings.php", "typo3conf/system/additional.php"},                        // v12+ classic mode
	{"public/typo3conf/LocalConfiguration.php", "public/typo3conf/AdditionalConfiguration.php"}, // ≤ v11 composer mode
	{"typo3conf/LocalConfiguration.php", "typo3conf/AdditionalConfiguration.php"},               // ≤ v11 classic mode
}

func matchTYPO3(s *scan) (string, bool) {
	for _, c := range typo3Configs {
		if s.exists(c[0]) {
			return c[0] + " found (TYPO3)", true
		}
	}
	return "", false
}

// loadTYPO3 reads DB.Connections.Default from the returned array of the settings
// file, then applies the literal $GLOBALS['TYPO3_CONF_VARS'][…] = …; assignments of
// the additional configuration file.
func loadTYPO3(s *scan, p *Project) error {
	p.Framework = "typo3"
	var main, extra string
	for _, c := range typo3Configs {
		if s.exists(c[0]) {
			main, extra = c[0], c[1]
			break
		}
	}
	var f phpFile
	_, err := runPHPFile(s, main, &f, nil)
	p.addPHP(&f)
	if err != nil {
		return err
	}
	if f.ret == nil || f.ret.kind != pArray {
		return fmt.Errorf("%s does not return a literal array: %w", main, ErrUnsupported)
	}
	files := []string{main}
	var g phpFile
	g.init()
	globals := &phpValue{kind: pArray}
	globals.set("TYPO3_CONF_VARS", f.ret)
	g.vars["GLOBALS"] = globals
	ok, err := runPHPFile(s, extra, &g, nil)
	p.addPHP(&g)
	if err != nil {
		return err
	}
	if ok {
		files = append(files, g.files...)
	}
	conf := phpGet(g.vars["GLOBALS"], "TYPO3_CONF_VARS")
	source := ""
	for i, f := range files {
		if i > 0 {
			source += " + "
		}
		source += f
	}
	source += " (DB.Connections.Default)"
	key := "$GLOBALS['TYPO3_CONF_VARS']['DB']['Connections']['Default']"
	def := phpGet(conf, "DB", "Connections", "Default")
	if def != nil && def.kind == pUnknown {
		_, _, err := phpStr(def, source, key)
		if errors.Is(err, errUndecided) {
			p.undetermined(err.Error())
			def = nil
		} else {
			return err
		}
	}
	if def == nil && g.opaque != "" {
		p.undetermined("DB.Connections.Default may be set by " + g.opaque)
	}
	var v map[string]string
	if def != nil {
		v, err = phpFields(def, source, key, "dbname", "host", "password", "port", "user", "driver", "unix_socket")
		if errors.Is(err, errUndecided) {
			p.undetermined(err.Error())
			def = nil
		} else if err != nil {
			return err
		}
	}
	if def != nil {
		driver := v["driver"]
		if driver == "" {
			driver = "mysqli"
		}
		c := conn{engine: engineOf(driver), host: v["host"], socket: v["unix_socket"],
			user: v["user"], password: v["password"], dbname: v["dbname"]}
		if c.engine == "" {
			return fmt.Errorf("%s: driver %q is not supported (want mysqli, pdo_mysql or pdo_pgsql): %w", source, driver, ErrUnsupported)
		}
		if c.port, err = parsePort(v["port"]); err != nil {
			return fmt.Errorf("%s: %s['port']: %v: %w", source, key, err, ErrSyntax)
		}
		if p.DB, err = c.db(source); err != nil {
			return err
		}
	}
	// Composer mode has the web root in public/: a v12 project's
	// config/system/settings.php says so, also in a fresh checkout that has
	// no public/ yet (before composer install).
	if s.isDir("public") || main == typo3Configs[0][0] {
		fileSet(s, p, "fileadmin", "public/fileadmin", true)
	} else {
		fileSet(s, p, "fileadmin", "fileadmin", true)
	}
	p.StructureOnly = []string{"cache_*", "sys_log", "be_sessions", "fe_sessions"}
	return nil
}
