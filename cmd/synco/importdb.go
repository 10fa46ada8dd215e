package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"synco/cmd/internal/cli"
	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/fetch"
)

// TableFlags select which tables take the published rows (partial database sync).
type TableFlags struct {
	Tables        []string `name:"tables" aliases:"table" sep:"none" placeholder:"GLOB" help:"Install the published rows only for tables matching GLOB (repeatable); the other tables keep their local rows. Also --table."`
	ExcludeTables []string `name:"exclude-tables" aliases:"exclude-table" sep:"none" placeholder:"GLOB" help:"Keep the local rows of tables matching GLOB (repeatable); the rest take the published rows. Also --exclude-table."`
}

func (t TableFlags) partial() bool { return len(t.Tables)+len(t.ExcludeTables) > 0 }

// published reports whether table takes the published rows.
func (t TableFlags) published(table string) bool {
	if len(t.Tables) > 0 && !dumpers.MatchTable(t.Tables, table) {
		return false
	}
	return !dumpers.MatchTable(t.ExcludeTables, table)
}

// importer returns the fetch.Options.Import function for a local database DSN.
// It checks that a dump's engine matches and allows one dump per publication. With
// a partial selection it first dumps the local database, and the import takes the
// kept tables' rows from there: the whole database is still replaced in one swap, so
// a failure leaves it as it was.
//
// An import that installed the snapshot but could not clean up after itself
// (*dumpers.CleanupError) is a success: warn is called with it. note gets a line
// saying as which account the dump was loaded, and one saying what rw rewrote
// (nil: nothing). The rewrite applies to the published rows only, not to the
// local rows a partial selection keeps.
func importer(dsn string, progress func(dumpers.Progress), sel TableFlags, rw *urlRewrite, warn func(error), note func(string)) (func(context.Context, fetch.Dump, dumpers.Source) error, error) {
	engine, err := cli.Engine(dsn)
	if err != nil {
		return nil, err
	}
	var run func(ctx context.Context, src dumpers.Source) error
	var dumpLocal func(ctx context.Context, sink dumpers.Sink) error
	switch engine {
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, &cli.UsageError{Msg: "--db: " + err.Error()}
		}
		run = func(ctx context.Context, src dumpers.Source) error {
			mode, err := mysql.LoadAccountMode(ctx, cfg)
			if err != nil {
				return err
			}
			stage, err := mysql.StagingMode(ctx, cfg)
			if err != nil {
				return err
			}
			if err := cleanupWarns(mysql.Import(ctx, cfg, src, progress), warn); err != nil {
				return err
			}
			note(loadedAs(cfg.Database, mode == mysql.LoadAsLimited, "limited account", "CREATE USER and GRANT OPTION") + "; staged in " + article(stage.String()))
			return nil
		}
		dumpLocal = func(ctx context.Context, sink dumpers.Sink) error {
			return mysql.NewDumper(cfg).Dump(ctx, sink, dumpers.Options{})
		}
	case "postgres":
		cfg, err := postgres.ParseDSN(dsn)
		if err != nil {
			return nil, &cli.UsageError{Msg: "--db: " + err.Error()}
		}
		run = func(ctx context.Context, src dumpers.Source) error {
			stage, err := postgres.StagingMode(ctx, cfg)
			if err != nil {
				return err
			}
			mode, err := postgres.ImportWithMode(ctx, cfg, src, progress)
			if err := cleanupWarns(err, warn); err != nil {
				return err
			}
			note(loadedAs(cfg.Database, mode != postgres.LoadAsUser, mode.String(), "CREATEROLE") + "; staged in " + article(stage.String()))
			return nil
		}
		dumpLocal = func(ctx context.Context, sink dumpers.Sink) error {
			return postgres.NewDumper(cfg).Dump(ctx, sink, dumpers.Options{})
		}
	}
	n := 0
	return func(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
		if n++; n > 1 {
			return fmt.Errorf("the publication holds more than one database dump; importing several into one --db is not supported (use --to to get them as .sql files)")
		}
		if d.Engine != engine {
			return fmt.Errorf("the publication holds a %s dump, but --db names a %s database", d.Engine, engine)
		}
		r, err := rw.replacer(ctx, engine, src, note)
		if err != nil {
			return err
		}
		src = wrapRewrite(engine, src, r)
		if sel.partial() {
			tmp, err := os.MkdirTemp("", "synco-local-rows-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			local := &dumpers.Dir{Root: tmp}
			if err := dumpLocal(ctx, local); err != nil {
				return fmt.Errorf("read the local rows of the tables to keep (--tables/--exclude-tables): %w", err)
			}
			src = newOverlay(src, local, sel.published)
		}
		if err := run(ctx, src); err != nil {
			return err
		}
		if r != nil {
			note(rw.done(r))
		}
		return nil
	}, nil
}

// cleanupWarns turns an import's *dumpers.CleanupError (installed, leftovers not
// removed) into a warning.
func cleanupWarns(err error, warn func(error)) error {
	var ce *dumpers.CleanupError
	if errors.As(err, &ce) {
		warn(ce)
		return nil
	}
	return err
}

// overlay is the published dump with the data streams of the tables that keep their
// local rows taken from a dump of the local database. A kept table without local
// rows (new at the source) comes with its structure only.
type overlay struct {
	remote, local dumpers.Source
	published     func(table string) bool
	localHas      map[string]bool
}

func newOverlay(remote, local dumpers.Source, published func(string) bool) *overlay {
	o := &overlay{remote: remote, local: local, published: published, localHas: map[string]bool{}}
	for _, n := range local.Names() {
		o.localHas[n] = true
	}
	return o
}

func (o *overlay) kept(name string) bool {
	table, ok := dumpers.TableOf(name)
	return ok && !o.published(table)
}

func (o *overlay) Names() []string {
	var names []string
	for _, n := range o.remote.Names() {
		if o.kept(n) && !o.localHas[n] {
			continue
		}
		names = append(names, n)
	}
	return names
}

func (o *overlay) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if o.kept(name) {
		return o.local.Open(ctx, name)
	}
	return o.remote.Open(ctx, name)
}

// loadedAs says as which account a dump was loaded (docs/security.md).
func loadedAs(db string, limited bool, mode, privileges string) string {
	if limited {
		return fmt.Sprintf("the dump was loaded as a %s with rights on %s only", mode, db)
	}
	return fmt.Sprintf("the dump was loaded as the --db account itself: it cannot create a limited one (that needs %s); the import is still confined to %s by the statement checks", privileges, db)
}

// noter prints an information line.
func noter(env *cli.Env) func(string) {
	return func(s string) { fmt.Fprintf(env.Stderr, "%s: %s\n", env.Prog, s) }
}

// warner prints a warning line for an error that did not stop the command.
func warner(env *cli.Env) func(error) {
	return func(err error) {
		fmt.Fprintf(env.Stderr, "%s: warning: %s\n", env.Prog, cli.Clean(err.Error()))
	}
}

// article puts "a" before a staging mode that needs one ("a staging database").
func article(mode string) string {
	if mode == "staging database" {
		return "a " + mode
	}
	return mode
}
