package publish

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"sync"
	"time"

	"synco/httpsrv"
	"synco/manifest"
)

// Publication is one publication being prepared or served: its sealed root and a
// view of each pack it references (PackView: only the referenced bytes). It hands
// both to its Targets: always its own Memory, which it serves from (it implements
// httpsrv.Publication), and any added with AddTarget (publish --out: a Dir). It is
// safe for concurrent use.
type Publication struct {
	Prefix string // unguessable path element the publication lives under

	state   *State
	mem     Memory
	mu      sync.Mutex
	targets []Target // added with AddTarget, in order
	root    manifest.Root

	fullMu sync.Mutex
	full   []fullPack      // packs filled since the last progress root
	early  map[string]bool // packs served before Ready (root.Finished)
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
func (p *Publication) Root() []byte { return p.mem.Root() }

// AddTarget makes t receive the publication from now on, starting with the
// packs (if it is Ready) and the current root.
func (p *Publication) AddTarget(t Target) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.mem.Packs() {
		if err := t.PutPack(v); err != nil {
			return err
		}
	}
	if err := t.PutRoot(p.mem.Root()); err != nil {
		return err
	}
	p.targets = append(p.targets, t)
	return nil
}

// all is every target, the publication's own memory last: it changes only once
// the others did.
func (p *Publication) all() []Target {
	return append(p.targets[:len(p.targets):len(p.targets)], &p.mem)
}

// Pack returns the view of the named pack if the Ready publication references it.
func (p *Publication) Pack(name string) (*PackView, bool) { return p.mem.Pack(name) }

// OpenPack opens the view of the named pack (httpsrv.Publication). It fails with
// an error wrapping fs.ErrNotExist for a pack the publication does not reference.
func (p *Publication) OpenPack(name string) (httpsrv.Pack, error) { return p.mem.OpenPack(name) }

// Packs lists the views of the packs of a Ready publication.
func (p *Publication) Packs() []*PackView { return p.mem.Packs() }

// State returns the current state of the root.
func (p *Publication) State() (manifest.State, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.root.State, p.root.Reason
}

// packFull is told of each pack the build fills (chunkstore.PackStore.OnFull):
// its bytes are final. The next progress root serves and lists it.
func (p *Publication) packFull(name, path string, size int64) {
	p.fullMu.Lock()
	p.full = append(p.full, fullPack{name, path, size})
	p.fullMu.Unlock()
}

type fullPack struct {
	name, path string
	size       int64
}

func (p *Publication) progress(phase string, done, total uint64) error {
	p.fullMu.Lock()
	full := p.full
	p.full = nil
	p.fullMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root.State == manifest.StateReady || p.root.State == manifest.StateFailed {
		return nil // final: progress never moves a publication back
	}
	p.root.State, p.root.Phase, p.root.Done, p.root.Total = manifest.StateInitializing, phase, done, total
	p.serveEarly(full)
	return p.resealLocked()
}

// serveEarly hands the finished packs to every target, whole, and lists them in
// the root (manifest.Root.Finished): a destination may download them while the
// build goes on. Every chunk a build seals into a new pack belongs to this
// publication (a stream's, a splice's, the dictionary's), so the whole pack is
// what its Ready view will expose. The packs reported full hold no chunk that
// also has a splice (those go aside, chunkstore.PackStore.PutAside, and are
// served at Ready): a destination that synced last time wants all of them as
// much as one with nothing cached. A pack a target does not take is simply not
// listed (it comes after Ready as usual). p.mu is held.
func (p *Publication) serveEarly(full []fullPack) {
	for _, fp := range full {
		if len(p.root.Finished) >= manifest.MaxFinished {
			return
		}
		v := newPackView(fp.name, fp.path, fp.size, []span{{0, fp.size}})
		ok := true
		for _, t := range p.all() {
			if err := t.PutPack(v); err != nil {
				ok = false
				break
			}
		}
		if !ok {
			for _, t := range p.all() {
				t.RemovePack(fp.name) // best effort: it is not listed
			}
			continue
		}
		if p.early == nil {
			p.early = map[string]bool{}
		}
		p.early[fp.name] = true
		p.root.Finished = append(p.root.Finished, manifest.FinishedPack{Name: fp.name, Size: uint64(fp.size)})
	}
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

// ready makes r, the Ready root referencing packs, the publication's root: every
// target gets the packs, then the root. If a target fails to take a pack, no
// target keeps any of them (a pack no root references is not left behind).
func (p *Publication) ready(r manifest.Root, packs map[string]*PackView) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.PubID, r.Created = p.root.PubID, p.root.Created
	r.State, r.Phase = manifest.StateReady, "ready"
	r.Finished = nil
	all := p.all()
	for _, t := range all {
		for _, v := range packs {
			if err := t.PutPack(v); err != nil {
				for _, t := range all {
					for name := range packs {
						t.RemovePack(name) // best effort: the error below is what matters
					}
				}
				return err
			}
		}
	}
	for name := range p.early {
		if packs[name] == nil { // served early, not referenced after all
			for _, t := range all {
				if err := t.RemovePack(name); err != nil {
					return err
				}
			}
		}
	}
	p.early = nil
	p.root = r
	return p.resealLocked()
}

// Reseal seals the current root again (and hands it to the targets).
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
	for _, t := range p.all() {
		if err := t.PutRoot(b); err != nil {
			return err
		}
	}
	return nil
}
