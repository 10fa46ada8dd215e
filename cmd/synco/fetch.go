package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"synco/chunkstore"
	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/httpsrv"
	"synco/manifest"
)

// FetchCmd is `synco fetch`.
type FetchCmd struct {
	Token    string `arg:"" optional:"" help:"Token printed by synco-lite publish; - reads it from stdin; if absent, SYNCO_TOKEN is used."`
	To       string `placeholder:"DIR" type:"dir" help:"Directory to write the published files and streams into."`
	JSON     bool   `name:"json" help:"Print one JSON object with statistics on stdout at the end."`
	Parallel int    `default:"4" help:"Concurrent downloads."`
	Cache    string `placeholder:"DIR" type:"dir" help:"Chunk cache kept between fetches (default: user cache dir/synco)."`
	DB       string `name:"db" env:"SYNCO_LOCAL_DB" placeholder:"DSN" help:"Local database to install the published dump into (mysql://… or postgres://…, created if missing). It is loaded into a fresh database and swapped in only when complete: on any failure the old one stays. SYNCO_LOCAL_DB keeps the password out of the process list."`

	ProjectInstall `embed:""`
	TableFlags     `embed:""`
	RewriteFlags   `embed:""`

	pull *pulled `kong:"-"` // set by synco pull: the token and transport of its agent
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

Without --to and --db, it installs into the local project in --dir (default: the
current directory), detected like synco detect does: the database into the
project's own database, each published file set into the project's directory of
the same name. It first shows what will change and asks (--yes for scripts,
--dry-run to only show). Afterwards it runs the post_install commands of the
project's .synco.yml, e.g.:

  post_install:
    - ./flow flow:cache:flush
    - php bin/console doctrine:migrations:migrate --no-interaction

` + cli.ExitCodesHelp
}

func (c *FetchCmd) Run(env *cli.Env) error {
	tok, err := c.token(env)
	if err != nil {
		return err
	}
	opt := fetch.Options{Token: tok, To: c.To, Parallel: c.Parallel, Delete: c.Delete}
	if c.pull != nil {
		// synco pull: the publication is read over the channel's HTTP/2 transport.
		client, err := httpsrv.NewClientWith(tok.URL, httpsrv.ClientOptions{Parallel: c.Parallel, Transport: c.pull.transport})
		if err != nil {
			return err
		}
		defer client.Close()
		opt.Remote = client
	}
	var proj *project
	if c.To == "" && c.DB == "" {
		if proj, err = c.ProjectInstall.prepare(env, &opt, c.TableFlags, c.RewriteFlags); err != nil {
			return err
		}
	} else {
		var rw *urlRewrite
		if len(c.Rewrite) > 0 && c.DB == "" {
			return &cli.UsageError{Msg: "--rewrite rewrites a database as it is installed: pass --db (or install into the local project: no --to)"}
		}
		if c.DB != "" {
			if rw, err = newURLRewrite(c.RewriteFlags, nil); err != nil {
				return err
			}
			if opt.Import, err = importer(c.DB, nil, c.TableFlags, rw, warner(env), noter(env)); err != nil {
				return err
			}
		}
		risk := ""
		if c.To != "" {
			risk = riskyTarget(env, "--to", c.To, c.Delete)
		}
		if c.DryRun {
			opt.Confirm = func(s *fetch.Summary) error {
				if err := c.show(env, s, c.DB, risk, rw); err != nil {
					return err
				}
				return fetch.ErrStopped
			}
		} else if c.DB != "" {
			// An engine mismatch is said before anything is downloaded.
			local := probeDB(env.Ctx, "the local --db", c.DB)
			opt.Confirm = func(s *fetch.Summary) error { return checkEngines(s, local) }
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
	if opt.Cache, err = chunkstore.OpenCache(cacheDir); err != nil {
		return err
	}
	view := newFetchView(cli.NewProgress(env.Stderr, env.Prog))
	opt.Progress = view.report
	if opt.Confirm != nil {
		confirm := opt.Confirm
		opt.Confirm = func(s *fetch.Summary) error { view.v.Finish(); return confirm(s) }
	}
	stats, err := fetch.Run(env.Ctx, opt)
	view.v.Finish()
	if errors.Is(err, fetch.ErrStopped) {
		return nil // dry run, or the user said no: nothing changed
	}
	var rp replan
	if errors.As(err, &rp) { // the user selected what to sync at the prompt
		c.Only, c.Yes, c.Token = rp.only, true, tok.String()
		if rp.sets != nil {
			c.FileSet = rp.sets
		}
		if rp.tables != nil {
			c.Tables = rp.tables
		}
		return c.Run(env)
	}
	if c.JSON && stats != nil {
		if c.pull != nil {
			json.NewEncoder(env.Stdout).Encode(pullStats{stats, c.pull.uploaded})
		} else {
			json.NewEncoder(env.Stdout).Encode(stats)
		}
	}
	if err != nil {
		return err
	}
	sum := fetchSummary{prog: env.Prog, stats: stats, to: opt.To, download: view.downloadTime()}
	if opt.Import != nil {
		sum.db = dbName(c.DB)
		if proj != nil && proj.p.DB != nil {
			sum.db = cli.Clean(proj.p.DB.Redacted())
		}
	}
	lines := sum.lines()
	for _, l := range lines[:len(lines)-1] {
		fmt.Fprintln(env.Stderr, l)
	}
	writeScrubbed(env.Stderr, env.Prog, stats.Dumps, false)
	fmt.Fprintln(env.Stderr, lines[len(lines)-1])
	if c.pull == nil {
		fmt.Fprintf(env.Stderr, "%s: you can now stop synco-lite on the source (Ctrl-C there); it removes what it published\n", env.Prog)
	}
	if proj != nil {
		return proj.postInstall(env)
	}
	return nil
}

// token takes the token from the argument, stdin ("-") or $SYNCO_TOKEN.
func (c *FetchCmd) token(env *cli.Env) (manifest.Token, error) {
	if c.pull != nil {
		return c.pull.token, nil
	}
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
