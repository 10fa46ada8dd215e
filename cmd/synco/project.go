package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/frameworks"
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

// prepare detects the local project and fills opt to install into it.
func (c *ProjectInstall) prepare(env *cli.Env, opt *fetch.Options, sel TableFlags, rf RewriteFlags) (*project, error) {
	p, err := cli.DetectProject(c.Dir)
	if errors.Is(err, frameworks.ErrNotFound) {
		return nil, &cli.UsageError{Msg: "no --to or --db given, and " + withoutPublishAdvice(err),
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
	risk := riskyTarget(env, "the project", p.Root, c.Delete)

	opt.To = p.Root
	if c.Only != "db" {
		sets := map[string]string{}
		for _, fs := range p.FileSets {
			rel, err := filepath.Rel(p.Root, fs.Dir)
			if err != nil || strings.HasPrefix(rel, "..") {
				return nil, fmt.Errorf("file set %s (%s) is outside the project", fs.Name, fs.Dir)
			}
			if len(c.FileSet) == 0 || slices.Contains(c.FileSet, fs.Name) {
				sets[fs.Name] = filepath.ToSlash(rel)
			}
		}
		for _, want := range c.FileSet {
			if _, ok := sets[want]; !ok {
				return nil, &cli.UsageError{Msg: fmt.Sprintf("--file-set %s: the local project has no such file set (see synco detect)", want)}
			}
		}
		opt.Map = func(top string) (string, bool) { dst, ok := sets[top]; return dst, ok }
	} else {
		opt.Map = func(string) (string, bool) { return "", false }
	}
	dsn := ""
	if c.Only != "files" {
		if p.DB == nil {
			if c.Only == "db" {
				return nil, &cli.UsageError{Msg: "--only db: no database configured in the local project (see synco detect)"}
			}
			fmt.Fprintf(env.Stderr, "%s: the local project has no database configured: the database is skipped\n", env.Prog)
		} else {
			dsn = p.DB.Redacted()
			rw.wordpress(env.Ctx, p)
			if opt.Import, err = importer(p.DB.DSN, nil, sel, rw, warner(env), noter(env)); err != nil {
				return nil, err
			}
			if sel.partial() {
				fmt.Fprintf(env.Stderr, "%s: partial database sync: only tables matching --tables %v, except %v, take the published rows; the others keep their local rows\n", env.Prog, sel.Tables, sel.ExcludeTables)
			}
		}
	}
	local := localDB{}
	if p.DB != nil && dsn != "" {
		local = probeDB(env.Ctx, dsn, p.DB.DSN)
	}
	opt.Confirm = func(s *fetch.Summary) error {
		if err := checkEngines(s, local); err != nil {
			return err
		}
		showSummary(env, s, local, opt.Delete, risk)
		if dsn != "" {
			rw.show(env.Stderr, s)
		}
		if c.DryRun {
			return fetch.ErrStopped
		}
		if c.Yes {
			return nil
		}
		var sets []string
		for _, fs := range p.FileSets {
			if len(c.FileSet) == 0 || slices.Contains(c.FileSet, fs.Name) {
				sets = append(sets, fs.Name)
			}
		}
		return confirm(env, s, sets)
	}
	return pr, nil
}

// publishAdvice ends the text of frameworks.ErrNotFound: the flags of publish,
// which fetch does not have.
const publishAdvice = "; pass --db and --files to say what to sync"

// withoutPublishAdvice is the text of a frameworks.ErrNotFound error without the
// advice meant for publish (fetch gives its own hint).
func withoutPublishAdvice(err error) string {
	return strings.TrimSuffix(err.Error(), publishAdvice)
}

// replan asks Run to start over with the choice the user made at the prompt (what
// --only, --file-set and --tables would have said). The manifest is in the cache by
// then, so starting over is cheap.
type replan struct {
	only   string   // "", "db" or "files"
	sets   []string // file sets, when only some
	tables []string // table globs, when only some
}

func (r replan) Error() string { return "sync a selection" }

// show prints the summary for --dry-run with --to/--db; risk is what
// riskyTarget said about --to.
func (c *ProjectInstall) show(env *cli.Env, s *fetch.Summary, db, risk string, rw *urlRewrite) error {
	local := localDB{}
	if db != "" {
		local = probeDB(env.Ctx, "the local --db", db)
	}
	if err := checkEngines(s, local); err != nil {
		return err
	}
	showSummary(env, s, local, c.Delete, risk)
	if db != "" {
		rw.show(env.Stderr, s)
	}
	return nil
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

func showSummary(env *cli.Env, s *fetch.Summary, db localDB, del bool, risk string) {
	w, prog := env.Stderr, env.Prog
	fmt.Fprintf(w, "%s: this will:\n", prog)
	if risk != "" {
		fmt.Fprintf(w, "  - %s\n", risk)
	}
	for _, d := range s.Dumps {
		fmt.Fprintf(w, "  - %s\n", dbLine(d, db, s.DumpBytes))
		fmt.Fprintf(w, "    (%s)\n", scrubNote(d))
	}
	if s.Files > 0 {
		fmt.Fprintf(w, "  - write %s (%s), replacing %d existing ones\n", plural(s.Files, "file"), cli.FormatSize(s.FileBytes), len(s.Replaced))
		fileLines(w, s, 20)
	}
	if s.Unchanged > 0 {
		fmt.Fprintf(w, "  - leave %s that are already up to date\n", plural(s.Unchanged, "file"))
	}
	if del {
		fmt.Fprintf(w, "  - delete %d local files the source does not have\n", len(s.Deleted))
		for i, d := range s.Deleted {
			if i == 10 {
				fmt.Fprintf(w, "      … and %d more\n", len(s.Deleted)-10)
				break
			}
			fmt.Fprintf(w, "      %s\n", cli.Clean(d))
		}
	}
	fmt.Fprintf(w, "  - %s\n", downloadLine(s))
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "  - skip what the source published but has no place here: %s\n", cli.Clean(strings.Join(s.Skipped, ", ")))
	}
}

// confirm asks on the terminal; without one it refuses (scripts pass --yes). The
// user may also select what to sync: the database or not, which file sets, which
// tables take the published rows.
func confirm(env *cli.Env, s *fetch.Summary, sets []string) error {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &cli.UsageError{Msg: "refusing to change the local project without confirmation: pass --yes (or --dry-run to only look)"}
	}
	in := bufio.NewReader(f)
	ask := func(q string) string {
		fmt.Fprintf(env.Stderr, "%s: %s ", env.Prog, q)
		a, _ := in.ReadString('\n')
		return strings.ToLower(strings.TrimSpace(a))
	}
	switch a := ask("continue? [y]es, [s]elect what to sync, [N]o:"); a {
	case "y", "yes":
		return nil
	case "s", "select":
	default:
		fmt.Fprintf(env.Stderr, "%s: nothing changed\n", env.Prog)
		return fetch.ErrStopped
	}
	var rp replan
	db := len(s.Dumps) > 0 && ask("the database? [Y/n]") != "n"
	if db {
		if t := ask("tables that take the published rows (globs, e.g. wp_posts 'wp_post*'; Enter: all):"); t != "" {
			rp.tables = strings.Fields(t)
		}
	}
	for _, name := range sets {
		if ask(fmt.Sprintf("file set %s? [Y/n]", name)) != "n" {
			rp.sets = append(rp.sets, name)
		}
	}
	switch {
	case !db && len(rp.sets) == 0:
		fmt.Fprintf(env.Stderr, "%s: nothing selected; nothing changed\n", env.Prog)
		return fetch.ErrStopped
	case !db:
		rp.only = "files"
	case len(rp.sets) == 0:
		rp.only = "db"
	}
	return rp
}

// postInstall runs the project's post-install commands in its root, showing their
// output on stderr (stdout stays for --json).
func (pr *project) postInstall(env *cli.Env) error {
	for _, c := range pr.post {
		fmt.Fprintf(env.Stderr, "%s: running %s\n", env.Prog, c)
		cmd := exec.CommandContext(env.Ctx, "/bin/sh", "-c", c)
		cmd.Dir = pr.p.Root
		cmd.Stdout, cmd.Stderr = env.Stderr, env.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return fmt.Errorf("post-install command %q failed with exit code %d (the sync itself succeeded)", c, ee.ExitCode())
			}
			return fmt.Errorf("post-install command %q: %w", c, err)
		}
	}
	return nil
}
