package fetch

import (
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"synco/manifest"
)

// Summary is what a plan will do (Plan.Summary).
type Summary struct {
	Files         int      // files to write
	FileBytes     int64    // their size
	Written       []string // the files to write (target-relative, in manifest order)
	Replaced      []string // files that exist in the target and will be replaced (target-relative)
	Unchanged     int      // files the target already has as published (same size, mtime, mode)
	Deleted       []string // files in the target that the source does not have (removed with Delete)
	Dumps         []Dump   // databases to import
	DumpBytes     int64    // their size
	DownloadBytes int64    // sealed bytes not in the cache (what will be downloaded, ±)
	CachedBytes   int64    // sealed bytes of what is needed and already in the cache
	Skipped       []string // published top-level entries Map left out
	// RemoteOrigin is where the remote files to write come from
	// (scheme://host[:port], the publication's public base; the source chose
	// it); "" if there are none.
	RemoteOrigin string
}

// mapStreams applies a Selection.Map: published paths become target paths, and
// streams whose top-level entry is not mapped are left out (and named in skipped).
func mapStreams(m func(string) (string, bool), streams []manifest.Stream) (out []manifest.Stream, skipped []string) {
	if m == nil {
		return streams, nil
	}
	seen := map[string]bool{}
	for _, s := range streams {
		top, rest, _ := strings.Cut(s.Path, "/")
		dst, ok := m(top)
		if !ok {
			if !seen[top] {
				seen[top] = true
				skipped = append(skipped, top)
			}
			continue
		}
		if rest != "" {
			dst = path.Join(dst, rest)
		}
		s.Path = dst
		out = append(out, s)
	}
	return out, skipped
}

// summarize describes w.
func (f *fetcher) summarize(ctx context.Context, w *work) (*Summary, error) {
	sum := &Summary{Skipped: w.skipped, Unchanged: w.unchanged}
	if p := w.p; p != nil {
		for _, o := range p.outputs {
			if o.Kind == manifest.KindDir {
				continue
			}
			sum.Files++
			sum.FileBytes += int64(o.Size)
			sum.Written = append(sum.Written, o.Path)
			if o.Kind == manifest.KindRemote {
				sum.RemoteOrigin = f.remoteOrigin
			}
			if _, err := p.lstat(o.Path); err == nil {
				sum.Replaced = append(sum.Replaced, o.Path)
			}
		}
		if w.sel.Delete {
			sum.Deleted = p.extra()
		}
	}
	for _, d := range w.dumps {
		sum.Dumps = append(sum.Dumps, *d)
		for _, s := range d.parts {
			sum.DumpBytes += int64(s.Size)
		}
	}
	for _, i := range w.need {
		l := &f.locs.ls[i]
		ok, err := f.opt.Cache.Has(ctx, l.id)
		if err != nil {
			return nil, err
		}
		if !ok {
			sum.DownloadBytes += int64(l.sealedLen)
		} else {
			sum.CachedBytes += int64(l.sealedLen)
		}
	}
	return sum, nil
}

// roots are the top-level directories of the plan: where Delete looks for files the
// source does not have.
func (p *plan) roots() []string {
	var roots []string
	for _, o := range p.outputs {
		if o.Kind != manifest.KindDir {
			continue
		}
		inside := false
		for _, r := range roots {
			if strings.HasPrefix(o.Path, r+"/") {
				inside = true
			}
		}
		if !inside {
			roots = append(roots, o.Path)
		}
	}
	return roots
}

// extra lists the files and symlinks under the plan's roots that the plan does not
// have (target-relative, deepest first), skipping staging directories.
func (p *plan) extra() []string {
	if p.root == nil {
		return nil
	}
	have := map[string]bool{}
	for _, o := range p.outputs {
		have[o.Path] = true
	}
	for _, u := range p.unchanged {
		have[u] = true
	}
	var extra []string
	for _, r := range p.roots() {
		fs.WalkDir(p.root.FS(), r, func(rel string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // vanished, unreadable or a symlink out: nothing to delete there
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), stagingPrefix) {
				return fs.SkipDir
			}
			if !have[rel] {
				extra = append(extra, rel)
				if d.IsDir() {
					return fs.SkipDir // the whole directory goes
				}
			}
			return nil
		})
	}
	sort.Sort(sort.Reverse(sort.StringSlice(extra)))
	return extra
}

// deleteExtra removes what extra lists; called after a successful install.
func (f *fetcher) deleteExtra(p *plan) error {
	for _, rel := range p.extra() {
		hook("delete", rel)
		if err := p.root.RemoveAll(filepath.FromSlash(rel)); err != nil {
			return confined("delete", rel, err)
		}
		f.mu.Lock()
		f.stats.FilesDeleted++
		f.mu.Unlock()
	}
	return nil
}
