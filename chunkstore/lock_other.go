//go:build !unix

package chunkstore

import "os"

// lockFile is a no-op where flock is missing: do not open a PackStore
// directory from two processes there.
func lockFile(*os.File) error { return nil }
