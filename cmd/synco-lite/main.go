// Command synco-lite is the source side of synco: a small, self-contained binary to
// copy onto a server. It publishes files and database dumps, encrypted and signed, for
// one "synco fetch <token>" on another machine.
package main

import (
	"os"

	"synco/cmd/internal/cli"
)

type grammar struct {
	cli.Globals

	Publish cli.PublishCmd `cmd:"" help:"Publish files and streams for synco fetch."`
	Version cli.VersionCmd `cmd:"" help:"Print the version."`
	Help    cli.HelpCmd    `cmd:"" help:"Show the help of a command (synco-lite help publish = synco-lite publish --help)."`
	Agent   cli.AgentCmd   `cmd:"" hidden:"" help:"Serve a publication over stdin/stdout for synco pull."`
}

const examples = `Examples:
  synco-lite publish --files uploads=/var/www/app/uploads --stream dump.sql=/backups/today.sql
  synco-lite help publish       # all flags, serving behind an existing web server

`

func main() {
	os.Exit(cli.Main("synco-lite", "Publishes an application's content (files, database dumps) encrypted for \"synco fetch <token>\".\n\n"+examples+cli.PublishExitCodes, &grammar{}, os.Args[1:]))
}
