package main

import (
	"errors"
	"fmt"
	"strings"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/install"
)

// TableFlags select which tables take the published rows (partial database sync).
type TableFlags struct {
	Tables        []string `name:"tables" aliases:"table" sep:"none" placeholder:"GLOB" help:"Install the published rows only for tables matching GLOB (repeatable); the other tables keep their local rows. Also --table."`
	ExcludeTables []string `name:"exclude-tables" aliases:"exclude-table" sep:"none" placeholder:"GLOB" help:"Keep the local rows of tables matching GLOB (repeatable); the rest take the published rows. Also --exclude-table."`
}

func (t TableFlags) tables() install.Tables {
	return install.Tables{Include: t.Tables, Exclude: t.ExcludeTables}
}

// checkTables warns, before anything but the manifest is downloaded and before
// the plan's question, about --tables and --exclude-tables globs that match none
// of the tables whose rows the dumps publish: a typo or a wrong case (names are
// case-sensitive) selects nothing. It is not an error: a table empty at the
// source has no rows to publish, and selecting it empties the local one.
func checkTables(env *cli.Env, sel TableFlags, dumps []fetch.Dump) {
	if !sel.tables().Partial() || len(dumps) == 0 {
		return
	}
	var names []string
	for _, d := range dumps {
		names = append(names, tableNames(d)...)
	}
	include, exclude := sel.tables().Unmatched(names)
	for _, g := range exclude {
		fmt.Fprintf(env.Stderr, "%s: warning: --exclude-tables %s matches none of the published tables: it keeps no local rows\n", env.Prog, cli.Clean(g))
	}
	if len(include) == 0 {
		return
	}
	n := len(include)
	hint := "table names are case-sensitive, and a glob such as 'wp_post*' selects several (quote it for the shell)"
	for _, g := range include {
		if m := install.FoldMatches(g, names); len(m) > 0 {
			hint = fmt.Sprintf("table names are case-sensitive: did you mean --tables %s?", strings.Join(m[:min(len(m), 3)], " --tables "))
			break
		}
	}
	fmt.Fprintf(env.Stderr, "%s: warning: --tables %s %s none of the %s the source publishes rows of: %s (%s); a table without rows at the source is not published, and one of that name here is emptied\n",
		env.Prog, cli.Clean(strings.Join(include, ", ")), cli.Verb(n, "matches", "match"), cli.Plural(len(names), "table"), someTables(names, 10), hint)
}

// partialNote says which tables a partial database sync gives the published
// rows, as the flags select them; "" when the sync is not partial.
func partialNote(sel TableFlags) string {
	in, ex := cli.Clean(strings.Join(sel.Tables, ", ")), cli.Clean(strings.Join(sel.ExcludeTables, ", "))
	switch {
	case len(sel.Tables) > 0 && len(sel.ExcludeTables) > 0:
		return fmt.Sprintf("partial database sync: only the tables matching --tables %s, except those matching --exclude-tables %s, take the published rows; the others keep their local rows", in, ex)
	case len(sel.Tables) > 0:
		return fmt.Sprintf("partial database sync: only the tables matching --tables %s take the published rows; the others keep their local rows", in)
	case len(sel.ExcludeTables) > 0:
		return fmt.Sprintf("partial database sync: the tables matching --exclude-tables %s keep their local rows; the others take the published rows", ex)
	}
	return ""
}

// someTables lists the first max of names, and how many more there are.
func someTables(names []string, max int) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// importer is install.NewImporter with its errors as the CLI says them.
func importer(dsn string, sel TableFlags, rw *install.Rewrite) (*install.Importer, error) {
	if _, err := cli.Engine(dsn); err != nil {
		return nil, err
	}
	im, err := install.NewImporter(dsn, sel.tables(), rw)
	var de *install.DSNError
	if errors.As(err, &de) {
		return nil, &cli.UsageError{Msg: "--db: " + de.Err.Error()}
	}
	return im, err
}

// printNotes prints what an import did: information and warning lines.
func printNotes(env *cli.Env, im *install.Importer) {
	if im == nil {
		return
	}
	for _, n := range im.Notes() {
		if n.Warning {
			fmt.Fprintf(env.Stderr, "%s: warning: %s\n", env.Prog, cli.Clean(n.Text))
		} else {
			fmt.Fprintf(env.Stderr, "%s: %s\n", env.Prog, cli.Clean(n.Text))
		}
	}
}
