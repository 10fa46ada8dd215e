package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"synco/frameworks"
)

// ProjectFlags locate the application whose content is published or installed.
type ProjectFlags struct {
	Dir string `name:"dir" default:"." type:"path" placeholder:"DIR" help:"Application directory to detect the framework in (when no --db/--files/--stream is given)."`
	All bool   `name:"all" help:"Turn off the framework's defaults that skip the data of cache, session, queue and log tables."`
}

// DetectProject finds the framework in dir, with the real environment for overrides.
func DetectProject(dir string) (*frameworks.Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return frameworks.Detect(os.DirFS(abs), abs, os.Getenv)
}

// describe tells the user on stderr what a detected project will publish.
func describe(w io.Writer, prog string, p *frameworks.Project, all bool) {
	fmt.Fprintf(w, "%s: detected %s in %s\n", prog, p.Framework, p.Root)
	for _, why := range p.Why {
		fmt.Fprintf(w, "%s:   %s\n", prog, why)
	}
	if p.DB != nil {
		fmt.Fprintf(w, "%s: database %s (from %s)\n", prog, p.DB.Redacted(), p.DB.Source)
		if len(p.StructureOnly) > 0 && !all {
			fmt.Fprintf(w, "%s:   structure only (no rows; --all to include them): %v\n", prog, p.StructureOnly)
		}
		for table, cond := range p.Where {
			if !all {
				fmt.Fprintf(w, "%s:   rows of %s only WHERE %s (--all to include all)\n", prog, table, cond)
			}
		}
	}
	for _, fs := range p.FileSets {
		fmt.Fprintf(w, "%s: files %s = %s\n", prog, fs.Name, fs.Dir)
	}
}
