// Package engines opens a database by its DSN as one of the engines synco dumps
// and installs (dumpers/mysql, dumpers/postgres) behind one small interface, so
// callers that only dump, query or list do not switch on the engine themselves.
// Installing stays engine-specific (the engines differ in how they stage, swap and
// confine an import): callers that install use the engine packages directly.
package engines

import (
	"context"
	"errors"
	"slices"
	"strings"

	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
)

// ErrUnknown is returned by Open and Name for a DSN whose scheme names no engine
// synco knows (mysql://, mariadb://, postgres://, postgresql://, pgsql://).
var ErrUnknown = errors.New("engines: unknown database kind")

// Engine is one database on a MySQL/MariaDB or PostgreSQL server.
type Engine interface {
	// Name is "mysql" (also for MariaDB) or "postgres": the Engine of the dumps
	// it writes.
	Name() string
	// Database is the name of the database the DSN names ("" if none).
	Database() string
	// Dump writes the database's streams into sink (dumpers.Sink).
	Dump(ctx context.Context, sink dumpers.Sink, opt dumpers.Options) error
	// Column runs query on the database and returns its first column as text.
	Column(ctx context.Context, query string) ([]string, error)
	// Exists reports whether the database exists on the server, connecting
	// without it (to MySQL's no database, PostgreSQL's "postgres").
	Exists(ctx context.Context) (bool, error)
}

// Name returns the engine a DSN's scheme names, or ErrUnknown.
func Name(dsn string) (string, error) {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return "", ErrUnknown
	}
	switch strings.ToLower(scheme) {
	case "mysql", "mariadb":
		return "mysql", nil
	case "postgres", "postgresql", "pgsql":
		return "postgres", nil
	}
	return "", ErrUnknown
}

// Open parses dsn. It does not connect. Errors: ErrUnknown, and the DSN errors of
// the engine's package (which never hold the password).
func Open(dsn string) (Engine, error) {
	name, err := Name(dsn)
	if err != nil {
		return nil, err
	}
	if name == "mysql" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		return myEngine{cfg}, nil
	}
	cfg, err := postgres.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return pgEngine{cfg}, nil
}

type myEngine struct{ cfg *mysql.Config }

func (e myEngine) Name() string     { return "mysql" }
func (e myEngine) Database() string { return e.cfg.Database }
func (e myEngine) Dump(ctx context.Context, sink dumpers.Sink, opt dumpers.Options) error {
	return mysql.NewDumper(e.cfg).Dump(ctx, sink, opt)
}
func (e myEngine) Column(ctx context.Context, query string) ([]string, error) {
	return mysql.Column(ctx, e.cfg, query)
}
func (e myEngine) Exists(ctx context.Context) (bool, error) {
	names, err := mysql.Column(ctx, e.cfg.WithDatabase(""), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	return slices.Contains(names, e.cfg.Database), err
}

type pgEngine struct{ cfg *postgres.Config }

func (e pgEngine) Name() string     { return "postgres" }
func (e pgEngine) Database() string { return e.cfg.Database }
func (e pgEngine) Dump(ctx context.Context, sink dumpers.Sink, opt dumpers.Options) error {
	return postgres.NewDumper(e.cfg).Dump(ctx, sink, opt)
}
func (e pgEngine) Column(ctx context.Context, query string) ([]string, error) {
	return postgres.Column(ctx, e.cfg, query)
}
func (e pgEngine) Exists(ctx context.Context) (bool, error) {
	names, err := postgres.Column(ctx, e.cfg.WithDatabase("postgres"), "SELECT datname FROM pg_catalog.pg_database")
	return slices.Contains(names, e.cfg.Database), err
}
