//go:build !unix

package fetch

import (
	"io/fs"
	"os"
	"time"
)

func dirFile(r *os.Root) (*os.File, error) { return nil, nil }

// createIn creates the file name (one path element) in h, never over
// anything there.
func createIn(h *dirHandle, name string, perm fs.FileMode) (wfile, error) {
	f, err := h.r.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	return wfile{f}, err
}

// wfile is a file being written.
type wfile struct{ *os.File }

// chtimesIn sets the times of name in h.
func chtimesIn(h *dirHandle, name string, t time.Time) error { return h.r.Chtimes(name, t, t) }
