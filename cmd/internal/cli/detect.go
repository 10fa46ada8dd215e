package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"synco/dumpers/engines"
	"synco/frameworks"
)

// ProjectFlags locate the application whose content is published or installed.
type ProjectFlags struct {
	Dir       string `name:"dir" default:"." type:"path" placeholder:"DIR" help:"Application directory to detect the framework in (when no --db/--files/--stream is given)."`
	All       bool   `name:"all" help:"Turn off the framework's defaults that skip the data of cache, session, queue and log tables."`
	PublicURL string `name:"public-url" placeholder:"URL" help:"The site's public URL (e.g. https://www.example.com): files the application already publishes there (Neos: _Resources/Persistent) are fetched from it, verified, instead of through synco-lite."`
}

// DetectProject finds the framework in dir, with the real environment for overrides.
// Configuration the project includes from outside dir (Debian's /etc/wordpress) and
// the MySQL socket PHP uses are read from the real file system.
func DetectProject(dir string) (*frameworks.Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return frameworks.DetectSystem(os.DirFS("/"), abs, os.Getenv)
}

// publishAdvice ends the text of frameworks.ErrNotFound: advice in the flags of
// publish, which fetch and pull do not have.
const publishAdvice = "; pass --db and --files to say what to sync"

// WithoutPublishAdvice is the text of a frameworks.ErrNotFound error without the
// advice meant for publish (fetch and pull give their own).
func WithoutPublishAdvice(err error) string {
	return strings.TrimSuffix(err.Error(), publishAdvice)
}

// describe tells the user on stderr what a detected project will publish.
func describe(w io.Writer, prog string, p *frameworks.Project, all bool) {
	fmt.Fprintf(w, "%s: detected %s in %s\n", prog, p.Framework, p.Root)
	for _, why := range p.Why {
		fmt.Fprintf(w, "%s:   %s\n", prog, why)
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "%s: warning: %s\n", prog, warn)
	}
	if p.DB != nil {
		fmt.Fprintf(w, "%s: database %s (from %s)\n", prog, p.DB.Redacted(), p.DB.Source)
		if len(p.StructureOnly) > 0 && !all {
			fmt.Fprintf(w, "%s:   structure only (no rows; --all to include them): %s\n", prog, strings.Join(p.StructureOnly, ", "))
		}
		for table, cond := range p.Where {
			if !all {
				fmt.Fprintf(w, "%s:   rows of %s only WHERE %s (--all to include all)\n", prog, table, cond)
			}
		}
	}
	for _, fs := range p.FileSets {
		fmt.Fprintf(w, "%s: files %s = %s\n", prog, fs.Name, fs.Dir)
	}
}

// skipFiles runs the detected project's SkipFiles queries on its database and
// returns, per file set, the files to leave out. A query that fails (an older schema,
// a missing privilege) only costs the saving: it is reported and the files travel.
func skipFiles(ctx context.Context, w io.Writer, prog string, p *frameworks.Project) map[string]func(string) bool {
	skips := map[string]func(string) bool{}
	for _, sf := range p.SkipFiles {
		var names []string
		e, err := engines.Open(p.DB.DSN)
		if err == nil {
			names, err = e.Column(ctx, sf.Query)
		}
		if err != nil {
			fmt.Fprintf(w, "%s: could not list %s (%v); they are published too\n", prog, sf.Why, err)
			continue
		}
		set := make(map[string]bool, len(names))
		for _, n := range names {
			if n != "" {
				set[n] = true
			}
		}
		fmt.Fprintf(w, "%s: leaving out %d %s (--all keeps them)\n", prog, len(set), sf.Why)
		skips[sf.Set] = func(rel string) bool { return set[path.Base(rel)] }
	}
	return skips
}

// publicFiles indexes the files the application publishes (frameworks.Public) and
// returns the FileSet.Public function for its file set: the name of each directory
// below pub.Dir that is a SHA-1 maps to the path of the file inside it.
func publicFiles(base string, pub *frameworks.Public) (func(string) (string, bool), int, error) {
	byHash := map[string]string{}
	err := filepath.WalkDir(pub.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		dir := filepath.Base(filepath.Dir(p))
		if !isSHA1(dir) {
			return nil
		}
		rel, err := filepath.Rel(pub.Dir, p)
		if err != nil {
			return err
		}
		byHash[dir] = filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	prefix := strings.TrimSuffix(base, "/") + "/" + pub.URLPath + "/"
	return func(rel string) (string, bool) {
		p, ok := byHash[path.Base(rel)]
		if !ok {
			return "", false
		}
		return prefix + (&url.URL{Path: p}).EscapedPath(), true
	}, len(byHash), nil
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
