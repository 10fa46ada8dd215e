package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"synco/dumpers"
	"synco/dumpers/engines"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/dumpers/rewrite"
	"synco/fetch"
)

// Errors of NewImporter and Importer.Import.
var (
	// ErrEngine: the DSN names no database kind this package installs into.
	ErrEngine = errors.New("install: unknown database kind")
	// ErrSeveralDumps: the publication holds more than one dump for one database.
	ErrSeveralDumps = errors.New("the publication holds more than one database dump; importing several into one --db is not supported (use --to to get them as .sql files)")
)

// EngineMismatchError is a dump of another engine than the local database.
type EngineMismatchError struct{ Dump, Local string }

func (e *EngineMismatchError) Error() string {
	return fmt.Sprintf("the publication holds a %s dump, but --db names a %s database", e.Dump, e.Local)
}

// DSNError is a local database DSN that does not parse; Err says why (it never
// holds the password).
type DSNError struct{ Err error }

func (e *DSNError) Error() string { return "install: DSN: " + e.Err.Error() }
func (e *DSNError) Unwrap() error { return e.Err }

// Engine returns "mysql" or "postgres" for a DSN's scheme, or ErrEngine.
func Engine(dsn string) (string, error) {
	name, err := engines.Name(dsn)
	if err != nil {
		return "", ErrEngine
	}
	return name, nil
}

// Importer installs a publication's database dump into one local database; its
// Import method is a fetch.Selection.Import. It allows one dump per publication
// and checks that its engine matches. With a partial Tables selection it first
// dumps the local database, and the import takes the kept tables' rows from
// there: the whole database is still replaced in one swap, so a failure leaves it
// as it was. The Rewrite applies to the published rows only.
type Importer struct {
	engine    string
	db        string // the database's name, for the notes
	tables    Tables
	rw        *Rewrite
	run       func(ctx context.Context, src dumpers.Source) error
	dumpLocal func(ctx context.Context, sink dumpers.Sink) error

	mu        sync.Mutex
	n         int
	notes     []Note
	installed bool // Import installed its dump
	rewrote   *Rewritten
}

// Rewritten is what an install rewrote: the URL pairs, and how many values
// changed.
type Rewritten struct {
	Pairs  []rewrite.Pair
	Values int64
}

// Rewritten returns what the install rewrote, nil when it rewrote nothing.
func (im *Importer) Rewritten() *Rewritten {
	if im == nil {
		return nil
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.rewrote
}

// NewImporter returns the importer for the local database dsn (created if
// missing). rw may be nil (nothing rewritten). Errors: ErrEngine, *DSNError.
func NewImporter(dsn string, tables Tables, rw *Rewrite) (*Importer, error) {
	engine, err := Engine(dsn)
	if err != nil {
		return nil, err
	}
	local, err := engines.Open(dsn)
	if err != nil {
		return nil, &DSNError{err}
	}
	im := &Importer{engine: engine, tables: tables, rw: rw, dumpLocal: func(ctx context.Context, sink dumpers.Sink) error {
		return local.Dump(ctx, sink, dumpers.Options{})
	}}
	// Installing is engine-specific: how each stages, swaps and confines.
	switch engine {
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, &DSNError{err}
		}
		im.db = cfg.Database
		im.run = func(ctx context.Context, src dumpers.Source) error { return im.mysql(ctx, cfg, src) }
	case "postgres":
		cfg, err := postgres.ParseDSN(dsn)
		if err != nil {
			return nil, &DSNError{err}
		}
		im.db = cfg.Database
		im.run = func(ctx context.Context, src dumpers.Source) error { return im.postgres(ctx, cfg, src) }
	}
	return im, nil
}

// Notes are what the imports did so far, in order: as which account the dump
// was loaded and where it was staged (or what a delta install changed), what was
// rewritten or left out of the rewrite, and warnings.
func (im *Importer) Notes() []Note {
	im.mu.Lock()
	defer im.mu.Unlock()
	return append([]Note(nil), im.notes...)
}

func (im *Importer) note(s string) {
	im.mu.Lock()
	defer im.mu.Unlock()
	im.notes = append(im.notes, Note{Text: s})
}

// cleanupWarns turns an import's *dumpers.CleanupError (installed, leftovers not
// removed) into a warning note.
func (im *Importer) cleanupWarns(err error) error {
	var ce *dumpers.CleanupError
	if errors.As(err, &ce) {
		im.mu.Lock()
		im.notes = append(im.notes, Note{Text: ce.Error(), Warning: true})
		im.mu.Unlock()
		return nil
	}
	return err
}

// Import installs dump d, read from src. Errors: ErrSeveralDumps,
// *EngineMismatchError, the engine's.
func (im *Importer) Import(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
	im.mu.Lock()
	im.n++
	n := im.n
	im.mu.Unlock()
	if n > 1 {
		return ErrSeveralDumps
	}
	if d.Engine != im.engine {
		return &EngineMismatchError{Dump: d.Engine, Local: im.engine}
	}
	r, err := im.rw.replacer(ctx, im.engine, src, im.note)
	if err != nil {
		return err
	}
	src = wrapRewrite(im.engine, src, r)
	if im.tables.Partial() {
		tmp, err := os.MkdirTemp("", "synco-local-rows-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		local := &dumpers.Dir{Root: tmp}
		if err := im.dumpLocal(ctx, local); err != nil {
			return fmt.Errorf("read the local rows of the tables to keep (--tables/--exclude-tables): %w", err)
		}
		src = Overlay(src, local, im.tables.Published)
	}
	if err := im.run(ctx, src); err != nil {
		return err
	}
	im.mu.Lock()
	im.installed = true
	if r != nil {
		im.rewrote = &Rewritten{Pairs: slices.Clone(im.rw.applied), Values: r.Changed()}
	}
	im.mu.Unlock()
	if r != nil {
		im.note(im.rw.done(r))
	}
	return nil
}

// Installed reports whether the dump is installed (Import returned nil), and
// into which database: an interrupted fetch says what of it took effect.
func (im *Importer) Installed() (db string, ok bool) {
	if im == nil {
		return "", false
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.db, im.installed
}

// mysql installs src into cfg's database: a delta install when the database
// is as the last install left it, else a full import.
func (im *Importer) mysql(ctx context.Context, cfg *mysql.Config, src dumpers.Source) error {
	inst, err := mysql.Install(ctx, cfg, src, nil)
	for _, n := range inst.Notes {
		im.note(n)
	}
	if err := im.cleanupWarns(err); err != nil {
		return err
	}
	if inst.Mode != "full" {
		im.note(installedNote(cfg.Database, inst))
		return nil
	}
	if inst.Reason != "" {
		im.note("full import: " + inst.Reason)
	}
	// How it was loaded, for the note: the account's privileges, which the
	// install does not change, read after it (a delta needs neither probe). The
	// snapshot is installed: a probe that fails only leaves the note out.
	mode, err := mysql.LoadAccountMode(ctx, cfg)
	if err != nil {
		return nil
	}
	stage, err := mysql.StagingMode(ctx, cfg)
	if err != nil {
		return nil
	}
	as := "limited account"
	if mode == mysql.LoadAsLimited {
		// kept: a user who drops an unknown account breaks the triggers
		as = "limited account " + mysql.LoadAccount(cfg.Database) + " (kept for the next install: the database's views, triggers and routines run as it)"
	}
	im.note(loadedAs(cfg.Database, mode == mysql.LoadAsLimited, as, "CREATE USER and GRANT OPTION") + "; staged in " + article(stage.String()))
	return nil
}

// postgres installs src into cfg's database: a delta install when the
// database is as the last install left it, else a full import.
func (im *Importer) postgres(ctx context.Context, cfg *postgres.Config, src dumpers.Source) error {
	stage, err := postgres.StagingMode(ctx, cfg)
	if err != nil {
		return err
	}
	inst, mode, err := postgres.Install(ctx, cfg, src, nil)
	if err := im.cleanupWarns(err); err != nil {
		return err
	}
	if inst.Mode != "full" {
		im.note(installedNote(cfg.Database, inst))
		return nil
	}
	if inst.Reason != "" {
		im.note("full import: " + inst.Reason)
	}
	im.note(loadedAs(cfg.Database, mode != postgres.LoadAsUser, mode.String(), "CREATEROLE") + "; staged in " + article(stage.String()))
	return nil
}
