package main

import (
	"errors"
	"fmt"

	"synco/cmd/internal/cli"
	"synco/install"
)

// TableFlags select which tables take the published rows (partial database sync).
type TableFlags struct {
	Tables        []string `name:"tables" aliases:"table" sep:"none" placeholder:"GLOB" help:"Install the published rows only for tables matching GLOB (repeatable); the other tables keep their local rows. Also --table."`
	ExcludeTables []string `name:"exclude-tables" aliases:"exclude-table" sep:"none" placeholder:"GLOB" help:"Keep the local rows of tables matching GLOB (repeatable); the rest take the published rows. Also --exclude-table."`
}

func (t TableFlags) tables() install.Tables {
	return install.Tables{Include: t.Tables, Exclude: t.ExcludeTables}
}

// importer is install.NewImporter with its errors as the CLI says them.
func importer(dsn string, sel TableFlags, rw *install.Rewrite) (*install.Importer, error) {
	if _, err := cli.Engine(dsn); err != nil {
		return nil, err
	}
	im, err := install.NewImporter(dsn, sel.tables(), rw)
	var de *install.DSNError
	if errors.As(err, &de) {
		return nil, &cli.UsageError{Msg: "--db: " + de.Err.Error()}
	}
	return im, err
}

// printNotes prints what an import did: information and warning lines.
func printNotes(env *cli.Env, im *install.Importer) {
	if im == nil {
		return
	}
	for _, n := range im.Notes() {
		if n.Warning {
			fmt.Fprintf(env.Stderr, "%s: warning: %s\n", env.Prog, cli.Clean(n.Text))
		} else {
			fmt.Fprintf(env.Stderr, "%s: %s\n", env.Prog, cli.Clean(n.Text))
		}
	}
}
