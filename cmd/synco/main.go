// Command synco is the destination side of synco: it fetches what a synco-lite
// publish offers (only the chunks its cache lacks), verifies it, and writes it locally.
// It also has every synco-lite command.
//
// ≈1,600 lines of CLI wiring (flags, prompt, plan and summary printing) for fetch,
// pull, detect and cache; the work behind them is in fetch, install and remote.
package main

import (
	"errors"
	"os"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

// The destination's errors get their exit codes and hints from cli.Classify.
func init() {
	cli.Fetch = cli.FetchErrors{
		Tampered: fetch.ErrTampered, CacheDamaged: fetch.ErrCacheDamaged, Stalled: fetch.ErrStalled,
		TargetLocked: fetch.ErrTargetLocked, Replay: fetch.ErrReplay, UnsafePath: fetch.ErrUnsafePath,
		SourceFailed: func(err error) bool { return errors.As(err, new(*fetch.SourceFailedError)) },
	}
}

type grammar struct {
	cli.Globals

	Pull    PullCmd        `cmd:"" help:"Pull the database and files from a server, container or pod over ssh, docker exec, kubectl exec or --via, and install them here."`
	Fetch   FetchCmd       `cmd:"" help:"Fetch a publication into --to DIR, a local --db, or the project in the current directory."`
	Publish cli.PublishCmd `cmd:"" help:"Publish files and streams (as synco-lite does)."`
	Detect  DetectCmd      `cmd:"" help:"Show what would be synced from the project in DIR: framework, database, tables, file sets."`
	Cache   CacheCmd       `cmd:"" help:"Manage the local chunk cache."`
	Version cli.VersionCmd `cmd:"" help:"Print the version."`
	Help    cli.HelpCmd    `cmd:"" help:"Show the help of a command (synco help fetch = synco fetch --help)."`
}

const examples = `Examples:
  cd ~/src/app && synco pull deploy@prod:/var/www/app   # over ssh: install into this project
  synco pull docker://app-web/var/www/html --to ./sync
  synco fetch synco1abc… --to ./sync      # the command synco-lite publish printed
  cd ~/src/app && synco fetch synco1abc…  # install into this project (shows, then asks)
  synco detect                            # what would be synced from this project
  synco cache gc --max-size 5G
  synco help fetch                        # all flags of fetch, with examples

`

func main() {
	os.Exit(cli.Main("synco", "Copies live content (database, uploaded files) from a server, fast, encrypted and incrementally.\n\n"+examples+cli.ExitCodesHelp, &grammar{}, os.Args[1:]))
}
