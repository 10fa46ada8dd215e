package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"synco/internal/atomicfile"
	"synco/publish"
)

// outDir writes a publication as plain files for a static web server:
// DIR/<prefix>/root and DIR/<prefix>/p/<pack>, world-readable.
type outDir struct {
	dir string // DIR/<prefix>
}

func newOutDir(parent string, pub *publish.Publication, st *publish.State) (*outDir, error) {
	o := &outDir{dir: filepath.Join(parent, pub.Prefix)}
	if err := os.MkdirAll(filepath.Join(o.dir, "p"), 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	pub.OnRoot = func(b []byte) error { return atomicfile.Write(filepath.Join(o.dir, "root"), b, 0o644) }
	pub.OnReady = func(packs []string) error {
		for _, name := range packs {
			src, ok := st.Packs().PackPath(name)
			if !ok {
				return fmt.Errorf("--out: pack %s missing from the store", name)
			}
			if err := linkOrCopy(src, filepath.Join(o.dir, "p", name)); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
		}
		return nil
	}
	return o, pub.Reseal()
}

func (o *outDir) remove() { os.RemoveAll(o.dir) }

// linkOrCopy hard-links src to dst (packs never change once written) and falls back
// to a copy across file systems. The result is made world-readable for the web server.
func linkOrCopy(src, dst string) error {
	err := os.Link(src, dst)
	if errors.Is(err, os.ErrExist) {
		err = nil
	}
	if errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) {
		err = copyFile(src, dst)
	}
	if err != nil {
		return err
	}
	return os.Chmod(dst, 0o644)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.From(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
