package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/frameworks"
	"synco/install"
)

// ProjectInstall are the flags of `synco fetch` into a detected local project.
type ProjectInstall struct {
	Dir         string   `name:"dir" default:"." type:"path" placeholder:"DIR" help:"Local project to install into when neither --to nor --db is given."`
	Yes         bool     `short:"y" help:"Do not ask before changing the local project."`
	DryRun      bool     `name:"dry-run" help:"Only show what would change (downloads just the manifest)."`
	Delete      bool     `help:"Remove local files under the synced directories that the source does not have."`
	Only        string   `enum:"db,files," default:"" placeholder:"db|files" help:"Sync only the database or only the files."`
	FileSet     []string `name:"file-set" sep:"none" placeholder:"NAME" help:"Sync only these file sets (repeatable; see synco detect)."`
	PostInstall []string `name:"post-install" sep:"none" placeholder:"CMD" help:"Run CMD in the project after a successful install (repeatable; adds to .synco.yml's post_install)."`
	NoPost      bool     `name:"no-post-install" help:"Skip the post-install commands."`
}

// project is a detected local project being installed into.
type project struct {
	p    *frameworks.Project
	post []string
}

// projectFile is .synco.yml in the project root.
type projectFile struct {
	PostInstall []string          `yaml:"post_install"`
	Rewrite     map[string]string `yaml:"rewrite"` // FROM → TO, see RewriteFlags
}

// prepare detects the local project and makes the target to install into it.
func (c *ProjectInstall) prepare(env *cli.Env, rf RewriteFlags) (*target, error) {
	p, err := cli.DetectProject(c.Dir)
	if errors.Is(err, frameworks.ErrNotFound) {
		return nil, &cli.UsageError{Msg: "no --to or --db given, and " + cli.WithoutPublishAdvice(err),
			Hint: "pass --to DIR to write what is published into a directory, or --db DSN to install its database; or run it in the project's directory, or name that with --dir DIR"}
	}
	if err != nil {
		return nil, &cli.UsageError{Msg: "no --to or --db given, and " + err.Error()}
	}
	pr := &project{p: p}
	var pf projectFile
	if cfg, err := os.ReadFile(filepath.Join(p.Root, ".synco.yml")); err == nil {
		if err := yaml.Unmarshal(cfg, &pf); err != nil {
			return nil, &cli.UsageError{Msg: fmt.Sprintf(".synco.yml: %v", err)}
		}
		pr.post = pf.PostInstall
	}
	rw, err := newURLRewrite(rf, pf.Rewrite)
	if err != nil {
		return nil, err
	}
	pr.post = append(pr.post, c.PostInstall...)
	if c.NoPost {
		pr.post = nil
	}
	fmt.Fprintf(env.Stderr, "%s: local project: %s in %s\n", env.Prog, p.Framework, p.Root)
	t := &target{proj: pr, to: p.Root, rw: rw, risk: riskyTarget(env, "the project", p.Root, c.Delete)}
	if c.Only != "files" && p.DB != nil {
		t.dsn = p.DB.DSN
		rw.WordPress(env.Ctx, p)
		t.local = probeDB(env.Ctx, p.DB.Redacted(), p.DB.DSN)
	}
	return t, nil
}

// selection is what the flags select in the project: its file sets (--only,
// --file-set) and its database (--only, --tables); it prints what is skipped.
func (c *ProjectInstall) selection(env *cli.Env, t *target, tables TableFlags) (fetch.Selection, error) {
	p := t.proj.p
	sel := fetch.Selection{To: t.to, Delete: c.Delete}
	sets := map[string]string{}
	if c.Only != "db" {
		var err error
		sets, err = install.FileSets(p, c.FileSet)
		var ue *install.UnknownSetError
		if errors.As(err, &ue) {
			return sel, &cli.UsageError{Msg: fmt.Sprintf("--file-set %s: the local project has no such file set (see synco detect)", ue.Name)}
		}
		if err != nil {
			return sel, err
		}
	}
	sel.Map = install.Map(sets)
	t.imp = nil
	if c.Only == "files" {
		return sel, nil
	}
	if p.DB == nil {
		if c.Only == "db" {
			return sel, &cli.UsageError{Msg: "--only db: no database configured in the local project (see synco detect)"}
		}
		fmt.Fprintf(env.Stderr, "%s: the local project has no database configured: the database is skipped\n", env.Prog)
		return sel, nil
	}
	var err error
	if t.imp, err = importer(p.DB.DSN, tables, t.rw); err != nil {
		return sel, err
	}
	sel.Import = t.imp.Import
	if note := partialNote(tables); note != "" {
		fmt.Fprintf(env.Stderr, "%s: %s\n", env.Prog, note)
	}
	return sel, nil
}

// riskyTarget warns on stderr when dir, the directory a fetch writes into (what
// names it: "--to", "the project"), is the root or the home directory, and returns
// the plan's line for it ("" when dir is neither).
func riskyTarget(env *cli.Env, what, dir string, del bool) string {
	kind := ""
	if same(dir, "/") {
		kind = "the root directory"
	} else if home, err := os.UserHomeDir(); err == nil && home != "" && same(dir, home) {
		kind = "your home directory"
	}
	if kind == "" {
		return ""
	}
	also := ""
	if del {
		also = ", and --delete removes what the source lacks under the synced directories"
	}
	fmt.Fprintf(env.Stderr, "%s: warning: %s %s is %s: what the source publishes is written below it, over files of the same name%s\n",
		env.Prog, what, dir, kind, also)
	return fmt.Sprintf("write into %s (%s)", dir, kind)
}

// same reports whether paths a and b name the same directory.
func same(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// postInstall runs the project's post-install commands in its root, showing their
// output on stderr (stdout stays for --json).
func (pr *project) postInstall(env *cli.Env) error {
	return install.PostInstall(env.Ctx, pr.p.Root, pr.post, env.Stderr, func(c string) {
		fmt.Fprintf(env.Stderr, "%s: running %s\n", env.Prog, c)
	})
}
