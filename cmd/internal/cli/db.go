package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"

	"synco/dumpers"
	"synco/dumpers/engines"
	"synco/dumpers/scrub"
	"synco/publish"
)

// DBFlags select and shape the database dump of a publish.
type DBFlags struct {
	DB            string   `name:"db" env:"SYNCO_DB" placeholder:"DSN" help:"Database to dump: mysql://user:pass@host:3306/name (also mariadb://, ?socket=/run/mysqld/mysqld.sock) or postgres://user:pass@host:5432/name (?host=/run/postgresql for a socket). Prefer SYNCO_DB to keep the password out of the process list."`
	DBName        string   `name:"db-name" default:"db" placeholder:"NAME" help:"Name of the dump in the publication (the destination gets NAME.sql)."`
	ExcludeTable  []string `name:"exclude-tables" aliases:"exclude-table" sep:"none" placeholder:"GLOB" help:"Leave tables matching GLOB out entirely (repeatable). Also --exclude-table."`
	StructureOnly []string `name:"structure-only" sep:"none" placeholder:"GLOB" help:"Dump tables matching GLOB without their rows, e.g. cache_* (repeatable)."`
	Where         []string `name:"where" sep:"none" placeholder:"TABLE=COND" help:"Dump only the rows of TABLE matching the SQL condition COND (repeatable)."`
	ScrubFlags    `embed:""`

	scrubPlan *scrubPlan   // set by setScrub before dump
	rules     *scrub.Rules // set by scrubKey before the dump runs
	left      leftOut      // what the dump left out (dumpers.Options.Left)
}

// leftOut collects what a dump leaves out of the source, once each.
type leftOut struct {
	mu   sync.Mutex
	what []string
}

func (l *leftOut) add(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.what, what) {
		l.what = append(l.what, what)
	}
}

// list is what the dumps left out so far.
func (l *leftOut) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.what)
}

// report prints what the dumps left out, after a publish.
func (l *leftOut) report(w io.Writer, prog string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.what) == 0 {
		return
	}
	fmt.Fprintf(w, "%s: warning: the copy lacks what synco does not dump:\n", prog)
	for _, x := range l.what {
		fmt.Fprintf(w, "%s:   %s\n", prog, x)
	}
}

// setScrub decides what the dump scrubs: framework's defaults (framework "" for
// none), dir/.synco.yml and --scrub.
func (f *DBFlags) setScrub(framework, prefix, dir string) error {
	plan, err := newScrubPlan(f.ScrubFlags, framework, prefix, dir)
	if err != nil {
		return err
	}
	f.scrubPlan = plan
	if plan.on() {
		f.StructureOnly = append(f.StructureOnly, plan.structure...)
	}
	return nil
}

// scrubKey gives the dump its rules, keyed with the store's scrub key (after
// the store's keys are final: publish.State.Select may rotate them).
func (f *DBFlags) scrubKey(key [32]byte) *scrub.Rules {
	if f.scrubPlan == nil || f.scrubPlan.off {
		return nil
	}
	f.rules = scrub.New(key, f.scrubPlan.framework, f.scrubPlan.specs)
	return f.rules
}

// Engine returns "mysql" or "postgres" for a DSN's scheme.
func Engine(dsn string) (string, error) {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return "", usageError("--db wants a URL such as mysql://user@host/name or postgres://user@host/name")
	}
	if name, err := engines.Name(dsn); err == nil {
		return name, nil
	}
	return "", usageError(fmt.Sprintf("--db: unknown database kind %q (use mysql://, mariadb://, postgres://)", url.PathEscape(scheme)))
}

// dbCheck connects to the database once, so that wrong credentials or a stopped
// server are reported before a token is printed.
type dbCheck func(ctx context.Context) error

// dump returns the publish.Dump for the flags and its connection check, or nil
// without --db.
func (f *DBFlags) dump(parallel int) (*publish.Dump, dbCheck, error) {
	if f.DB == "" {
		return nil, nil, nil
	}
	engine, err := Engine(f.DB)
	if err != nil {
		return nil, nil, err
	}
	opt := dumpers.Options{Exclude: f.ExcludeTable, StructureOnly: f.StructureOnly, Parallel: parallel}
	for _, w := range f.Where {
		table, cond, ok := strings.Cut(w, "=")
		if !ok || table == "" || cond == "" {
			return nil, nil, usageError(fmt.Sprintf("--where wants TABLE=CONDITION, got %q", w))
		}
		if opt.Where == nil {
			opt.Where = map[string]string{}
		}
		opt.Where[table] = cond
	}
	if f.scrubPlan == nil {
		if err := f.setScrub("", "", ""); err != nil {
			return nil, nil, err
		}
	}
	d := &publish.Dump{Prefix: f.DBName, Engine: engine, Lacks: f.left.list}
	d.Scrub = func() (bool, []string) {
		if f.rules == nil {
			return false, nil
		}
		return f.scrubPlan.on(), f.rules.Scrubbed()
	}
	base := opt
	withRules := func() (dumpers.Options, error) {
		o := base
		o.Scrub, o.Left = f.rules, f.left.add
		if f.rules == nil && f.scrubPlan.on() { // fail closed: never publish unscrubbed by mistake
			return o, errors.New("scrub rules have no key (internal error)")
		}
		return o, nil
	}
	e, err := engines.Open(f.DB)
	if err != nil {
		return nil, nil, usageError("--db: " + err.Error())
	}
	if e.Database() == "" {
		return nil, nil, usageError(fmt.Sprintf("--db names no database: add it to the path, e.g. %s://user@host/NAME", engine))
	}
	d.Run = func(ctx context.Context, sink dumpers.Sink) error {
		o, err := withRules()
		if err != nil {
			return err
		}
		return e.Dump(ctx, sink, o)
	}
	check := func(ctx context.Context) error { _, err := e.Column(ctx, "SELECT 1"); return err }
	return d, check, nil
}

// selection is the canonical text of what the flags leave out of the database or
// filter (publish.State.Select): a change rotates the store's keys.
func (f *DBFlags) selection() string {
	if f.DB == "" {
		return ""
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return slices.Compact(s) }
	var scrubbed []string // in order: the last matching rule wins
	if f.scrubPlan != nil {
		scrubbed = f.scrubPlan.canonical()
	}
	b, _ := json.Marshal(struct {
		Exclude, StructureOnly, Where []string
		Scrub                         []string `json:",omitempty"`
	}{sorted(f.ExcludeTable), sorted(f.StructureOnly), sorted(f.Where), scrubbed})
	return string(b)
}
