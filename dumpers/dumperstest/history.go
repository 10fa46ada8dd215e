package dumperstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash/fnv"
	"io"
	"sync"
	"sync/atomic"

	"synco/dumpers"
)

// History keeps the content of every stream it has seen, by hash, as a fetch cache
// keeps the chunks of earlier publications: Source(m) is a dumpers.Source that is
// also a dumpers.Reopener, for testing delta installs.
type History struct {
	mu      sync.Mutex
	content map[[32]byte][]byte
	// Opens counts the streams opened through Open and Reopen of its sources.
	Opens atomic.Int64
}

// NewHistory returns an empty History.
func NewHistory() *History { return &History{content: map[[32]byte][]byte{}} }

// Forget drops every stream seen so far (a cache that was cleared).
func (h *History) Forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.content)
}

// Source returns m as a Reopener-capable source; its streams are remembered.
func (h *History) Source(m *Mem) dumpers.Source {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range m.Streams {
		h.content[sha256.Sum256(b)] = b
	}
	return &histSource{h: h, m: m}
}

type histSource struct {
	h *History
	m *Mem
}

var (
	_ dumpers.Reopener = (*histSource)(nil)
	_ dumpers.Sharer   = (*histSource)(nil)
)

func (s *histSource) Names() []string { return s.m.Names() }

func (s *histSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	s.h.Opens.Add(1)
	return s.m.Open(ctx, name)
}

func (s *histSource) Ref(name string) (dumpers.StreamRef, bool) {
	b, ok := s.m.Streams[name]
	if !ok {
		return dumpers.StreamRef{}, false
	}
	h := sha256.Sum256(b)
	return dumpers.StreamRef{Hash: h, Loc: h[:]}, true
}

func (s *histSource) Reopen(_ context.Context, ref dumpers.StreamRef) (io.ReadCloser, error) {
	s.h.Opens.Add(1)
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	b, ok := s.h.content[ref.Hash]
	if !ok {
		return nil, dumpers.ErrGone
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Shared implements dumpers.Sharer: the bytes of cur in pieces that old also
// has. A stream is cut into pieces by content, as a fetch cuts it into chunks,
// but at line ends (a test's streams are small): after a line whose hash is 0
// modulo 4, once the piece has two lines, so that a piece never is a
// statement's header alone.
func (s *histSource) Shared(old, cur dumpers.StreamRef) (shared, size int64, ok bool) {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	o, okO := s.h.content[old.Hash]
	c, okC := s.h.content[cur.Hash]
	if !okO || !okC {
		return 0, 0, false
	}
	pieces := map[string]bool{}
	for _, p := range linePieces(o) {
		pieces[string(p)] = true
	}
	for _, p := range linePieces(c) {
		if pieces[string(p)] {
			shared += int64(len(p))
		}
	}
	return shared, int64(len(c)), true
}

func linePieces(b []byte) [][]byte {
	var out [][]byte
	start, line, lines := 0, 0, 0
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		lines++
		h := fnv.New32a()
		h.Write(b[line:i])
		line = i + 1
		if lines >= 2 && h.Sum32()%4 == 0 {
			out = append(out, b[start:i+1])
			start, lines = i+1, 0
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}
