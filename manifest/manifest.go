package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"synco/chunkstore"
)

// Version is the version of every format in this package: manifest, root, sealed
// root and token.
const Version = 1

var (
	// ErrFormat is wrapped by every decoding error and by Encode's validation errors.
	ErrFormat = errors.New("manifest: malformed")
	// ErrVersion means the input has a format version this package does not know.
	ErrVersion = errors.New("manifest: unsupported format version")
)

// Kind is the type of a stream.
type Kind uint8

const (
	KindFile Kind = 1
	KindDir  Kind = 2
	// KindRemote is a file the destination downloads from URL — a public address
	// where the application already serves it — instead of from the publication's
	// chunks; Size and Hash (keyed, as for files) verify what it gets.
	KindRemote Kind = 3
	// KindDump is one stream of a database dump (its marker, schema, table data,
	// post-data), written only by a database publish. It is encoded and verified
	// exactly as a file; the destination installs a database only from streams of
	// this kind, never from files that look like a dump (DESIGN §4).
	KindDump Kind = 4
)

// HasContent reports whether streams of kind k carry chunks (files and dump streams).
func (k Kind) HasContent() bool { return k == KindFile || k == KindDump }

// MaxURL bounds a remote stream's URL.
const MaxURL = 2048

// ValidURL reports whether u can be a remote stream's URL: absolute http(s) with a
// host, at most MaxURL bytes, no fragment, no user info.
func ValidURL(u string) error {
	pu, err := url.Parse(u)
	switch {
	case len(u) > MaxURL:
		return fmt.Errorf("%w: URL longer than %d bytes", ErrFormat, MaxURL)
	case err != nil:
		return fmt.Errorf("%w: URL does not parse", ErrFormat)
	case pu.Scheme != "http" && pu.Scheme != "https", pu.Host == "", pu.User != nil, pu.Fragment != "":
		return fmt.Errorf("%w: URL %q is not a plain http(s) address", ErrFormat, truncate(u))
	}
	return nil
}

// Ref references one chunk of a stream: its ID and plaintext length.
type Ref struct {
	ID  chunkstore.ID
	Len uint32
}

// Stream is one file or directory of a publication; DB tables are files of class
// chunkstore.ClassDB.
type Stream struct {
	Path  string // relative slash path, see ValidPath
	Kind  Kind
	Class chunkstore.Class // not zero
	Mode  uint32           // permission bits only (0o7777)
	MTime int64            // unix nanoseconds
	Size  uint64           // zero for dirs
	Hash  chunkstore.ID    // keyed hash of the whole content (zero for dirs)
	// Chunks are the content in order; empty for dirs and remote files. The sum of
	// Len equals Size. Every ID must be in a pack.
	Chunks []Ref
	URL    string // KindRemote only
}

// Variant is another form of chunk ID: Obj, a splice of ID against the chunk
// Base (chunkstore.Keys.SealSplice), stored in a pack like a chunk. A
// destination whose cache holds Base may download Obj instead of ID. Base need
// not be in the publication.
type Variant struct {
	ID, Base, Obj chunkstore.ID
}

// PackChunk is one sealed chunk in a pack.
type PackChunk struct {
	ID        chunkstore.ID
	SealedLen uint32 // not zero
}

// Pack is one pack file. Chunks are in on-disk order; a chunk's offset is the sum
// of the SealedLen of the chunks before it. Chunks that no stream references are
// allowed (a reused pack keeps its layout).
type Pack struct {
	Name   string // see ValidPackName
	Chunks []PackChunk
}

// ClassParams are the content-defined chunking parameters of one stream class.
type ClassParams struct {
	Class    chunkstore.Class
	Min, Max uint32
	AvgBits  uint8
}

// Manifest lists everything in a publication.
type Manifest struct {
	Created  int64         // unix nanoseconds
	Chunking []ClassParams // sorted by Class, unique, Class not zero, Min ≤ Max
	Packs    []Pack        // sorted by Name, unique
	// Streams are sorted by Path (byte order) with unique paths. Parent directories
	// need not be listed, but no file's path may be a parent of another path.
	Streams []Stream
	// Variants are other forms of chunks that streams reference, sorted by ID,
	// at most one per chunk (SPEC.md, "Variants").
	Variants []Variant
}

// Loc is where a sealed chunk lives in the publication and its plaintext length.
type Loc struct {
	ID        chunkstore.ID
	Len       uint32 // plaintext length; 0 in Locate for chunks no stream references (e.g. a variant's Obj)
	Pack      string // see ValidPackName
	Off       uint64 // offset of the sealed chunk in the pack
	SealedLen uint32
}

// Locate returns the location of every chunk in m's packs, including the Obj of
// every variant, with Len taken from the streams' references. If an ID is in
// several slots, the first (packs in order, then slots in order) wins, as it does
// for stream references and variants.
func (m *Manifest) Locate() map[chunkstore.ID]Loc {
	n := 0
	for _, p := range m.Packs {
		n += len(p.Chunks)
	}
	locs := make(map[chunkstore.ID]Loc, n)
	for _, p := range m.Packs {
		var off uint64
		for _, c := range p.Chunks {
			if _, dup := locs[c.ID]; !dup {
				locs[c.ID] = Loc{ID: c.ID, Pack: p.Name, Off: off, SealedLen: c.SealedLen}
			}
			off += uint64(c.SealedLen)
		}
	}
	for _, s := range m.Streams {
		for _, r := range s.Chunks {
			if l, ok := locs[r.ID]; ok && l.Len == 0 {
				l.Len = r.Len
				locs[r.ID] = l
			}
		}
	}
	return locs
}

// slot addresses one chunk: pack index and position in the pack.
type slot struct{ pack, pos int32 }

// layout is what validation learns and encoding needs: where each reference points,
// which slots are referenced and where each variant's Obj is.
type layout struct {
	refs   []slot    // one per stream reference, in stream order
	refLen [][]int64 // per pack and slot: the referenced plaintext length, or -1
	objs   []slot    // one per variant: the first slot of its Obj
}

// layout validates m and resolves every reference to its pack slot.
func (m *Manifest) layout() (*layout, error) {
	for i, c := range m.Chunking {
		switch {
		case c.Class == 0:
			return nil, formatErr("chunking params %d: class 0", i)
		case i > 0 && c.Class <= m.Chunking[i-1].Class:
			return nil, formatErr("chunking params not sorted by class or duplicated at class %d", c.Class)
		case c.Min > c.Max:
			return nil, formatErr("chunking params of class %d: min %d > max %d", c.Class, c.Min, c.Max)
		}
	}
	n, nrefs := 0, 0
	for _, p := range m.Packs {
		n += len(p.Chunks)
	}
	for _, s := range m.Streams {
		nrefs += len(s.Chunks)
	}
	lay := &layout{refs: make([]slot, 0, nrefs), refLen: make([][]int64, len(m.Packs))}
	first := newIDIndex(m.Packs, n)
	for i, p := range m.Packs {
		if !ValidPackName(p.Name) {
			return nil, formatErr("invalid pack name %q", truncate(p.Name))
		}
		if i > 0 && p.Name <= m.Packs[i-1].Name {
			return nil, formatErr("packs not sorted by name or duplicated at %q", p.Name)
		}
		lens := make([]int64, len(p.Chunks))
		for j, c := range p.Chunks {
			if c.SealedLen == 0 {
				return nil, formatErr("pack %q slot %d: sealed length 0", p.Name, j)
			}
			first.add(c.ID, slot{int32(i), int32(j)})
			lens[j] = -1
		}
		lay.refLen[i] = lens
	}
	files := make(map[string]bool, len(m.Streams))
	for i := range m.Streams {
		s := &m.Streams[i]
		if err := m.checkStream(i); err != nil {
			return nil, err
		}
		if s.Kind.HasContent() || s.Kind == KindRemote {
			files[s.Path] = true
		}
		for _, r := range s.Chunks {
			at, ok := first.get(r.ID)
			if !ok {
				return nil, formatErr("stream %q: chunk %s is in no pack", s.Path, r.ID)
			}
			l := &lay.refLen[at.pack][at.pos]
			if *l >= 0 && *l != int64(r.Len) {
				return nil, formatErr("stream %q: chunk %s has length %d here and %d elsewhere", s.Path, r.ID, r.Len, *l)
			}
			*l = int64(r.Len)
			lay.refs = append(lay.refs, at)
		}
	}
	for _, s := range m.Streams {
		for i := strings.IndexByte(s.Path, '/'); i >= 0; i = nextSlash(s.Path, i) {
			if files[s.Path[:i]] {
				return nil, formatErr("stream %q is inside file %q", s.Path, s.Path[:i])
			}
		}
	}
	if err := m.layoutVariants(lay, first); err != nil {
		return nil, err
	}
	return lay, nil
}

// layoutVariants validates m.Variants and resolves each Obj to its first slot.
// A chunk that a stream references is one whose first slot has a length, since
// references always point at the first slot.
func (m *Manifest) layoutVariants(lay *layout, first *idIndex) error {
	if len(m.Variants) > 0 {
		lay.objs = make([]slot, len(m.Variants))
	}
	for i, v := range m.Variants {
		if i > 0 && bytes.Compare(v.ID[:], m.Variants[i-1].ID[:]) <= 0 {
			return formatErr("variants not sorted by ID or duplicated at chunk %s", v.ID)
		}
		if at, ok := first.get(v.ID); !ok || lay.refLen[at.pack][at.pos] < 0 {
			return formatErr("variant of chunk %s that no stream references", v.ID)
		}
		if v.Obj == v.ID {
			return formatErr("variant of chunk %s is the chunk itself", v.ID)
		}
		if v.Base == v.ID {
			return formatErr("variant of chunk %s is a splice of the chunk itself", v.ID)
		}
		at, ok := first.get(v.Obj)
		if !ok {
			return formatErr("variant %s of chunk %s is in no pack", v.Obj, v.ID)
		}
		lay.objs[i] = at
	}
	return nil
}

func nextSlash(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// checkStream validates stream i on its own and its order after stream i-1.
func (m *Manifest) checkStream(i int) error {
	s := &m.Streams[i]
	if err := ValidPath(s.Path); err != nil {
		return formatErr("stream %d: %w", i, err)
	}
	if i > 0 && s.Path <= m.Streams[i-1].Path {
		return formatErr("streams not sorted by path or duplicated at %q", s.Path)
	}
	switch {
	case s.Class == 0:
		return formatErr("stream %q: class 0", s.Path)
	case s.Mode&^0o7777 != 0:
		return formatErr("stream %q: mode %#o has bits beyond 0o7777", s.Path, s.Mode)
	}
	if s.Kind != KindRemote && s.URL != "" {
		return formatErr("stream %q: URL on a %v", s.Path, s.Kind)
	}
	switch s.Kind {
	case KindDir:
		if s.Size != 0 || s.Hash != (chunkstore.ID{}) || len(s.Chunks) != 0 {
			return formatErr("directory %q has content", s.Path)
		}
	case KindFile, KindDump:
		var sum uint64
		for _, r := range s.Chunks {
			sum += uint64(r.Len)
		}
		if sum != s.Size {
			return formatErr("stream %q: size %d but chunks sum to %d", s.Path, s.Size, sum)
		}
	case KindRemote:
		if len(s.Chunks) != 0 {
			return formatErr("remote file %q has chunks", s.Path)
		}
		if err := ValidURL(s.URL); err != nil {
			return fmt.Errorf("stream %q: %w", s.Path, err)
		}
	default:
		return formatErr("stream %q: unknown kind %d", s.Path, s.Kind)
	}
	return nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
