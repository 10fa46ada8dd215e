package publish

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"sync"
	"time"

	"synco/manifest"
)

// Publication is one publication being prepared or served: its sealed root and the
// set of packs it references. It implements httpsrv.Publication and is safe for
// concurrent use. The hooks let publish --out mirror it into a directory; set them
// before Build and call Reseal to write the current root.
type Publication struct {
	Prefix  string                     // unguessable path element the publication lives under
	OnRoot  func(sealed []byte) error  // called with every new sealed root
	OnReady func(packs []string) error // called before the Ready root is published

	state *State
	mu    sync.Mutex
	root  manifest.Root
	rootB []byte
	packs map[string]bool // packs served; set when Ready
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

// PackPath serves only packs this publication references.
func (p *Publication) PackPath(name string) (string, bool) {
	p.mu.Lock()
	ok := p.packs[name]
	p.mu.Unlock()
	if !ok {
		return "", false
	}
	return p.state.packs.PackPath(name)
}

// Packs lists the packs of a Ready publication.
func (p *Publication) Packs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.packs))
	for n := range p.packs {
		names = append(names, n)
	}
	return names
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

func (p *Publication) ready(r manifest.Root, packs map[string]bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.PubID, r.Created = p.root.PubID, p.root.Created
	r.State, r.Phase = manifest.StateReady, "ready"
	if p.OnReady != nil {
		names := make([]string, 0, len(packs))
		for n := range packs {
			names = append(names, n)
		}
		if err := p.OnReady(names); err != nil {
			return err
		}
	}
	p.root, p.packs = r, packs
	return p.resealLocked()
}

// Reseal seals the current root again (and hands it to OnRoot).
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
	if p.OnRoot != nil {
		if err := p.OnRoot(b); err != nil {
			return err
		}
	}
	p.rootB = b
	return nil
}
