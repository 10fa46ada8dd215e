//go:build !unix

package fetch

import "os"

// lockTarget is a no-op where flock is missing: do not run two fetches into
// one directory there.
func lockTarget(*os.Root) (*os.File, error) { return nil, nil }
