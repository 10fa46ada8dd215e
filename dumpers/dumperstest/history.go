package dumperstest

import (
	"bytes"
	"context"
	"crypto/sha256"
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

var _ dumpers.Reopener = (*histSource)(nil)

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
