package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"synco/chunkstore"
	"synco/manifest"
)

// source is the file published as name: a stream's, or one in a file set
// (its path is not kept per file: derived from the set's directory).
func (b *builder) source(name string) string {
	if src, ok := b.streamSrc[name]; ok {
		return src
	}
	var set *FileSet
	for i, fs := range b.fileSets { // the longest name that holds it
		if strings.HasPrefix(name, fs.Name+"/") && (set == nil || len(fs.Name) > len(set.Name)) {
			set = &b.fileSets[i]
		}
	}
	if set == nil {
		return ""
	}
	return filepath.Join(set.Dir, filepath.FromSlash(name[len(set.Name)+1:]))
}

// fileID is what identifies a file's version beyond its size and mtime: its
// inode and change time as the scan found them.
type fileID struct {
	ino, dev uint64
	ctime    int64
}

func idOf(fi fs.FileInfo) fileID {
	e := statOf(fi, 0)
	return fileID{e.Ino, e.Dev, e.CTime}
}

// scan lists every entry to publish, in manifest order, with file sources in Hash's
// place held by the path (resolved by file()), and each file's fileID (ids[i]
// for out[i]).
func (b *builder) scan(in Inputs) (out []manifest.Stream, ids []fileID, err error) {
	seen := map[string]bool{}
	add := func(s manifest.Stream, id fileID) error {
		if err := manifest.ValidPath(s.Path); err != nil {
			return fmt.Errorf("publish %q: %w", s.Path, err)
		}
		if reserved(s.Path) {
			return fmt.Errorf("publish %q: %w", s.Path, ErrReservedName)
		}
		if seen[s.Path] {
			return fmt.Errorf("publish %q: two inputs have this name", s.Path)
		}
		seen[s.Path] = true
		out = append(out, s)
		ids = append(ids, id)
		return nil
	}
	b.streamSrc = map[string]string{}
	for _, sf := range in.Streams {
		fi, err := os.Stat(sf.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("publish stream %s: %w", sf.Name, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("publish stream %s: %s is not a regular file", sf.Name, sf.Path)
		}
		if err := add(fileStream(sf.Name, fi, sf.Class), idOf(fi)); err != nil {
			return nil, nil, err
		}
		b.streamSrc[sf.Name] = sf.Path
		b.total.Add(uint64(fi.Size()))
	}
	for _, fset := range in.FileSets {
		var w dirStatter
		err := filepath.WalkDir(fset.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(fset.Dir, p)
			if err != nil {
				return err
			}
			name := path.Join(fset.Name, filepath.ToSlash(rel))
			st, err := w.lstat(p, d)
			if err != nil {
				return err
			}
			switch {
			case st.dir:
				return add(manifest.Stream{Path: name, Kind: manifest.KindDir, Class: chunkstore.ClassFile, Mode: st.perm, MTime: st.mtime}, fileID{})
			case st.regular && fset.Skip != nil && fset.Skip(filepath.ToSlash(rel)):
				b.res.Left++
				return nil
			case st.regular:
				b.total.Add(uint64(st.size))
				s := manifest.Stream{Path: name, Kind: manifest.KindFile, Class: chunkstore.ClassFile, Mode: st.perm, MTime: st.mtime, Size: uint64(st.size)}
				if fset.Public != nil {
					if u, ok := fset.Public(filepath.ToSlash(rel)); ok && manifest.ValidURL(u) == nil {
						s.Kind, s.URL = manifest.KindRemote, u
					}
				}
				return add(s, st.id)
			default:
				b.res.Skipped = append(b.res.Skipped, p)
				return nil
			}
		})
		w.close()
		if err != nil {
			return nil, nil, fmt.Errorf("publish files %s: %w", fset.Name, err)
		}
	}
	for _, d := range in.Dumps {
		if reserved(d.Prefix) {
			return nil, nil, fmt.Errorf("publish database as %q: %w", d.Prefix, ErrReservedName)
		}
		if err := manifest.ValidPath(d.Prefix); err != nil || seen[d.Prefix] {
			return nil, nil, fmt.Errorf("publish database as %q: name is invalid or taken", d.Prefix)
		}
		seen[d.Prefix] = true
	}
	b.fileSets = in.FileSets
	return out, ids, nil
}

// entryStat is what the scan keeps of an entry's lstat.
type entryStat struct {
	dir, regular bool
	perm         uint32 // permission bits
	size, mtime  int64
	id           fileID
}

func entryOf(fi fs.FileInfo) entryStat {
	e := statOf(fi, 0)
	return entryStat{dir: fi.IsDir(), regular: fi.Mode().IsRegular(), perm: uint32(fi.Mode().Perm()), size: e.Size, mtime: e.MTime, id: fileID{e.Ino, e.Dev, e.CTime}}
}

// A dirStatter stats the entries of a walk on their directory's descriptor
// (lstatIn), kept open while the walk is in that directory: the lstats of a
// walk by whole paths were two thirds of the scan of 100,000 small files.
type dirStatter struct {
	dir string
	d   *os.File
}

// lstat stats the entry d at path p.
func (w *dirStatter) lstat(p string, d fs.DirEntry) (entryStat, error) {
	dir, name := filepath.Split(p)
	if name != "" && (w.d == nil || dir != w.dir) {
		w.close()
		open := dir
		if open == "" {
			open = "."
		}
		if f, err := os.Open(open); err == nil {
			w.dir, w.d = dir, f
		}
	}
	if name == "" || w.d == nil { // the top of a walk given as dir/, or a directory that cannot be opened
		fi, err := d.Info()
		if err != nil {
			return entryStat{}, err
		}
		return entryOf(fi), nil
	}
	var st entryStat
	err := lstatIn(w.d, dir, name, &st)
	return st, err
}

func (w *dirStatter) close() {
	if w.d != nil {
		w.d.Close()
		w.d = nil
	}
}

func fileStream(name string, fi fs.FileInfo, class chunkstore.Class) manifest.Stream {
	return manifest.Stream{Path: name, Kind: manifest.KindFile, Class: class, Mode: uint32(fi.Mode().Perm()), MTime: fi.ModTime().UnixNano(), Size: uint64(fi.Size())}
}

// file fills in s (a KindFile from scan, whose fileID is id) from the stat
// cache or by reading the file. The scan's stat of the file is the version
// matched against the stat cache (an unchanged file is not even opened) and
// the one a read is checked against: a file that changed since is published
// as read, and not cached.
func (b *builder) file(ctx context.Context, s *manifest.Stream, id fileID) error {
	if s.Kind == manifest.KindRemote {
		return b.remote(s)
	}
	if s.Kind != manifest.KindFile {
		return nil
	}
	src := b.source(s.Path)
	key := strconv.Itoa(int(s.Class)) + ":" + src
	ent := statEntry{Class: s.Class, Size: int64(s.Size), MTime: s.MTime, CTime: id.ctime, Ino: id.ino, Dev: id.dev}
	if old, ok := b.st.cache[key]; ok && old.sameFile(ent) && b.haveAll(old.Refs) {
		s.Hash, s.Chunks, s.Size, s.MTime = old.Hash, old.Refs, uint64(old.Size), old.MTime
		b.done.Add(uint64(old.Size))
		old.Path = s.Path
		b.mu.Lock()
		b.cacheOut[key] = old
		b.res.Reused++
		b.res.Bytes += uint64(old.Size)
		b.mu.Unlock()
		return nil
	}
	// The file's last version, whose chunks a changed chunk may be a splice of:
	// what was published at the same path (the source may be another directory,
	// e.g. a new release's), else what was read from the same source file.
	prev, ok := b.lastRefs[s.Path]
	if !ok {
		prev = b.st.cache[key].Refs
	}
	if ent.Size < int64(s.Class.Params().Min) && len(prev) == 0 {
		done, err := b.small(ctx, s, src, key, ent)
		if done || err != nil {
			return err
		}
		// Of another size than scanned: read it as a stream.
	}
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return b.vanish(s, src) // deleted since the scan: a live upload directory
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer f.Close()
	refs, hash, n, err := b.stream(ctx, f, s.Class, s.Path, prev)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	after, err := f.Stat() // the same file, read to its end: changed while we read it?
	same := err == nil && statOf(after, s.Class).sameFile(ent)
	b.read(s, key, ent, refs, hash, n, same)
	return nil
}

// read records what was read of s (n bytes, as refs, hashing to hash), and
// caches it under key if the file was as scanned (ent) until its end (same).
func (b *builder) read(s *manifest.Stream, key string, ent statEntry, refs []manifest.Ref, hash chunkstore.ID, n uint64, same bool) {
	s.Hash, s.Chunks, s.Size = hash, refs, n
	b.mu.Lock()
	b.res.Bytes += n
	if same && n == uint64(ent.Size) {
		ent.Hash, ent.Refs, ent.Path = hash, refs, s.Path
		b.cacheOut[key] = ent
	} // else: the file changed while we read it; publish what we read, cache nothing
	b.mu.Unlock()
}

// small reads, hashes and seals the file src of s, shorter than its class's
// smallest chunk and so one chunk (as Split would cut it), in the calling
// goroutine, with one read (readSmall): most files of an upload directory are
// small, and a sealer (goroutines, channels, a chunker) per file made a
// publish of 100,000 small files 3× as slow as tar | zstd. done is false if
// the file holds another number of bytes than scanned (ent): the caller
// reads it as a stream.
func (b *builder) small(ctx context.Context, s *manifest.Stream, src, key string, ent statEntry) (done bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	buf := getBuf()
	defer func() { bufs.Put(buf) }()
	*buf = slices.Grow((*buf)[:0], int(ent.Size)+1)
	data, after, ok, err := readSmall(src, ent.Size, (*buf)[:ent.Size+1])
	if errors.Is(err, fs.ErrNotExist) {
		return true, b.vanish(s, src) // deleted since the scan: a live upload directory
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", src, err)
	}
	if !ok {
		return false, nil
	}
	sum := b.st.keys.StreamSum(data)
	n := uint64(len(data))
	b.done.Add(n)
	var refs []manifest.Ref
	if n > 0 {
		id := b.st.keys.ID(data)
		if _, ok := b.st.packs.Locate(id); !ok {
			out := getBuf()
			// Files are sealed without a dictionary.
			sealed := b.st.keys.SealWith((*out)[:0], id, data, chunkstore.DictID{})
			added, err := b.st.packs.PutNew(ctx, id, sealed) // copies sealed
			putBuf(out, sealed)
			if err != nil {
				return false, fmt.Errorf("read %s: store chunk: %w", src, err)
			}
			if added {
				b.newChunks.Add(1)
			}
		}
		refs = []manifest.Ref{{ID: id, Len: uint32(n)}}
	}
	after.Class = ent.Class
	b.read(s, key, ent, refs, sum, n, after.sameFile(ent))
	return true, nil
}

// vanish leaves out a file that was deleted after the scan listed it.
func (b *builder) vanish(s *manifest.Stream, src string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.vanished == nil {
		b.vanished = map[string]bool{}
	}
	b.vanished[s.Path] = true
	b.res.Skipped = append(b.res.Skipped, src)
	return nil
}

// remote hashes a file published by URL (it is read, but neither chunked nor sealed).
func (b *builder) remote(s *manifest.Stream) error {
	src := b.source(s.Path)
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return b.vanish(s, src)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer f.Close()
	h := b.st.keys.StreamHash()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	copy(s.Hash[:], h.Sum(nil))
	s.Size = uint64(n)
	b.done.Add(uint64(n))
	b.mu.Lock()
	b.res.Bytes += uint64(n)
	b.res.Remote++
	b.mu.Unlock()
	return nil
}

func statOf(fi fs.FileInfo, class chunkstore.Class) statEntry {
	e := statEntry{Class: class, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.Ino, e.Dev = uint64(st.Ino), uint64(st.Dev)
		e.CTime = ctime(st)
	}
	return e
}

func (e statEntry) sameFile(o statEntry) bool {
	return e.Class == o.Class && e.Size == o.Size && e.MTime == o.MTime && e.CTime == o.CTime && e.Ino == o.Ino && e.Dev == o.Dev
}

func (b *builder) haveAll(refs []manifest.Ref) bool {
	for _, r := range refs {
		if _, ok := b.st.packs.Locate(r.ID); !ok {
			return false
		}
	}
	return true
}
