// Package exposetest checks what a publication exposes to anyone holding its token
// (DESIGN §4: a publication exposes only the bytes its manifest references). It
// reads the publication as a destination would, but reads every byte of every pack
// it can name, and tries to open every slot of them with the token's keys.
//
// It is for tests: the embedded server (HTTP) and publish --out (Dir) are checked by
// the same code.
package exposetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

// Source reads a publication: its sealed root and whole packs. Pack returns an
// error wrapping fs.ErrNotExist for a pack the publication does not expose.
type Source interface {
	Root() ([]byte, error)
	Pack(name string) ([]byte, error)
}

// Lister is a Source that can list every pack it holds (a directory can, a server
// cannot).
type Lister interface {
	Packs() ([]string, error)
}

// HTTP reads the publication at base (the token's URL) over HTTP.
type HTTP struct {
	Base   string
	Client *http.Client // nil: http.DefaultClient
}

func (h HTTP) get(path string) ([]byte, error) {
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(strings.TrimSuffix(h.Base, "/") + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return io.ReadAll(resp.Body)
	case http.StatusNotFound:
		return nil, fmt.Errorf("GET %s: %w", path, fs.ErrNotExist)
	default:
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
}

// Root implements Source.
func (h HTTP) Root() ([]byte, error) { return h.get("root") }

// Pack implements Source.
func (h HTTP) Pack(name string) ([]byte, error) { return h.get("p/" + name) }

// Dir reads a publication written by publish --out: Dir is DIR/<prefix>.
type Dir string

// Root implements Source.
func (d Dir) Root() ([]byte, error) { return os.ReadFile(filepath.Join(string(d), "root")) }

// Pack implements Source.
func (d Dir) Pack(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), "p", name))
}

// Packs implements Lister.
func (d Dir) Packs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(string(d), "p"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, nil
}

// Report is what Check found.
type Report struct {
	Manifest   *manifest.Manifest
	Packs      int   // packs read
	Bytes      int64 // bytes read
	Referenced int64 // bytes in referenced slots
	Slots      int   // slots listed in the manifest
	Opened     int   // slots that opened as chunks with the token's keys
	// Streams holds the content of every file stream, from the chunks read.
	Streams map[string][]byte
}

// Check reads the Ready publication in src with tok's keys and fails tb if any
// secret appears in a chunk it can open, if a slot the publication does not
// reference opens, or if any byte outside the referenced slots is not zero.
// Referenced are the chunks of every stream (the dictionary streams included),
// the Obj of every variant and the manifest's own chunks (the root's locs).
func Check(tb testing.TB, tok manifest.Token, src Source, secrets ...[]byte) Report {
	tb.Helper()
	var rep Report
	sealedRoot, err := src.Root()
	if err != nil {
		tb.Fatalf("read root: %v", err)
	}
	root, err := manifest.OpenRoot(sealedRoot, tok.ReadKey, tok.SignPub)
	if err != nil {
		tb.Fatalf("open root: %v", err)
	}
	if root.State != manifest.StateReady {
		tb.Fatalf("publication is %v, want Ready", root.State)
	}
	packs := map[string][]byte{}
	pack := func(name string) []byte {
		if b, ok := packs[name]; ok {
			return b
		}
		b, err := src.Pack(name)
		if err != nil {
			tb.Fatalf("read pack %s: %v", name, err)
		}
		packs[name] = b
		rep.Packs++
		rep.Bytes += int64(len(b))
		return b
	}
	slice := func(name string, off uint64, n uint32) []byte {
		b := pack(name)
		if off+uint64(n) > uint64(len(b)) {
			tb.Fatalf("pack %s: slot %d+%d beyond its %d bytes", name, off, n, len(b))
		}
		return b[off : off+uint64(n)]
	}

	keys := chunkstore.NewKeys(tok.ReadKey)
	var enc []byte
	for _, l := range root.Manifest {
		if enc, err = keys.Open(enc, l.ID, slice(l.Pack, l.Off, l.SealedLen)); err != nil {
			tb.Fatalf("open manifest chunk: %v", err)
		}
	}
	m, err := manifest.Decode(enc)
	if err != nil {
		tb.Fatalf("decode manifest: %v", err)
	}
	rep.Manifest = m
	locs := m.Locate()

	// What the publication references, as byte ranges of packs.
	type span struct{ off, end uint64 }
	ref := map[string][]span{}
	refID := map[string]map[uint64]bool{} // pack → offsets of referenced slots
	mark := func(name string, off uint64, n uint32) {
		ref[name] = append(ref[name], span{off, off + uint64(n)})
		if refID[name] == nil {
			refID[name] = map[uint64]bool{}
		}
		refID[name][off] = true
	}
	for _, l := range root.Manifest {
		mark(l.Pack, l.Off, l.SealedLen)
	}
	for _, s := range m.Streams {
		for _, r := range s.Chunks {
			l, ok := locs[r.ID]
			if !ok {
				tb.Fatalf("stream %s: chunk %s in no pack", s.Path, r.ID)
			}
			mark(l.Pack, l.Off, l.SealedLen)
		}
	}
	for _, v := range m.Variants {
		l := locs[v.Obj]
		mark(l.Pack, l.Off, l.SealedLen)
	}

	// Dictionaries first: chunks sealed with one open only once it is registered.
	for _, s := range m.Streams {
		if !strings.HasPrefix(s.Path, ".synco/zstd-dict-") {
			continue
		}
		var d []byte
		for _, r := range s.Chunks {
			l := locs[r.ID]
			if d, err = keys.Open(d, r.ID, slice(l.Pack, l.Off, l.SealedLen)); err != nil {
				tb.Fatalf("open dictionary %s: %v", s.Path, err)
			}
		}
		if _, err := keys.AddDict(d); err != nil {
			tb.Fatalf("register dictionary %s: %v", s.Path, err)
		}
	}

	checkPlain := func(where string, plain []byte) {
		for _, s := range secrets {
			if bytes.Contains(plain, s) {
				tb.Errorf("%s: decrypts to data with the secret %q", where, s)
			}
		}
	}
	// Every slot the manifest lists, referenced or not, is tried with its ID.
	for _, p := range m.Packs {
		var off uint64
		for i, c := range p.Chunks {
			rep.Slots++
			plain, err := keys.Open(nil, c.ID, slice(p.Name, off, c.SealedLen))
			if err == nil {
				rep.Opened++
				checkPlain(fmt.Sprintf("pack %s slot %d", p.Name, i), plain)
				if !refID[p.Name][off] {
					tb.Errorf("pack %s slot %d: a chunk the publication does not reference opens with its token", p.Name, i)
				}
			} else if errors.Is(err, chunkstore.ErrNoDict) {
				tb.Errorf("pack %s slot %d: sealed with a dictionary the publication does not ship", p.Name, i)
			}
			off += uint64(c.SealedLen)
		}
	}
	// Every stream reads back from the referenced chunks.
	rep.Streams = map[string][]byte{}
	for _, s := range m.Streams {
		if !s.Kind.HasContent() {
			continue
		}
		var b []byte
		for _, r := range s.Chunks {
			l := locs[r.ID]
			if b, err = keys.Open(b, r.ID, slice(l.Pack, l.Off, l.SealedLen)); err != nil {
				tb.Fatalf("stream %s: %v", s.Path, err)
			}
		}
		rep.Streams[s.Path] = b
	}
	// The root's manifest chunks may lie in packs the manifest does not list.
	for i, l := range root.Manifest {
		plain, _ := keys.Open(nil, l.ID, slice(l.Pack, l.Off, l.SealedLen))
		checkPlain(fmt.Sprintf("manifest chunk %d", i), plain)
	}

	// Every byte outside the referenced slots is zero.
	names := map[string]bool{}
	for name := range ref {
		names[name] = true
	}
	for _, p := range m.Packs {
		names[p.Name] = true
		pack(p.Name)
	}
	for name, b := range packs {
		cover := make([]bool, len(b))
		for _, s := range ref[name] {
			for i := s.off; i < s.end; i++ {
				if !cover[i] {
					cover[i] = true
					rep.Referenced++
				}
			}
		}
		for i, c := range b {
			if c != 0 && !cover[i] {
				tb.Errorf("pack %s: byte %d is outside every referenced slot and not zero", name, i)
				break
			}
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				tb.Errorf("pack %s holds the secret %q in the clear", name, s)
			}
		}
	}
	if l, ok := src.(Lister); ok {
		all, err := l.Packs()
		if err != nil {
			tb.Fatalf("list packs: %v", err)
		}
		for _, name := range all {
			if !names[name] {
				tb.Errorf("pack %s is exposed but the publication does not use it", name)
			}
		}
	}
	return rep
}
