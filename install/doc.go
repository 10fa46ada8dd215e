// Package install puts a fetched publication into a local project or database:
// the database import (engine, staging, delta install, the URL rewrite and the
// partial-table overlay), the mapping of published file sets to the project's
// directories, and the decisions of the interactive prompt. It never prints:
// what an import did comes back as notes (Importer.Notes) for the caller to show.
package install
