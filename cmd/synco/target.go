package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
			local.tables = c.tables()
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
			c.planned = s
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
			c.planned = s
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
// Ctrl-C at a question ends the fetch as it does elsewhere: the error is the
// context's.
func confirm(env *cli.Env, s *fetch.Summary, sets []string) (install.Choice, install.Answer, error) {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return install.Choice{}, install.No, &cli.UsageError{Msg: "refusing to change the local project without confirmation: pass --yes (or --dry-run to only look)"}
	}
	q := &questions{env: env, in: newLineReader(f)}
	stopped := func(why string) (install.Choice, install.Answer, error) {
		fmt.Fprintf(env.Stderr, "%s: %sstopped: nothing was changed\n", env.Prog, why)
		return install.Choice{}, install.No, nil
	}
	a, err := q.ask("continue? [y]es, [s]elect what to sync, [N]o:", "y (yes), s (select what to sync) or n (no)", continueAnswer)
	if err != nil {
		return q.failed(err)
	}
	if a != "s" {
		if a == "y" {
			return install.Choice{}, install.Yes, nil
		}
		return stopped("")
	}
	db := false
	if len(s.Dumps) > 0 {
		a, err := q.ask("the database? [Y/n]", "y (yes) or n (no)", yesNo)
		if err != nil {
			return q.failed(err)
		}
		db = a == "y"
	}
	tables := ""
	if db {
		var err error
		var names []string
		for _, d := range s.Dumps {
			names = append(names, tableNames(d)...)
		}
		if tables, err = q.ask(tablesQuestion(names), "", nil); err != nil {
			return q.failed(err)
		}
	}
	chosen := make([]bool, len(sets))
	for i, name := range sets {
		a, err := q.ask(fmt.Sprintf("file set %s? [Y/n]", name), "y (yes) or n (no)", yesNo)
		if err != nil {
			return q.failed(err)
		}
		chosen[i] = a == "y"
	}
	choice, ok := install.Choose(db, tables, sets, chosen)
	if !ok {
		return stopped("nothing selected: ")
	}
	return choice, install.Select, nil
}

// maxAsks is how often a question is asked when its answer is not understood.
const maxAsks = 3

// errNotUnderstood: no answer to a question was understood, maxAsks times.
var errNotUnderstood = errors.New("no answer understood")

// questions asks the user on stderr and reads the answers from a terminal.
type questions struct {
	env *cli.Env
	in  *lineReader
}

// ask asks question until the answer is understood (parse; nil takes any answer),
// at most maxAsks times, saying which answers there are (valid) after one that
// is not; it returns parse's reading of it. The end of the input ends the
// answer (nothing typed: the default). Errors: the context's (Ctrl-C),
// errNotUnderstood.
func (q *questions) ask(question, valid string, parse func(string) (string, bool)) (string, error) {
	for range maxAsks {
		fmt.Fprintf(q.env.Stderr, "%s: %s ", q.env.Prog, question)
		line, err := q.in.read(q.env.Ctx)
		if err != nil && q.env.Ctx.Err() != nil {
			fmt.Fprintln(q.env.Stderr) // the cursor is after the question
			return "", err
		}
		// At the end of the input, what came before it (often nothing: the
		// default), as before; the next read ends at once.
		a := strings.TrimSpace(line)
		if parse == nil {
			return a, nil // as typed: table names are case-sensitive
		}
		a = strings.ToLower(a)
		if v, ok := parse(a); ok {
			return v, nil
		}
		fmt.Fprintf(q.env.Stderr, "%s: %q is not an answer here: say %s\n", q.env.Prog, cli.Clean(a), valid)
	}
	return "", errNotUnderstood
}

// failed is confirm's result for an error of ask: a stop for an answer not
// understood, an interrupt (Main says it, exit 130) for Ctrl-C.
func (q *questions) failed(err error) (install.Choice, install.Answer, error) {
	if errors.Is(err, errNotUnderstood) {
		fmt.Fprintf(q.env.Stderr, "%s: no answer understood: stopped: nothing was changed\n", q.env.Prog)
		return install.Choice{}, install.No, nil
	}
	return install.Choice{}, install.No, &cli.PartlyDone{Err: err, Done: "at the question: nothing was changed"}
}

// continueAnswer reads the answer to "continue? [y]es, [s]elect what to sync,
// [N]o" as "y", "s" or "n" (also for an empty answer: No is the default).
func continueAnswer(a string) (string, bool) {
	switch a {
	case "", "n", "no":
		return "n", true
	}
	switch install.ParseAnswer(a) {
	case install.Yes:
		return "y", true
	case install.Select:
		return "s", true
	}
	return "", false
}

// yesNo reads the answer to a "[Y/n]" question as "y" or "n" (an empty
// answer: Yes, the default).
func yesNo(a string) (string, bool) {
	switch a {
	case "", "y", "yes":
		return "y", true
	case "n", "no":
		return "n", true
	}
	return "", false
}

// tablesQuestion asks which of the published tables (names, those with rows)
// take the published rows, with an example from their names (a neutral one
// when there are none). The answer is split at spaces, not by a shell: the
// example has no quotes.
func tablesQuestion(names []string) string {
	example := "posts comments"
	if len(names) > 0 {
		example = strings.Join(names[:min(len(names), 2)], " ")
	}
	return fmt.Sprintf("tables that take the published rows (names or globs such as name*, separated by spaces, e.g. %s; Enter: all):", example)
}

// lineReader reads lines from the terminal while the fetch can be interrupted:
// a read waits in a goroutine, and an interrupt leaves it waiting (the process
// ends). It reads only while a question waits (a terminal gives a line a
// read), so a post-install command after the questions gets the rest of the
// input.
type lineReader struct {
	in      *bufio.Reader
	pending chan readResult // the read in flight, if any
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{in: bufio.NewReader(r)} }

type readResult struct {
	line string
	err  error
}

// read returns the next line, or the context's error when it ends first.
func (r *lineReader) read(ctx context.Context) (string, error) {
	if r.pending == nil {
		ch := make(chan readResult, 1)
		r.pending = ch
		go func() {
			line, err := r.in.ReadString('\n')
			ch <- readResult{line, err}
		}()
	}
	select {
	case res := <-r.pending:
		r.pending = nil
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
