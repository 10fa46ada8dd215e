package publish

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"synco/chunkstore"
)

// What a publication exposes (DESIGN §4): only the bytes its manifest references.
// The source's packs are shared by every publication of its store and keep chunks
// the current one no longer uses (a pack is pruned only once a quarter of it is
// dead, see chunkstore.PackStore.Prune): rows of a table now excluded, deleted
// rows and files. They are sealed with the same keys, so a publication that
// served the pack files as they are would hand them to every holder of its token.
//
// A publication therefore exposes each pack through a PackView: the pack's bytes
// in the slots it references and zeros everywhere else. The view keeps the pack's
// size and layout, so the manifest, which lists every slot of the packs it uses,
// and a destination's coalesced range reads (which skip the gaps) stay exactly as
// they are, and nothing is copied to serve it. Repacking the referenced chunks
// into fresh packs instead would copy every referenced byte of every publish,
// break the sharing of unchanged packs between publications, and change the
// manifest's pack section daily.

// span is a byte range [off, end) of a pack.
type span struct{ off, end int64 }

// exposure collects the chunks a publication references, by pack.
type exposure map[string][]span

// add adds the chunk at loc; one that follows the last one added to its pack
// extends that span (chunks are mostly added in pack order).
func (e exposure) add(loc chunkstore.Loc) {
	s := span{int64(loc.Off), int64(loc.Off) + int64(loc.Len)}
	spans := e[loc.Pack]
	if n := len(spans); n > 0 && spans[n-1].end == s.off {
		spans[n-1].end = s.end
		return
	}
	e[loc.Pack] = append(spans, s)
}

// views returns the PackView of every pack in e; packs must hold them all,
// committed.
func (e exposure) views(packs *chunkstore.PackStore) (map[string]*PackView, error) {
	out := make(map[string]*PackView, len(e))
	for name, spans := range e {
		path, ok := packs.PackPath(name)
		if !ok {
			return nil, fmt.Errorf("pack %s missing from store", name)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		out[name] = newPackView(name, path, fi.Size(), spans)
	}
	return out, nil
}

// PackView is a pack as a publication exposes it: Size bytes, those of the chunks
// the publication references read from the pack file, every other byte zero. It
// never changes (committed packs do not) and is safe for concurrent use.
type PackView struct {
	name  string
	path  string
	size  int64
	spans []span // sorted, disjoint, not adjacent, within [0, size)
}

func newPackView(name, path string, size int64, spans []span) *PackView {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	merged := spans[:0]
	for _, s := range spans {
		s.end = min(s.end, size)
		if s.off >= s.end {
			continue
		}
		if n := len(merged); n > 0 && s.off <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return &PackView{name: name, path: path, size: size, spans: merged}
}

// Name is the pack's name.
func (v *PackView) Name() string { return v.name }

// Size is the pack's size in bytes.
func (v *PackView) Size() int64 { return v.size }

// Whole reports whether the publication references every byte of the pack: the
// view is then the pack file itself.
func (v *PackView) Whole() bool {
	return v.size == 0 || len(v.spans) == 1 && v.spans[0] == span{0, v.size}
}

// Referenced returns how many bytes of the pack the publication references.
func (v *PackView) Referenced() int64 {
	var n int64
	for _, s := range v.spans {
		n += s.end - s.off
	}
	return n
}

// Open opens the view for reading. Close the reader.
func (v *PackView) Open() (*PackReader, error) {
	f, err := os.Open(v.path)
	if err != nil {
		return nil, fmt.Errorf("open pack %s: %w", v.name, err)
	}
	return &PackReader{v: v, f: f}, nil
}

// PackReader reads a PackView; it implements io.ReaderAt (and httpsrv.Pack).
type PackReader struct {
	v *PackView
	f *os.File
}

// Size is the view's size.
func (r *PackReader) Size() int64 { return r.v.size }

// Close closes the pack file.
func (r *PackReader) Close() error { return r.f.Close() }

// ReadAt reads len(p) bytes of the view at off: the referenced bytes from the pack
// file, zeros for the rest. Unreferenced bytes are never read from the file.
func (r *PackReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read pack %s: negative offset", r.v.name)
	}
	if off >= r.v.size {
		return 0, io.EOF
	}
	var eof error
	if rest := r.v.size - off; int64(len(p)) > rest {
		p, eof = p[:rest], io.EOF
	}
	clear(p)
	end := off + int64(len(p))
	spans := r.v.spans
	i, _ := slices.BinarySearchFunc(spans, off, func(s span, off int64) int { return cmp.Compare(s.end, off+1) })
	for ; i < len(spans) && spans[i].off < end; i++ {
		lo, hi := max(spans[i].off, off), min(spans[i].end, end)
		if _, err := r.f.ReadAt(p[lo-off:hi-off], lo); err != nil {
			return 0, fmt.Errorf("read pack %s: %w", r.v.name, err)
		}
	}
	return len(p), eof
}

// WriteFile writes the view to the file dst (mode 0644, for a web server):
// a hard link to the pack when the view is the whole pack, else a copy of the
// referenced bytes with holes for the rest (a sparse file where the file system
// has them: no disk for what is left out). An existing dst is replaced.
func (v *PackView) WriteFile(dst string) error {
	if err := v.writeFile(dst); err != nil {
		return fmt.Errorf("write pack %s: %w", v.name, err)
	}
	return nil
}

func (v *PackView) writeFile(dst string) error {
	if v.Whole() {
		_ = os.Remove(dst)
		err := os.Link(v.path, dst)
		if err == nil {
			return os.Chmod(dst, 0o644) // the store's file: its mode is shared, and 0644 reveals nothing more than the link
		}
		if !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EPERM) {
			return err
		}
		// Another file system, or no hard links there: copy.
	}
	src, err := os.Open(v.path)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+v.name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	err = v.copyTo(tmp, src)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// copyTo writes the referenced ranges of src at their offsets in dst (in the
// kernel where it can: copy_file_range), then sets dst's size.
func (v *PackView) copyTo(dst, src *os.File) error {
	for _, s := range v.spans {
		if _, err := src.Seek(s.off, io.SeekStart); err != nil {
			return err
		}
		if _, err := dst.Seek(s.off, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(dst, io.LimitReader(src, s.end-s.off)); err != nil {
			return err
		}
	}
	return dst.Truncate(v.size)
}
