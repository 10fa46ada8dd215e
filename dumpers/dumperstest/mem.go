// Package dumperstest has what the engines' tests share: an in-memory dump.
package dumperstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"synco/dumpers"
)

// Mem keeps a dump's streams in memory: a dumpers.Sink for Dump and a
// dumpers.Source for Import. Streams holds every closed stream; tests may read and
// change it while no dump or import runs.
type Mem struct {
	mu      sync.Mutex
	Streams map[string][]byte
}

var (
	_ dumpers.Sink   = (*Mem)(nil)
	_ dumpers.Source = (*Mem)(nil)
)

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{Streams: map[string][]byte{}} }

type memWriter struct {
	m    *Mem
	name string
	buf  bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *memWriter) Close() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.m.Streams[w.name] = w.buf.Bytes()
	return nil
}

// Create implements dumpers.Sink; a name may be created once.
func (m *Mem) Create(_ context.Context, name string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.Streams[name]; ok {
		return nil, fmt.Errorf("stream %s created twice", name)
	}
	m.Streams[name] = nil
	return &memWriter{m: m, name: name}, nil
}

// Names implements dumpers.Source.
func (m *Mem) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.Streams))
	for k := range m.Streams {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Open implements dumpers.Source.
func (m *Mem) Open(_ context.Context, name string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.Streams[name]
	if !ok {
		return nil, fmt.Errorf("no stream %s", name)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Concat is the single-file form of the dump: schema, data in name order, post.
func (m *Mem) Concat() []byte {
	var b bytes.Buffer
	b.Write(m.Streams[dumpers.SchemaStream])
	for _, n := range m.Names() {
		if strings.HasPrefix(n, dumpers.DataDir) {
			b.Write(m.Streams[n])
		}
	}
	b.Write(m.Streams[dumpers.PostStream])
	return b.Bytes()
}
