package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/install"
)

// target is where synco fetch installs: a detected local project, or --to
// and --db.
type target struct {
	proj  *project          // the local project; nil with --to/--db
	to    string            // directory the files go into; "" for none
	dsn   string            // the local database; "" for none
	local localDB           // what the plan says about it
	rw    *install.Rewrite  // nil: nothing is rewritten
	risk  string            // riskyTarget's line for the plan
	imp   *install.Importer // of the current selection; nil: no database
}

// target makes the target of --to and --db.
func (c *FetchCmd) target(env *cli.Env) (*target, error) {
	if c.To == "" && c.DB == "" {
		return c.ProjectInstall.prepare(env, c.RewriteFlags)
	}
	if len(c.Rewrite) > 0 && c.DB == "" {
		return nil, &cli.UsageError{Msg: "--rewrite rewrites a database as it is installed: pass --db (or install into the local project: no --to)"}
	}
	t := &target{to: c.To, dsn: c.DB}
	if c.DB != "" {
		var err error
		if t.rw, err = newURLRewrite(c.RewriteFlags, nil); err != nil {
			return nil, err
		}
		if _, err := importer(c.DB, c.TableFlags, t.rw); err != nil {
			return nil, err // a wrong --db is said before anything is fetched
		}
	}
	if c.To != "" {
		t.risk = riskyTarget(env, "--to", c.To, c.Delete)
	}
	if c.DB != "" {
		// An engine mismatch is said before anything is downloaded.
		t.local = probeDB(env.Ctx, "the local --db", c.DB)
	}
	return t, nil
}

// selection is what the flags select for t.
func (c *FetchCmd) selection(env *cli.Env, t *target) (fetch.Selection, error) {
	if t.proj != nil {
		return c.ProjectInstall.selection(env, t, c.TableFlags)
	}
	sel := fetch.Selection{To: t.to, Delete: c.Delete}
	t.imp = nil
	if t.dsn != "" {
		var err error
		if t.imp, err = importer(t.dsn, c.TableFlags, t.rw); err != nil {
			return sel, err
		}
		sel.Import = t.imp.Import
	}
	return sel, nil
}

// plan plans pub for what the flags select, shows the plan where there is one
// to show (a project, --dry-run) and asks (a project, without --yes). A
// selection made at the prompt is planned anew. It returns nil (and no
// error) when nothing is to be done: a dry run, or the user said no; a plan
// it returns is never with an error.
func (c *FetchCmd) plan(env *cli.Env, pub *fetch.Publication, t *target, sel fetch.Selection, finish func()) (*fetch.Plan, error) {
	for {
		local := localDB{}
		if sel.Import != nil {
			local = t.local
			checkTables(env, c.TableFlags, pub.Dumps()) // before anything is downloaded or asked
		}
		plan, err := pub.Plan(env.Ctx, sel)
		if err != nil {
			return nil, err
		}
		if t.proj == nil && !c.DryRun {
			if err := checkEngines(pub.Dumps(), local); err != nil {
				plan.Close()
				return nil, err
			}
			return plan, nil
		}
		finish() // the progress view, before the plan is shown
		s, err := plan.Summary(env.Ctx)
		if err == nil {
			err = checkEngines(s.Dumps, local)
		}
		if err != nil {
			plan.Close()
			return nil, err
		}
		showSummary(env, s, local, c.Delete, t.risk)
		if sel.Import != nil {
			showRewrite(env.Stderr, t.rw, len(s.Dumps))
		}
		if c.DryRun {
			plan.Close()
			return nil, nil
		}
		if c.Yes {
			return plan, nil
		}
		asked := time.Now()
		choice, a, err := confirm(env, s, install.SetNames(t.proj.p, c.FileSet))
		c.asked += time.Since(asked)
		if a == install.Yes && err == nil {
			return plan, nil
		}
		plan.Close()
		if err != nil {
			return nil, err
		}
		if a == install.No {
			return nil, nil
		}
		// The user selected what to sync: plan that, as --only, --file-set
		// and --tables would have said it.
		c.Only, c.Yes = choice.Only, true
		if choice.Sets != nil {
			c.FileSet = choice.Sets
		}
		if choice.Tables != nil {
			c.Tables = choice.Tables
		}
		if sel, err = c.selection(env, t); err != nil {
			return nil, err
		}
	}
}

// confirm asks on the terminal; without one it refuses (scripts pass --yes). The
// user may also select what to sync: the database or not, which file sets (of
// sets), which tables take the published rows. It says when nothing changes.
func confirm(env *cli.Env, s *fetch.Summary, sets []string) (install.Choice, install.Answer, error) {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return install.Choice{}, install.No, &cli.UsageError{Msg: "refusing to change the local project without confirmation: pass --yes (or --dry-run to only look)"}
	}
	in := bufio.NewReader(f)
	ask := func(q string) string {
		fmt.Fprintf(env.Stderr, "%s: %s ", env.Prog, q)
		a, _ := in.ReadString('\n')
		return strings.ToLower(strings.TrimSpace(a))
	}
	a := install.ParseAnswer(ask("continue? [y]es, [s]elect what to sync, [N]o:"))
	if a != install.Select {
		if a == install.No {
			fmt.Fprintf(env.Stderr, "%s: nothing changed\n", env.Prog)
		}
		return install.Choice{}, a, nil
	}
	db := len(s.Dumps) > 0 && install.Included(ask("the database? [Y/n]"))
	tables := ""
	if db {
		tables = ask("tables that take the published rows (globs, e.g. wp_posts 'wp_post*'; Enter: all):")
	}
	chosen := make([]bool, len(sets))
	for i, name := range sets {
		chosen[i] = install.Included(ask(fmt.Sprintf("file set %s? [Y/n]", name)))
	}
	choice, ok := install.Choose(db, tables, sets, chosen)
	if !ok {
		fmt.Fprintf(env.Stderr, "%s: nothing selected; nothing changed\n", env.Prog)
		return choice, install.No, nil
	}
	return choice, install.Select, nil
}
