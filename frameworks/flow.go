package frameworks

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

func matchFlow(s *scan) (string, bool) {
	if s.exists("flow") && s.isDir("Configuration") {
		return "flow script and Configuration/ found (Neos Flow layout)", true
	}
	return "", false
}

// loadFlow reads Neos.Flow.persistence.backendOptions from the Settings.yaml files of
// FLOW_CONTEXT and its parent contexts.
func loadFlow(s *scan, p *Project) error {
	p.Framework = "flow"
	if why, ok := isNeos(s); ok {
		p.Framework = "neos"
		p.Why = append(p.Why, why)
	}
	ctx := s.getenv("FLOW_CONTEXT")
	if ctx == "" {
		ctx = "Development"
		p.Why = append(p.Why, "FLOW_CONTEXT not set: using Development, as Flow does")
	} else {
		p.Why = append(p.Why, "FLOW_CONTEXT="+ctx)
	}
	dirs := []string{"Configuration"}
	cur := "Configuration"
	for _, part := range strings.Split(strings.Trim(ctx, "/"), "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("FLOW_CONTEXT %q: invalid context name: %w", ctx, ErrSyntax)
		}
		cur += "/" + part
		dirs = append(dirs, cur)
	}
	settings := map[string]any{}
	var sources []string
	for _, dir := range dirs {
		files := []string{dir + "/Settings.yaml"}
		split, _ := fs.Glob(s.fsys, dir+"/Settings.*.yaml")
		sort.Strings(split)
		files = append(files, split...)
		for _, f := range files {
			data, ok, err := s.read(f)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			var m map[string]any
			if err := yaml.Unmarshal(data, &m); err != nil {
				return yamlErr(f, err)
			}
			if _, ok := yamlPath(m, "Neos", "Flow", "persistence", "backendOptions").(map[string]any); ok {
				sources = append(sources, f)
			}
			mergeSettings(settings, m)
		}
	}
	if len(sources) > 0 {
		opts, _ := yamlPath(settings, "Neos", "Flow", "persistence", "backendOptions").(map[string]any)
		source := strings.Join(sources, " + ") + " (Neos.Flow.persistence.backendOptions)"
		db, err := flowDB(s, p, opts, source)
		if err != nil {
			return err
		}
		p.DB = db
	}
	fileSet(s, p, "persistent", "Data/Persistent/Resources", true)
	if s.isDir("Web/_Resources/Persistent") {
		p.Public = &Public{Set: "persistent", Dir: s.abs("Web/_Resources/Persistent"), URLPath: "_Resources/Persistent"}
	}
	p.StructureOnly = []string{"cache", "cache_tags"}
	if p.Framework == "neos" {
		p.StructureOnly = append(p.StructureOnly, "neos_neos_eventlog_domain_model_event", "neos_media_domain_model_thumbnail")
		p.Why = append(p.Why, "thumbnails are structure-only and their resources stay home (Neos re-renders them)")
		p.SkipFiles = append(p.SkipFiles, SkipFiles{Set: "persistent", Why: "thumbnail resources (Neos re-renders them)",
			Query: "SELECT r.sha1 FROM neos_media_domain_model_thumbnail t JOIN neos_flow_resourcemanagement_persistentresource r ON r.persistence_object_identifier = t.resource"})
	}
	return nil
}

// isNeos: composer.json requires neos/neos, or the package is installed.
func isNeos(s *scan) (string, bool) {
	if data, ok, _ := s.read("composer.json"); ok {
		var c struct {
			Require, RequireDev map[string]any
		}
		if json.Unmarshal(data, &c) == nil {
			if _, ok := c.Require["neos/neos"]; ok {
				return "composer.json requires neos/neos", true
			}
		}
	}
	for _, d := range []string{"Packages/Application/Neos.Neos", "Packages/Neos/Neos.Neos"} {
		if s.isDir(d) {
			return d + " is installed", true
		}
	}
	return "", false
}

func flowDB(s *scan, p *Project, opts map[string]any, source string) (*DB, error) {
	str := func(k string) string {
		v := opts[k]
		if v == nil {
			return ""
		}
		out := fmt.Sprint(v)
		return envRef.ReplaceAllStringFunc(out, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			val := s.getenv(name)
			if val == "" {
				p.Why = append(p.Why, fmt.Sprintf("backendOptions.%s uses %%env:%s%%, which is not set", k, name))
			} else {
				p.Why = append(p.Why, fmt.Sprintf("backendOptions.%s from environment variable %s", k, name))
			}
			return val
		})
	}
	driver := str("driver")
	if driver == "" {
		driver = "pdo_mysql" // Neos.Flow's own default
	}
	c := conn{engine: engineOf(driver), host: str("host"), socket: str("unix_socket"),
		user: str("user"), password: str("password"), dbname: str("dbname")}
	if c.engine == "" {
		return nil, fmt.Errorf("%s: driver %q is not supported (want pdo_mysql, mysqli or pdo_pgsql): %w", source, driver, ErrUnsupported)
	}
	var err error
	if c.port, err = parsePort(str("port")); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", source, err, ErrSyntax)
	}
	return c.db(source)
}

var envRef = regexp.MustCompile(`%env:([A-Za-z0-9_]+)%`)

// mergeSettings merges src into dst as Flow's arrayMergeRecursiveOverrule does:
// maps merge key by key, anything else is replaced.
func mergeSettings(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeSettings(dm, sm)
				continue
			}
			n := map[string]any{}
			mergeSettings(n, sm)
			dst[k] = n
			continue
		}
		dst[k] = v
	}
}

func yamlPath(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

var backticked = regexp.MustCompile("`[^`]*`")

// yamlErr describes a YAML error without quoting the file's content.
func yamlErr(file string, err error) error {
	msg := backticked.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "…")
	return fmt.Errorf("parse %s: %s: %w", file, msg, ErrSyntax)
}
