package main

import (
	"context"
	"fmt"

	"synco/cmd/internal/cli"
	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/fetch"
)

// importer returns the fetch.Options.Import function for a local database DSN.
// It checks that a dump's engine matches and allows one dump per publication.
func importer(dsn string, progress func(dumpers.Progress)) (func(context.Context, fetch.Dump, dumpers.Source) error, error) {
	engine, err := cli.Engine(dsn)
	if err != nil {
		return nil, err
	}
	var run func(ctx context.Context, src dumpers.Source) error
	switch engine {
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, &cli.UsageError{Msg: "--db: " + err.Error()}
		}
		run = func(ctx context.Context, src dumpers.Source) error { return mysql.Import(ctx, cfg, src, progress) }
	case "postgres":
		cfg, err := postgres.ParseDSN(dsn)
		if err != nil {
			return nil, &cli.UsageError{Msg: "--db: " + err.Error()}
		}
		run = func(ctx context.Context, src dumpers.Source) error { return postgres.Import(ctx, cfg, src, progress) }
	}
	n := 0
	return func(ctx context.Context, d fetch.Dump, src dumpers.Source) error {
		if n++; n > 1 {
			return fmt.Errorf("the publication holds more than one database dump; importing several into one --db is not supported (use --to to get them as .sql files)")
		}
		if d.Engine != engine {
			return fmt.Errorf("the publication holds a %s dump, but --db names a %s database", d.Engine, engine)
		}
		return run(ctx, src)
	}, nil
}
