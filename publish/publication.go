package publish

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"synco/httpsrv"
	"synco/manifest"
)

// Publication is one publication being prepared or served: its sealed root and a
// view of each pack it references (PackView: only the referenced bytes). It
// implements httpsrv.Publication and is safe for concurrent use. SetTarget
// exposes it somewhere else as well (publish --out: a directory).
type Publication struct {
	Prefix string // unguessable path element the publication lives under

	state  *State
	mu     sync.Mutex
	target Target
	root   manifest.Root
	rootB  []byte
	packs  map[string]*PackView // set when Ready
}

// Target is somewhere a publication is exposed besides the embedded server, e.g.
// a directory a web server serves. A Publication hands it every root it seals and,
// before the Ready root, the view of every pack that root needs. A failing Target
// fails the publication's state change.
type Target interface {
	// PutRoot replaces the root object (readers see the old or the new one).
	PutRoot(sealed []byte) error
	// PutPack writes a pack as the publication exposes it.
	PutPack(v *PackView) error
	// RemoveAll removes everything the target holds of the publication.
	RemoveAll() error
}

// NewPublication starts a publication of st in state Created.
func NewPublication(st *State) (*Publication, error) {
	var id [16]byte
	rand.Read(id[:])
	var secret [20]byte
	rand.Read(secret[:])
	p := &Publication{
		Prefix: strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret[:])),
		state:  st,
		root:   manifest.Root{PubID: id, State: manifest.StateCreated, Created: time.Now().UnixNano()},
	}
	return p, p.Reseal()
}

// Root returns the current sealed root.
func (p *Publication) Root() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rootB
}

// SetTarget makes t receive the publication from now on, starting with the
// current root.
func (p *Publication) SetTarget(t Target) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = t
	return p.resealLocked()
}

// Pack returns the view of the named pack if the Ready publication references it.
func (p *Publication) Pack(name string) (*PackView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.packs[name]
	return v, ok
}

// OpenPack opens the view of the named pack (httpsrv.Publication). It fails with
// an error wrapping fs.ErrNotExist for a pack the publication does not reference.
func (p *Publication) OpenPack(name string) (httpsrv.Pack, error) {
	v, ok := p.Pack(name)
	if !ok {
		return nil, fmt.Errorf("pack %s: %w", name, fs.ErrNotExist)
	}
	return v.Open()
}

// Packs lists the views of the packs of a Ready publication.
func (p *Publication) Packs() []*PackView {
	p.mu.Lock()
	defer p.mu.Unlock()
	views := make([]*PackView, 0, len(p.packs))
	for _, v := range p.packs {
		views = append(views, v)
	}
	return views
}

// State returns the current state of the root.
func (p *Publication) State() (manifest.State, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.root.State, p.root.Reason
}

func (p *Publication) progress(phase string, done, total uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root.State == manifest.StateReady || p.root.State == manifest.StateFailed {
		return nil // final: progress never moves a publication back
	}
	p.root.State, p.root.Phase, p.root.Done, p.root.Total = manifest.StateInitializing, phase, done, total
	return p.resealLocked()
}

// Fail marks the publication Failed with reason (shown to the destination).
func (p *Publication) Fail(reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	p.root.State, p.root.Reason = manifest.StateFailed, reason
	return p.resealLocked()
}

func (p *Publication) ready(r manifest.Root, packs map[string]*PackView) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.PubID, r.Created = p.root.PubID, p.root.Created
	r.State, r.Phase = manifest.StateReady, "ready"
	if p.target != nil {
		for _, v := range packs {
			if err := p.target.PutPack(v); err != nil {
				return err
			}
		}
	}
	p.root, p.packs = r, packs
	return p.resealLocked()
}

// Reseal seals the current root again (and hands it to the target).
func (p *Publication) Reseal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resealLocked()
}

func (p *Publication) resealLocked() error {
	b, err := manifest.SealRoot(&p.root, p.state.readKey, p.state.sign)
	if err != nil {
		return err
	}
	if p.target != nil {
		if err := p.target.PutRoot(b); err != nil {
			return err
		}
	}
	p.rootB = b
	return nil
}
