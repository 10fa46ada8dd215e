package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"synco/internal/atomicfile"
	"synco/manifest"
)

// ErrPackName is returned for a pack name that is not one (manifest.ValidPackName).
var ErrPackName = errors.New("publish: not a pack name")

// Dir is a Target that writes a publication as plain files for a static web server
// (publish --out): <dir>/root and <dir>/p/<pack>, world-readable (manifest SPEC.md,
// "Publication layout"). A pack is written as the publication exposes it
// (PackView.WriteFile): a hard link to the store's pack when the publication
// references all of it, else a copy holding only the referenced chunks.
type Dir struct {
	dir string
}

var _ Target = (*Dir)(nil)

// NewDir makes dir (and its pack directory) and returns the Target writing into it.
// dir is the publication's own directory: a web server's document root joined with
// the publication's Prefix, so that the token's URL, <base>/<Prefix>, reaches it.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(dir, packDir), 0o755); err != nil {
		return nil, err
	}
	return &Dir{dir: dir}, nil
}

// packDir is the directory of the pack objects (manifest.PackPrefix).
var packDir = strings.TrimSuffix(manifest.PackPrefix, "/")

// Path is the directory d writes into.
func (d *Dir) Path() string { return d.dir }

// PutRoot implements Target: the root is replaced atomically.
func (d *Dir) PutRoot(sealed []byte) error {
	return atomicfile.Write(filepath.Join(d.dir, manifest.RootObject), sealed, 0o644)
}

// PutPack implements Target.
func (d *Dir) PutPack(v *PackView) error {
	if err := v.WriteFile(d.packPath(v.Name())); err != nil {
		return fmt.Errorf("write pack %s: %w", v.Name(), err)
	}
	return nil
}

// RemovePack implements Target. It fails with ErrPackName for a name that is no
// pack name (manifest.ValidPackName).
func (d *Dir) RemovePack(name string) error {
	if !manifest.ValidPackName(name) {
		return fmt.Errorf("remove pack %q: %w", name, ErrPackName)
	}
	if err := os.Remove(d.packPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove pack %s: %w", name, err)
	}
	return nil
}

// RemoveAll implements Target: the directory and everything in it are removed.
func (d *Dir) RemoveAll() error { return os.RemoveAll(d.dir) }

func (d *Dir) packPath(name string) string {
	return filepath.Join(d.dir, filepath.FromSlash(manifest.PackObject(name)))
}
