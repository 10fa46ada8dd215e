package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"synco/chunkstore"
	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/httpsrv"
	"synco/install"
	"synco/manifest"
)

// FetchCmd is `synco fetch`.
type FetchCmd struct {
	Token    string `arg:"" optional:"" help:"Token printed by synco-lite publish; - reads it from stdin; if absent, SYNCO_TOKEN is used."`
	To       string `placeholder:"DIR" type:"dir" help:"Directory to write the published files and streams into."`
	JSON     bool   `name:"json" help:"Print one JSON object with statistics on stdout at the end (also after --dry-run, with \"plan\": what the fetch would do)."`
	Parallel int    `default:"4" help:"Concurrent downloads."`
	Cache    string `placeholder:"DIR" type:"dir" help:"Chunk cache kept between fetches (default: user cache dir/synco)."`
	DB       string `name:"db" env:"SYNCO_LOCAL_DB" placeholder:"DSN" help:"Local database to install the published dump into (mysql://… or postgres://…, created if missing). It is loaded into a fresh database and swapped in only when complete: on any failure the old one stays. SYNCO_LOCAL_DB keeps the password out of the process list."`

	ProjectInstall `embed:""`
	TableFlags     `embed:""`
	RewriteFlags   `embed:""`

	pull    *pulled           `kong:"-"` // set by synco pull: the token and transport of its agent
	asked   time.Duration     `kong:"-"` // spent waiting for the user's answer to the plan
	planned *fetch.Summary    `kong:"-"` // the plan shown and not run (a dry run, or the user said no), for --json
	imp     *install.Importer `kong:"-"` // the database's importer, for --json (what it rewrote)
}

func (c *FetchCmd) Help() string {
	return `Downloads only the chunks missing from the local cache, verifies every byte against what
the source signed, and writes the files into --to: a file that replaces one appears only
after all of them are complete and verified; a new one is written in place, and a fetch
that fails or is interrupted removes the new files again. Interrupted? Run the same
command again.

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
	t, err := c.target(env)
	if err != nil {
		return err
	}
	sel, err := c.selection(env, t)
	if err != nil {
		return err
	}
	opt, done, err := c.options(tok)
	if err != nil {
		return err
	}
	defer done()
	opt.Ahead = c.fetchesAll()
	if c.pull != nil {
		opt.Downloaded = c.pull.end
	}
	view := newFetchView(cli.NewProgress(env.Stderr, env.Prog))
	opt.Progress = view.report
	pub, err := fetch.Open(env.Ctx, opt)
	if err != nil {
		view.v.Finish()
		return err
	}
	defer pub.Close()
	plan, err := c.plan(env, pub, t, sel, view.v.Finish)
	if plan == nil {
		view.v.Finish()
		// --json gives scripts one object also here: the numbers so far, and
		// the plan's when it was made (a dry run, or the user said no).
		c.printJSON(env, pub.Stats())
		return err // nil: a dry run, or the user said no: nothing changed
	}
	c.imp = t.imp // made by the selection, for --json
	stats, err := plan.Run(env.Ctx)
	view.v.Finish()
	printNotes(env, t.imp)
	c.printJSON(env, stats)
	if err != nil {
		if db, ok := t.imp.Installed(); ok && env.Ctx.Err() != nil {
			// The database and the files are installed one after the other.
			return &cli.PartlyDone{Err: err, Done: "after the database was installed (into " + db + "), before the files were all written"}
		}
		return err
	}
	c.report(env, t, stats, view.downloadTime())
	if t.proj != nil {
		return t.proj.postInstall(env)
	}
	return nil
}

// fetchesAll reports whether the fetch will read the whole publication (then a
// fetch may download finished packs while the source builds: fetch.Options.Ahead).
// synco pull's --only is the agent's selection: what it publishes is fetched whole.
func (c *FetchCmd) fetchesAll() bool {
	return !c.DryRun && len(c.Tables) == 0 && len(c.ExcludeTables) == 0 && len(c.FileSet) == 0 && (c.Only == "" || c.pull != nil)
}

// options are the fetch's options for tok; done releases them.
func (c *FetchCmd) options(tok manifest.Token) (opt fetch.Options, done func(), err error) {
	opt = fetch.Options{Token: tok, Parallel: c.Parallel}
	done = func() {}
	if c.pull != nil && c.pull.transport != nil {
		// synco pull: the publication is read over the channel's HTTP/2 transport
		// (with --http, over HTTP as synco fetch reads it).
		client, err := httpsrv.NewClientWith(tok.URL, httpsrv.ClientOptions{Parallel: c.Parallel, Transport: c.pull.transport})
		if err != nil {
			return opt, done, err
		}
		opt.Remote, done = client, client.Close
	}
	cacheDir := c.Cache
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			done()
			return opt, func() {}, fmt.Errorf("find a cache directory: %w (pass --cache)", err)
		}
		cacheDir = filepath.Join(base, "synco")
	}
	if opt.Cache, err = chunkstore.OpenCache(cacheDir); err != nil {
		done()
		return opt, func() {}, err
	}
	return opt, done, nil
}

// fetchJSON is the object --json prints: the fetch's statistics, for synco
// pull the agent's upload, and for a plan that was shown and not run (a dry
// run, or the user said no) what it would have done.
type fetchJSON struct {
	*fetch.Stats
	AgentUploadBytes *int64       `json:"agent_upload_bytes,omitempty"` // synco pull: always there
	Plan             *planJSON    `json:"plan,omitempty"`
	Rewrite          *rewriteJSON `json:"rewrite,omitempty"` // the URLs the install rewrote
}

// rewriteJSON is what an install rewrote (install.Rewritten).
type rewriteJSON struct {
	Pairs  []rewritePair `json:"pairs"`
	Values int64         `json:"values"` // values changed
}

type rewritePair struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// planJSON is a fetch.Summary for --json: what the fetch would do.
type planJSON struct {
	Files          int   `json:"files"`           // to write
	FileBytes      int64 `json:"file_bytes"`      // their size
	FilesReplaced  int   `json:"files_replaced"`  // of them, replacing a local file
	FilesUnchanged int   `json:"files_unchanged"` // already as published
	FilesToDelete  int   `json:"files_to_delete"` // with --delete
	Dumps          int   `json:"dumps"`           // databases to install
	DumpBytes      int64 `json:"dump_bytes"`
	DownloadBytes  int64 `json:"download_bytes"` // not in the cache (about)
	CachedBytes    int64 `json:"cached_bytes"`   // needed and in the cache
}

// jsonOf is what --json prints for stats.
func (c *FetchCmd) jsonOf(stats *fetch.Stats) fetchJSON {
	out := fetchJSON{Stats: stats}
	if c.pull != nil {
		out.AgentUploadBytes = &c.pull.uploaded
	}
	if rw := c.imp.Rewritten(); rw != nil {
		out.Rewrite = &rewriteJSON{Values: rw.Values, Pairs: []rewritePair{}}
		for _, p := range rw.Pairs {
			out.Rewrite.Pairs = append(out.Rewrite.Pairs, rewritePair{From: p.From, To: p.To})
		}
	}
	if s := c.planned; s != nil {
		out.Plan = &planJSON{
			Files: s.Files, FileBytes: s.FileBytes, FilesReplaced: len(s.Replaced), FilesUnchanged: s.Unchanged,
			FilesToDelete: len(s.Deleted), Dumps: len(s.Dumps), DumpBytes: s.DumpBytes,
			DownloadBytes: s.DownloadBytes, CachedBytes: s.CachedBytes,
		}
	}
	return out
}

// printJSON prints stats for --json.
func (c *FetchCmd) printJSON(env *cli.Env, stats *fetch.Stats) {
	if !c.JSON || stats == nil {
		return
	}
	json.NewEncoder(env.Stdout).Encode(c.jsonOf(stats))
}

// report says what a successful fetch into t did; download is how long the
// download took.
func (c *FetchCmd) report(env *cli.Env, t *target, stats *fetch.Stats, download time.Duration) {
	sum := fetchSummary{prog: env.Prog, stats: stats, to: t.to, download: download, asked: c.asked, dbOnly: c.Only == "db"}
	if t.proj == nil && t.to != "" {
		sum.sqlFiles = stats.Dumps // written as NAME.sql
	}
	if t.imp != nil {
		sum.db = dbName(c.DB)
		if t.proj != nil && t.proj.p.DB != nil {
			sum.db = cli.Clean(t.proj.p.DB.Redacted())
		}
		if sel := c.tables(); sel.Partial() {
			sum.partial = true
			for _, d := range stats.Dumps {
				names := tableNames(d)
				sum.published += len(names)
				sum.selected = append(sum.selected, publishedTables(sel, names)...)
			}
		}
	}
	lines := sum.lines()
	for _, l := range lines[:len(lines)-1] {
		fmt.Fprintln(env.Stderr, l)
	}
	// What the source scrubbed, of the dumps this fetch installed or wrote
	// (a project install without its database, --only files, has none).
	if t.imp != nil || t.proj == nil {
		writeScrubbed(env.Stderr, env.Prog, stats.Dumps, false)
	}
	fmt.Fprintln(env.Stderr, lines[len(lines)-1])
	if c.pull == nil {
		fmt.Fprintf(env.Stderr, "%s: you can now stop synco-lite on the source (Ctrl-C there, unless --once or --ttl stops it by itself); it removes what it published\n", env.Prog)
	}
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
