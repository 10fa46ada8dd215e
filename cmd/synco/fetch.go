package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"synco/chunkstore"
	"synco/cmd/internal/cli"
	"synco/dumpers"
	"synco/fetch"
	"synco/manifest"
)

// FetchCmd is `synco fetch`.
type FetchCmd struct {
	Token    string `arg:"" optional:"" help:"Token printed by synco-lite publish; - reads it from stdin; if absent, SYNCO_TOKEN is used."`
	To       string `placeholder:"DIR" type:"path" help:"Directory to write the published files and streams into."`
	JSON     bool   `name:"json" help:"Print one JSON object with statistics on stdout at the end."`
	Parallel int    `default:"4" help:"Concurrent downloads."`
	Cache    string `placeholder:"DIR" type:"path" help:"Chunk cache kept between fetches (default: user cache dir/synco)."`
	DB       string `name:"db" env:"SYNCO_LOCAL_DB" placeholder:"DSN" help:"Local database to install the published dump into (mysql://… or postgres://…, created if missing). It is loaded into a fresh database and swapped in only when complete: on any failure the old one stays. SYNCO_LOCAL_DB keeps the password out of the process list."`
}

func (c *FetchCmd) Help() string {
	return `Downloads only the chunks missing from the local cache, verifies every byte against what
the source signed, and writes the files into --to: new files appear only after all of
them are complete and verified. Interrupted? Run the same command again.

Examples:
  synco fetch synco1abc… --to ./sync
  SYNCO_TOKEN=synco1abc… synco fetch --to ./sync     # token out of the process list
  echo synco1abc… | synco fetch - --to ./sync --json
  SYNCO_LOCAL_DB=mysql://root@127.0.0.1/app synco fetch synco1abc… --to ./sync

With --to, a published database dump is written as one plain NAME.sql file that
mysql or psql loads as-is; with --db it is installed into that local database.

` + cli.ExitCodesHelp
}

func (c *FetchCmd) Run(env *cli.Env) error {
	tok, err := c.token(env)
	if err != nil {
		return err
	}
	if c.To == "" && c.DB == "" {
		return &cli.UsageError{Msg: "missing --to DIR (where to write the fetched files) or --db DSN (where to install the database)"}
	}
	var imp func(context.Context, fetch.Dump, dumpers.Source) error
	if c.DB != "" {
		if imp, err = importer(c.DB, nil); err != nil {
			return err
		}
	}
	cacheDir := c.Cache
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("find a cache directory: %w (pass --cache)", err)
		}
		cacheDir = filepath.Join(base, "synco")
	}
	cache, err := chunkstore.OpenCache(cacheDir)
	if err != nil {
		return err
	}
	bar := cli.NewBar(env.Stderr, "waiting for source")
	stats, err := fetch.Run(env.Ctx, fetch.Options{
		Token:    tok,
		To:       c.To,
		Cache:    cache,
		Parallel: c.Parallel,
		Import:   imp,
		Progress: func(p fetch.Progress) {
			switch p.Phase {
			case "waiting":
				bar.Label("source: " + p.SourcePhase)
			case "manifest":
				bar.Label("manifest")
			case "download":
				bar.Label("downloading")
			case "write":
				bar.Label("writing")
			}
			bar.Set(uint64(p.Done), uint64(p.Total))
		},
	})
	bar.Finish()
	if c.JSON && stats != nil {
		json.NewEncoder(env.Stdout).Encode(stats)
	}
	if err != nil {
		return err
	}
	if c.To != "" {
		fmt.Fprintf(env.Stderr, "%s: wrote %d files (%s) into %s\n", env.Prog, stats.FilesWritten, cli.FormatSize(stats.BytesWritten), c.To)
	}
	if c.DB != "" {
		fmt.Fprintf(env.Stderr, "%s: installed the database into the local --db\n", env.Prog)
	}
	fmt.Fprintf(env.Stderr, "%s: done: downloaded %s; %d of %d chunks were already cached\n",
		env.Prog, cli.FormatSize(stats.BytesDownloaded), stats.ChunksFromCache, stats.ChunksTotal)
	fmt.Fprintf(env.Stderr, "%s: you can now stop synco-lite on the source (Ctrl-C there); it removes what it published\n", env.Prog)
	return nil
}

// token takes the token from the argument, stdin ("-") or $SYNCO_TOKEN.
func (c *FetchCmd) token(env *cli.Env) (manifest.Token, error) {
	s := c.Token
	switch {
	case s == "-":
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return manifest.Token{}, &cli.UsageError{Msg: "no token on stdin"}
		}
		s = line
	case s == "":
		s = os.Getenv("SYNCO_TOKEN")
		if s == "" {
			return manifest.Token{}, &cli.UsageError{Msg: "no token: pass it as an argument, in SYNCO_TOKEN, or on stdin with \"-\""}
		}
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "synco fetch "))
	t, err := manifest.ParseToken(s)
	if err != nil {
		return manifest.Token{}, err
	}
	return t, nil
}
