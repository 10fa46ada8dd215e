package frameworks

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// doctrineFiles are where Symfony keeps the DBAL configuration: the package file,
// its when@ENV blocks, and (Symfony 4) config/packages/ENV/doctrine.yaml.
func doctrineFiles(env string) []string {
	return []string{"config/packages/doctrine.yaml", "config/packages/" + env + "/doctrine.yaml"}
}

var (
	envParam       = regexp.MustCompile(`%env\(([^)]*)\)%`)
	containerParam = regexp.MustCompile(`%[A-Za-z_][A-Za-z0-9_.]*%`)
)

// loadDoctrine reads doctrine.dbal (its default connection) from doctrine.yaml
// for APP_ENV env: url, or driver, host, port, dbname, user, password, unix_socket.
// %env(NAME)% (with processors such as resolve:, string:, int:) is read from the
// .env files and the environment; other %parameters% are not understood. ok is
// false when no doctrine.yaml configures a connection.
func loadDoctrine(s *scan, p *Project, d *dotenv, env string) (ok bool, err error) {
	dbal := map[string]any{}
	var read []string
	for _, name := range doctrineFiles(env) {
		data, found, err := s.read(name)
		if err != nil {
			return false, err
		}
		if !found {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return false, yamlErr(name, err)
		}
		read = append(read, name)
		for _, block := range []any{yamlPath(m, "doctrine", "dbal"), yamlPath(m, "when@"+env, "doctrine", "dbal")} {
			if b, ok := block.(map[string]any); ok {
				mergeSettings(dbal, b)
			}
		}
	}
	if len(read) == 0 {
		return false, nil
	}
	source := strings.Join(read, " + ") + " (doctrine.dbal"
	c := dbal
	if conns, ok := dbal["connections"].(map[string]any); ok {
		name, _ := dbal["default_connection"].(string)
		if name == "" {
			name = "default"
		}
		if c, ok = conns[name].(map[string]any); !ok {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s): default connection %q not found: pass --db", source, name))
			return true, nil
		}
		source += ".connections." + name
	}
	source += ")"
	froms := map[string]bool{}
	val := func(k string) (string, bool) {
		var raw string
		switch v := c[k].(type) {
		case nil:
			return "", true
		case string:
			raw = v
		case int, float64, bool:
			raw = fmt.Sprint(v)
		default:
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s is not a string: pass --db", source, k))
			return "", false
		}
		out := envParam.ReplaceAllStringFunc(raw, func(m string) string {
			inner := envParam.FindStringSubmatch(m)[1]
			name := inner[strings.LastIndexByte(inner, ':')+1:]
			v, from := d.get(s, name)
			if from != "" {
				froms[from+" ("+name+")"] = true
			}
			return v
		})
		if containerParam.MatchString(strings.ReplaceAll(out, "%%", "")) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s uses a container parameter synco does not read: pass --db", source, k))
			return "", false
		}
		return strings.ReplaceAll(out, "%%", "%"), true
	}
	if _, set := c["url"]; set {
		raw, ok := val("url")
		if !ok {
			p.undetermined(source + ": url is not understood")
			return true, nil
		}
		if raw == "" {
			p.Why = append(p.Why, source+": url is empty (DATABASE_URL not set?)")
			return true, nil
		}
		if len(froms) > 0 {
			source = strings.Join(mapKeys(froms), " + ") + " via " + source
		}
		db, note, err := dbFromURL(raw, source)
		if note != "" {
			p.Why = append(p.Why, note)
		}
		p.DB = db
		return true, err
	}
	v := map[string]string{}
	for _, k := range []string{"driver", "host", "port", "dbname", "user", "password", "unix_socket"} {
		s, ok := val(k)
		if !ok {
			p.undetermined(source + ": " + k + " is not understood")
			return true, nil
		}
		v[k] = s
	}
	if v["dbname"] == "" && v["host"] == "" {
		return false, nil // doctrine.yaml without a connection: DATABASE_URL as before
	}
	if v["driver"] == "" {
		v["driver"] = "pdo_mysql"
	}
	cn := conn{engine: engineOf(v["driver"]), host: v["host"], socket: v["unix_socket"], user: v["user"], password: v["password"], dbname: v["dbname"]}
	if cn.engine == "" {
		return true, fmt.Errorf("%s: driver %q is not supported (want pdo_mysql, mysqli or pdo_pgsql): %w", source, v["driver"], ErrUnsupported)
	}
	if cn.port, err = parsePort(v["port"]); err != nil {
		return true, fmt.Errorf("%s: port: %v: %w", source, err, ErrSyntax)
	}
	if len(froms) > 0 {
		source += " with " + strings.Join(mapKeys(froms), " + ")
	}
	p.DB, err = cn.db(source)
	return true, err
}
