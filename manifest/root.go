package manifest

import (
	"bytes"
	"fmt"

	"synco/chunkstore"
)

// State is the lifecycle state of a publication.
type State uint8

const (
	StateCreated      State = 1 // the root exists, nothing else yet
	StateInitializing State = 2 // the source is reading and sealing; see Phase, Done, Total
	StateReady        State = 3 // the manifest is complete and every chunk is served
	StateFailed       State = 4 // publishing failed; see Reason
)

// String returns "created", "initializing", "ready", "failed" or "state(N)".
func (s State) String() string {
	switch s {
	case StateCreated:
		return "created"
	case StateInitializing:
		return "initializing"
	case StateReady:
		return "ready"
	case StateFailed:
		return "failed"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

const (
	maxReason = 1024
	maxPhase  = 128
)

// Root is the small, frequently re-read object at <base>/root. Reason and Phase are
// free text from the source, not necessarily UTF-8: sanitize before display.
type Root struct {
	PubID       [16]byte
	State       State
	Reason      string // why Failed (≤ 1 KiB)
	Phase       string // human progress phase, e.g. "files", "database" (≤ 128 bytes)
	Done, Total uint64 // progress in bytes
	Created     int64  // unix nanoseconds
	// Manifest lists the manifest's own chunks in order; empty unless Ready, and not
	// empty if Ready. The sum of their Len is ManifestSize.
	Manifest     []Loc
	ManifestSize uint64
	ManifestHash chunkstore.ID // keyed stream hash of the whole encoded manifest
	// Finished lists, while Initializing, packs the source has finished sealing
	// into: their bytes are final and already served, so a destination may
	// download them before the manifest exists (SPEC "Root").
	// At most MaxFinished; never in another state.
	Finished []FinishedPack
}

// FinishedPack is a pack whose Size bytes are final (Root.Finished).
type FinishedPack struct {
	Name string
	Size uint64
}

// rootFinishedVersion is the version of a root with finished packs: a root
// without them is encoded as version 1 wrote it.
const rootFinishedVersion = 2

// MaxFinished bounds Root.Finished (8 MiB packs: 32 GiB of them; a source stops
// listing more).
const MaxFinished = 4096

const (
	magicRoot = "syncoR"
	minLoc    = 35 // ID, length, sealed length, pack
)

func (r *Root) validate() error {
	switch {
	case r.State < StateCreated || r.State > StateFailed:
		return formatErr("root: unknown state %d", r.State)
	case len(r.Reason) > maxReason:
		return formatErr("root: reason longer than %d bytes", maxReason)
	case len(r.Phase) > maxPhase:
		return formatErr("root: phase longer than %d bytes", maxPhase)
	}
	if len(r.Finished) > 0 && r.State != StateInitializing {
		return formatErr("root: %s but lists finished packs", r.State)
	}
	if len(r.Finished) > MaxFinished {
		return formatErr("root: more than %d finished packs", MaxFinished)
	}
	for i, p := range r.Finished {
		if !ValidPackName(p.Name) || p.Size == 0 {
			return formatErr("root: finished pack %d: invalid name %q or size 0", i, truncate(p.Name))
		}
	}
	if r.State != StateReady {
		if len(r.Manifest) > 0 || r.ManifestSize != 0 || r.ManifestHash != (chunkstore.ID{}) {
			return formatErr("root: %s but has a manifest", r.State)
		}
		return nil
	}
	if len(r.Manifest) == 0 {
		return formatErr("root: ready without a manifest")
	}
	var sum uint64
	for i, l := range r.Manifest {
		switch {
		case !ValidPackName(l.Pack):
			return formatErr("root: manifest chunk %d: invalid pack name %q", i, truncate(l.Pack))
		case l.SealedLen == 0:
			return formatErr("root: manifest chunk %d: sealed length 0", i)
		}
		sum += uint64(l.Len)
	}
	if sum != r.ManifestSize {
		return formatErr("root: manifest size %d but chunks sum to %d", r.ManifestSize, sum)
	}
	return nil
}

// Encode returns the canonical encoding of r, or an error wrapping ErrFormat if r
// is invalid.
func (r *Root) Encode() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("encode root: %w", err)
	}
	return r.encode(), nil
}

// encode encodes a valid root.
func (r *Root) encode() []byte {
	w := &writer{b: make([]byte, 0, 128+len(r.Reason)+len(r.Phase)+len(r.Manifest)*64)}
	w.raw([]byte(magicRoot))
	if len(r.Finished) > 0 {
		w.uvarint(rootFinishedVersion)
	} else {
		w.uvarint(Version)
	}
	w.raw(r.PubID[:])
	w.byte1(byte(r.State))
	w.str(r.Reason)
	w.str(r.Phase)
	w.uvarint(r.Done)
	w.uvarint(r.Total)
	w.varint(r.Created)
	w.uvarint(r.ManifestSize)
	w.id(r.ManifestHash)
	w.uvarint(uint64(len(r.Manifest)))
	var prev Loc
	for i, l := range r.Manifest {
		w.id(l.ID)
		w.uvarint(uint64(l.Len))
		w.uvarint(uint64(l.SealedLen))
		if i > 0 && l.Pack == prev.Pack && l.Off == prev.Off+uint64(prev.SealedLen) {
			w.uvarint(0)
		} else {
			w.str(l.Pack)
			w.uvarint(l.Off)
		}
		prev = l
	}
	if len(r.Finished) > 0 { // absent when empty: such a root is as version 1 wrote it
		w.uvarint(uint64(len(r.Finished)))
		for _, p := range r.Finished {
			w.str(p.Name)
			w.uvarint(p.Size)
		}
	}
	return w.b
}

// DecodeRoot decodes a root. It accepts only the canonical encoding of a valid
// root. Errors wrap ErrFormat, or are ErrVersion for another format version.
func DecodeRoot(b []byte) (*Root, error) {
	r, err := decodeRoot(b)
	if err != nil {
		return nil, fmt.Errorf("decode root: %w", err)
	}
	return r, nil
}

func decodeRoot(b []byte) (*Root, error) {
	rd := &reader{b: b}
	if string(rd.next(len(magicRoot))) != magicRoot {
		return nil, formatErr("bad magic")
	}
	version := rd.uvarint()
	if rd.err != nil {
		return nil, rd.err
	}
	if version != Version && version != rootFinishedVersion {
		return nil, fmt.Errorf("%w %d", ErrVersion, version)
	}
	r := &Root{}
	copy(r.PubID[:], rd.next(len(r.PubID)))
	r.State = State(rd.byte1())
	r.Reason = rd.str(maxReason)
	r.Phase = rd.str(maxPhase)
	r.Done = rd.uvarint()
	r.Total = rd.uvarint()
	r.Created = rd.varint()
	r.ManifestSize = rd.uvarint()
	r.ManifestHash = rd.id()
	if n := rd.count(minLoc); n > 0 {
		r.Manifest = make([]Loc, n)
		for i := range r.Manifest {
			l := Loc{ID: rd.id(), Len: rd.uint32(), SealedLen: rd.uint32()}
			if p := rd.str(maxPackName); p != "" {
				l.Pack, l.Off = p, rd.uvarint()
			} else if i > 0 {
				prev := r.Manifest[i-1]
				l.Pack, l.Off = prev.Pack, prev.Off+uint64(prev.SealedLen)
			} else {
				rd.fail("root: first manifest chunk continues nothing")
			}
			r.Manifest[i] = l
		}
	}
	if rd.err == nil && version == rootFinishedVersion {
		n := rd.count(2)
		if n == 0 || n > MaxFinished {
			rd.fail("root: finished packs: bad count")
		}
		for i := 0; i < n && rd.err == nil; i++ {
			r.Finished = append(r.Finished, FinishedPack{Name: rd.str(maxPackName), Size: rd.uvarint()})
		}
	}
	if rd.err != nil {
		return nil, rd.err
	}
	if rd.left() > 0 {
		return nil, formatErr("%d trailing bytes", rd.left())
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	if !bytes.Equal(r.encode(), b) {
		return nil, formatErr("root: not in canonical form")
	}
	return r, nil
}
