package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"synco/cmd/internal/cli"
	"synco/frameworks"
)

// DetectCmd is `synco detect [DIR]`.
type DetectCmd struct {
	Dir  string `arg:"" optional:"" default:"." type:"path" help:"Project directory (default: the current directory)."`
	JSON bool   `name:"json" help:"Print the result as one JSON object on stdout (password redacted)."`
}

func (c *DetectCmd) Help() string {
	return `Recognises the framework of the project in DIR (Neos, Flow, Symfony, Laravel,
WordPress, Drupal, TYPO3) from its own configuration files and shows what would be
synced: the database (password redacted), the tables whose rows are skipped
(caches, sessions, logs), and the file sets with their sizes. Nothing is changed.
Lines marked "!" say what synco did not understand (a setting that depends on the
web request or on a file it cannot read): then pass --db / --files.
The real environment is taken into account (FLOW_CONTEXT, APP_ENV, DATABASE_URL, …).

Examples:
  synco detect                      # the project in the current directory
  FLOW_CONTEXT=Production/Live synco detect /var/www/neos
  synco detect --json /var/www/shop | jq .db.dsn

` + cli.ExitCodes(cli.ExitOK, cli.ExitError, cli.ExitUsage, cli.ExitInterrupted)
}

type detectFileSet struct {
	Name   string `json:"name"`
	Dir    string `json:"dir"`
	Exists bool   `json:"exists"`
	Files  int64  `json:"files"`
	Bytes  int64  `json:"bytes"`
}

type detectDB struct {
	Engine string `json:"engine"`
	DSN    string `json:"dsn"` // redacted
	Source string `json:"source"`
}

type detectResult struct {
	Framework     string            `json:"framework"`
	Root          string            `json:"root"`
	Why           []string          `json:"why"`
	Warnings      []string          `json:"warnings"`
	DB            *detectDB         `json:"db"`
	Undetermined  string            `json:"db_undetermined,omitempty"`
	StructureOnly []string          `json:"structure_only"`
	Exclude       []string          `json:"exclude"`
	Where         map[string]string `json:"where"`
	// URLs are the local site's URLs a fetch rewrites the source's to (WordPress
	// home and siteurl), URLSource where they were read.
	URLs      map[string]string `json:"urls,omitempty"`
	URLSource string            `json:"urls_source,omitempty"`
	FileSets  []detectFileSet   `json:"file_sets"`
	// ConventionalDirs are the file sets the framework places by convention
	// that do not exist here: published only where they exist, and created
	// here by a fetch that receives them.
	ConventionalDirs []detectFileSet `json:"file_sets_not_here,omitempty"`
	Looked           []string        `json:"looked"`
	// Scrub previews the scrubbing of a publish: rules from the column list of the
	// database (no rows read), and columns that look personal without a rule.
	Scrub *cli.ScrubPreview `json:"scrub"`
}

func (c *DetectCmd) Run(env *cli.Env) error {
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return &cli.UsageError{Msg: fmt.Sprintf("%s is not a directory", dir)}
	}
	p, err := cli.DetectProject(dir)
	if errors.Is(err, frameworks.ErrSyntax) || errors.Is(err, frameworks.ErrUnsupported) {
		return fmt.Errorf("%w; synco publish and synco-lite publish skip detection when given the database (--db mysql://user:pass@host/db) and the directories (--files NAME=DIR)", err)
	}
	if errors.Is(err, frameworks.ErrNotFound) {
		// Only the text: the exit code is 1 either way, and publish's advice is
		// reworded for this command.
		return errors.New(cli.WithoutPublishAdvice(err) + "; publish without detection by giving it --db DSN and --files NAME=DIR")
	}
	if err != nil {
		return err
	}
	res := detectResult{Framework: p.Framework, Root: p.Root, Why: nonNil(p.Why), Warnings: nonNil(p.Warnings), Undetermined: p.Undetermined, StructureOnly: nonNil(p.StructureOnly),
		Exclude: nonNil(p.Exclude), Where: p.Where, FileSets: []detectFileSet{}, Looked: nonNil(p.Looked)}
	if res.Where == nil {
		res.Where = map[string]string{}
	}
	res.URLs, res.URLSource = p.URLs, p.URLSource
	if p.DB != nil {
		res.DB = &detectDB{Engine: p.DB.Engine, DSN: p.DB.Redacted(), Source: p.DB.Source}
	}
	if res.Scrub, err = cli.PreviewScrub(env.Ctx, p); err != nil {
		return err
	}
	for _, fset := range p.FileSets {
		fs := detectFileSet{Name: fset.Name, Dir: fset.Dir}
		if err := dirSize(env, &fs); err != nil {
			return err
		}
		res.FileSets = append(res.FileSets, fs)
	}
	for _, fset := range p.Missing {
		res.ConventionalDirs = append(res.ConventionalDirs, detectFileSet{Name: fset.Name, Dir: fset.Dir})
	}
	if c.JSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	writeDetect(env.Stdout, &res)
	return nil
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// dirSize walks the file set and sums its regular files; a missing directory is
// not an error.
func dirSize(env *cli.Env, s *detectFileSet) error {
	err := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == s.Dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := env.Ctx.Err(); err != nil {
			return err
		}
		if path == s.Dir {
			s.Exists = true
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			s.Files++
			s.Bytes += fi.Size()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("size of file set %s: %w", s.Name, err)
	}
	return nil
}

// writeDetect renders the result for humans.
func writeDetect(w io.Writer, r *detectResult) {
	fmt.Fprintf(w, "project:    %s\n", r.Root)
	fmt.Fprintf(w, "framework:  %s\n", r.Framework)
	for _, why := range r.Why {
		fmt.Fprintf(w, "  - %s\n", why)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  ! %s\n", warn)
	}
	if r.DB != nil {
		fmt.Fprintf(w, "database:   %s\n", r.DB.DSN)
		fmt.Fprintf(w, "  from %s\n", r.DB.Source)
	} else if r.Undetermined != "" {
		fmt.Fprintf(w, "database:   not determined (pass --db)\n")
	} else {
		fmt.Fprintf(w, "database:   none found (publish with --db DSN)\n")
	}
	if r.Framework == "wordpress" {
		switch {
		case len(r.URLs) > 0:
			fmt.Fprintf(w, "site URL:   %s\n", siteURLs(r.URLs))
			fmt.Fprintf(w, "  from %s; a fetch rewrites the source's URL to it in the database\n", r.URLSource)
		default:
			fmt.Fprintf(w, "site URL:   not set in the configuration (WP_HOME); a fetch rewrites the source's URL to the local database's home/siteurl, if it has them (or pass --rewrite FROM=TO)\n")
		}
	}
	if len(r.StructureOnly) > 0 {
		fmt.Fprintf(w, "structure only (rows not synced): %s\n", strings.Join(r.StructureOnly, ", "))
	}
	tables := slices.Sorted(maps.Keys(r.Where))
	for _, table := range tables {
		fmt.Fprintf(w, "rows of %s only where: %s\n", table, r.Where[table])
	}
	if len(r.Exclude) > 0 {
		fmt.Fprintf(w, "excluded tables: %s\n", strings.Join(r.Exclude, ", "))
	}
	writeScrubPreview(w, r.Scrub)
	switch {
	case len(r.FileSets) == 0 && len(r.ConventionalDirs) == 0:
		fmt.Fprintf(w, "file sets:  none found (publish with --files NAME=DIR)\n")
		return
	case len(r.FileSets) == 0:
		fmt.Fprintf(w, "file sets:  none here\n")
	default:
		fmt.Fprintf(w, "file sets:\n")
	}
	for _, s := range r.FileSets {
		size := "missing"
		if s.Exists {
			size = cli.FormatSize(s.Bytes) + " in " + cli.Plural(s.Files, "file")
		}
		fmt.Fprintf(w, "  %-12s %s (%s)\n", s.Name, s.Dir, size)
	}
	for _, s := range r.ConventionalDirs {
		fmt.Fprintf(w, "  %-12s %s (not here yet: a fetch that receives it creates it)\n", s.Name, s.Dir)
	}
}

// writeScrubPreview renders what a publish would scrub.
func writeScrubPreview(w io.Writer, pv *cli.ScrubPreview) {
	if pv == nil {
		return
	}
	if len(pv.Sources) == 0 {
		fmt.Fprintf(w, "scrub:      no rules (add scrub: to .synco.yml or --scrub TABLE.COLUMN=RULE to publish)\n")
	} else {
		fmt.Fprintf(w, "scrub:      on by default (%s; publish --no-scrub turns it off)\n", strings.Join(pv.Sources, ", "))
	}
	if pv.Error != "" {
		if strings.Contains(pv.Error, "does not exist") {
			// a destination before its first fetch: nothing wrong
			fmt.Fprintf(w, "  the database does not exist yet, so its columns are not known (a fetch creates it): %s\n", pv.Error)
			return
		}
		fmt.Fprintf(w, "  could not list the database's columns: %s\n", pv.Error)
		return
	}
	for _, s := range pv.Scrubbed {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if len(pv.Warnings) > 0 {
		fmt.Fprintf(w, "columns that look personal but have no scrub rule:\n")
		for _, x := range pv.Warnings {
			fmt.Fprintf(w, "  %s.%s: %s\n", x.Table, x.Column, x.Why)
		}
	}
}

// siteURLs shows WordPress's home and siteurl, once when they are equal.
func siteURLs(u map[string]string) string {
	h, s := u["home"], u["siteurl"]
	switch {
	case h == "" || h == s:
		return s + " (siteurl)"
	case s == "":
		return h + " (home)"
	}
	return h + " (home), " + s + " (siteurl)"
}
