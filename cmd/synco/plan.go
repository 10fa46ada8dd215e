package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"synco/cmd/internal/cli"
	"synco/dumpers/engines"
	"synco/fetch"
	"synco/install"
)

// localDB is what the plan says about the local database a dump goes into.
type localDB struct {
	name   string         // as shown: redacted DSN or "the local --db"
	engine string         // "mysql", "postgres"; "" for no database
	exists int            // 1 it exists, 0 it does not (the install creates it), -1 unknown
	tables install.Tables // which tables take the published rows (--tables, --exclude-tables)
}

// probeDB looks up whether the database of dsn exists, without changing anything.
// A server that cannot be asked leaves it unknown (the install reports why).
func probeDB(ctx context.Context, name, dsn string) localDB {
	db := localDB{name: name, exists: -1}
	if dsn == "" {
		return db
	}
	e, err := engines.Open(dsn)
	if err != nil {
		return db
	}
	db.engine = e.Name()
	if ok, err := e.Exists(ctx); err == nil {
		db.exists = 0
		if ok {
			db.exists = 1
		}
	}
	return db
}

// checkEngines refuses a plan whose dumps are of another engine than the local
// database, before anything is downloaded or asked (also with --dry-run).
func checkEngines(dumps []fetch.Dump, db localDB) error {
	for _, d := range dumps {
		if db.engine != "" && d.Engine != db.engine {
			return fmt.Errorf("the publication holds a %s dump, but %s is a %s database: nothing was changed (install it into a %s database with --db, or get it as a .sql file with --to)", d.Engine, db.name, db.engine, d.Engine)
		}
	}
	return nil
}

// dbLine is the plan's line for installing dump d; names are the tables whose
// rows it publishes (d.TableNames()).
func dbLine(d fetch.Dump, db localDB, size int64, names []string) string {
	if db.tables.Partial() {
		return partialDBLine(d, db, size, names)
	}
	switch db.exists {
	case 1:
		return fmt.Sprintf("replace the database %s with the published %s dump (%s): tables that only exist locally are dropped", db.name, d.Engine, cli.FormatSize(size))
	case 0:
		return fmt.Sprintf("create the database %s from the published %s dump (%s)", db.name, d.Engine, cli.FormatSize(size))
	}
	return fmt.Sprintf("replace (or create) the database %s with the published %s dump (%s)", db.name, d.Engine, cli.FormatSize(size))
}

// partialDBLine is dbLine for a partial sync: only the selected tables take
// the published rows; the structure is still the published one (the install
// is one swap of the whole database).
func partialDBLine(d fetch.Dump, db localDB, size int64, names []string) string {
	sel := publishedTables(db.tables, names)
	rows := fmt.Sprintf("the rows of %d of the %s (%s)", len(sel), plural(len(names), "published table"), someTables(sel, 10))
	switch db.exists {
	case 0:
		return fmt.Sprintf("create the database %s from the published %s dump (%s), with %s only: the other tables are created empty", db.name, d.Engine, cli.FormatSize(size), rows)
	case 1:
		return fmt.Sprintf("replace %s in the database %s with the published ones (%s dump, %s); the other tables keep their local rows, in the published structure: tables that only exist locally are dropped", rows, db.name, d.Engine, cli.FormatSize(size))
	}
	return fmt.Sprintf("replace %s in the database %s (or create it) with the published ones (%s dump, %s); the other tables keep their local rows, in the published structure: tables that only exist locally are dropped", rows, db.name, d.Engine, cli.FormatSize(size))
}

// publishedTables are those of names that take the published rows under sel.
func publishedTables(sel install.Tables, names []string) []string {
	var out []string
	for _, n := range names {
		if sel.Published(n) {
			out = append(out, n)
		}
	}
	return out
}

// tableNames are the tables whose rows d publishes, made safe for the terminal.
func tableNames(d fetch.Dump) []string {
	var names []string
	for _, t := range d.TableNames() {
		names = append(names, cli.Clean(t)) // the source's text
	}
	return names
}

// fileLines lists the files a plan writes, rsync -i style: "+" new, "~" replaced;
// at most max of each kind, then a count.
func fileLines(w io.Writer, s *fetch.Summary, max int) {
	replaced := map[string]bool{}
	for _, p := range s.Replaced {
		replaced[p] = true
	}
	var added, changed []string
	for _, p := range s.Written {
		if replaced[p] {
			changed = append(changed, p)
		} else {
			added = append(added, p)
		}
	}
	for _, l := range []struct {
		mark  string
		paths []string
	}{{"+", added}, {"~", changed}} {
		for i, p := range l.paths {
			if i == max {
				fmt.Fprintf(w, "      %s … and %d more\n", l.mark, len(l.paths)-max)
				break
			}
			fmt.Fprintf(w, "      %s %s\n", l.mark, cli.Clean(p))
		}
	}
}

// downloadLine is the plan's line for the bytes to download.
func downloadLine(s *fetch.Summary) string {
	switch {
	case s.DownloadBytes == 0:
		return "download nothing: everything is in the local cache"
	case s.CachedBytes == 0:
		return fmt.Sprintf("download about %s", cli.FormatSize(s.DownloadBytes))
	}
	return fmt.Sprintf("download about %s (%s are in the local cache)", cli.FormatSize(s.DownloadBytes), cli.FormatSize(s.CachedBytes))
}

// plural is n and the noun, in plural unless n is 1 ("1 file", "3 files").
func plural(n int, noun string) string { return cli.Plural(n, noun) }

// showSummary prints the plan: risk is riskyTarget's line, del is --delete.
func showSummary(env *cli.Env, s *fetch.Summary, db localDB, del bool, risk string) {
	w, prog := env.Stderr, env.Prog
	fmt.Fprintf(w, "%s: this will:\n", prog)
	if risk != "" {
		fmt.Fprintf(w, "  - %s\n", risk)
	}
	for _, d := range s.Dumps {
		fmt.Fprintf(w, "  - %s\n", dbLine(d, db, s.DumpBytes, tableNames(d)))
		fmt.Fprintf(w, "    (%s)\n", scrubNote(d))
		for _, l := range d.Lacks {
			fmt.Fprintf(w, "    (not copied: %s)\n", cli.Clean(l))
		}
	}
	if s.Files > 0 {
		fmt.Fprintf(w, "  - write %s (%s), replacing %d existing %s\n", plural(s.Files, "file"), cli.FormatSize(s.FileBytes), len(s.Replaced), cli.Verb(len(s.Replaced), "one", "ones"))
		fileLines(w, s, 20)
	}
	if s.Unchanged > 0 {
		fmt.Fprintf(w, "  - leave %s that %s already up to date\n", plural(s.Unchanged, "file"), cli.Verb(s.Unchanged, "is", "are"))
	}
	if del {
		fmt.Fprintf(w, "  - delete %s the source does not have\n", plural(len(s.Deleted), "local file"))
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
