package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"synco/internal/atomicfile"
	"synco/publish"
)

// outDir is a publish.Target that writes a publication as plain files for a static
// web server: DIR/<prefix>/root and DIR/<prefix>/p/<pack>, world-readable. A pack
// is written as the publication exposes it (publish.PackView): a hard link to the
// store's pack when the publication references all of it, else a copy holding
// only the referenced chunks.
type outDir struct {
	dir string // DIR/<prefix>
}

var _ publish.Target = (*outDir)(nil)

func newOutDir(parent string, pub *publish.Publication) (*outDir, error) {
	o := &outDir{dir: filepath.Join(parent, pub.Prefix)}
	if err := os.MkdirAll(filepath.Join(o.dir, "p"), 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	if err := pub.SetTarget(o); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	return o, nil
}

func (o *outDir) PutRoot(sealed []byte) error {
	return atomicfile.Write(filepath.Join(o.dir, "root"), sealed, 0o644)
}

func (o *outDir) PutPack(v *publish.PackView) error {
	if err := v.WriteFile(filepath.Join(o.dir, "p", v.Name())); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

func (o *outDir) RemoveAll() error { return os.RemoveAll(o.dir) }
