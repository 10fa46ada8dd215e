package publish

import (
	"fmt"
	"io/fs"
	"sync"

	"synco/httpsrv"
)

// Target is somewhere a publication is exposed: the embedded server's memory
// (Memory, every Publication has one) or a directory a web server serves (Dir).
// A Publication hands every target every root it seals and, before the Ready root,
// the view of every pack that root needs. A failing Target fails the publication's
// state change. Implementations must be safe for concurrent use with their readers.
type Target interface {
	// PutRoot replaces the root object (readers see the old or the new one).
	PutRoot(sealed []byte) error
	// PutPack writes a pack as the publication exposes it.
	PutPack(v *PackView) error
	// RemovePack removes the named pack; removing a pack it does not hold is not
	// an error.
	RemovePack(name string) error
	// RemoveAll removes everything the target holds of the publication.
	RemoveAll() error
}

// Memory is the Target the embedded server reads: the sealed root and the views of
// the packs, held in memory. It implements httpsrv.Publication. The zero value is
// empty and ready to use.
type Memory struct {
	mu    sync.RWMutex
	root  []byte
	packs map[string]*PackView
}

var (
	_ Target              = (*Memory)(nil)
	_ httpsrv.Publication = (*Memory)(nil)
)

// PutRoot implements Target.
func (m *Memory) PutRoot(sealed []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.root = sealed
	return nil
}

// PutPack implements Target.
func (m *Memory) PutPack(v *PackView) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.packs == nil {
		m.packs = map[string]*PackView{}
	}
	m.packs[v.Name()] = v
	return nil
}

// RemovePack implements Target.
func (m *Memory) RemovePack(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.packs, name)
	return nil
}

// RemoveAll implements Target: the root and every pack are gone.
func (m *Memory) RemoveAll() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.root, m.packs = nil, nil
	return nil
}

// Root returns the sealed root, or nil while there is none (httpsrv.Publication).
func (m *Memory) Root() []byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.root
}

// Pack returns the view of the named pack, if m holds it.
func (m *Memory) Pack(name string) (*PackView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.packs[name]
	return v, ok
}

// Packs lists the views of the packs m holds.
func (m *Memory) Packs() []*PackView {
	m.mu.RLock()
	defer m.mu.RUnlock()
	views := make([]*PackView, 0, len(m.packs))
	for _, v := range m.packs {
		views = append(views, v)
	}
	return views
}

// OpenPack opens the view of the named pack (httpsrv.Publication). It fails with
// an error wrapping fs.ErrNotExist for a pack m does not hold.
func (m *Memory) OpenPack(name string) (httpsrv.Pack, error) {
	v, ok := m.Pack(name)
	if !ok {
		return nil, fmt.Errorf("pack %s: %w", name, fs.ErrNotExist)
	}
	return v.Open()
}
