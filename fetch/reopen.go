package fetch

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// dumpSource is a dumpers.Reopener: an importer records the refs of what it
// installed and reads those streams again from the cache at the next install, to
// apply only the difference (a delta install).
var _ dumpers.Reopener = (*dumpSource)(nil)

// Ref returns the keyed hash of stream name and, as Loc, its size and chunks.
func (s *dumpSource) Ref(name string) (dumpers.StreamRef, bool) {
	st, ok := s.parts[name]
	if !ok {
		return dumpers.StreamRef{}, false
	}
	return dumpers.StreamRef{Hash: st.Hash, Loc: encodeLoc(st)}, true
}

// Reopen reads a stream by its ref from the cache, checking its chunks as always
// and its content against ref.Hash at the end. It never downloads: a chunk the
// cache no longer holds (or that does not open with this publication's keys and
// dictionaries) is dumpers.ErrGone.
func (s *dumpSource) Reopen(ctx context.Context, ref dumpers.StreamRef) (io.ReadCloser, error) {
	st, err := decodeLoc(ref.Loc)
	if err != nil {
		return nil, fmt.Errorf("reopen stream: %w: %w", dumpers.ErrGone, err)
	}
	st.Path, st.Hash = "(earlier snapshot)", ref.Hash
	seen := map[chunkstore.ID]bool{}
	for _, r := range st.Chunks {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		if ok, err := s.f.opt.Cache.Has(ctx, r.ID); err != nil || !ok {
			return nil, fmt.Errorf("reopen stream: chunk %s: %w", r.ID, dumpers.ErrGone)
		}
	}
	pr, pw := io.Pipe()
	go func() {
		err := s.f.copyStream(ctx, pw, st)
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrTampered) {
			err = fmt.Errorf("%w: %w", dumpers.ErrGone, err) // e.g. a dictionary this publication lacks
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

var _ dumpers.Sharer = (*dumpSource)(nil)

// Shared returns the bytes of cur in chunks that old also has, and cur's size.
func (s *dumpSource) Shared(old, cur dumpers.StreamRef) (shared, size int64, ok bool) {
	o, err := decodeLoc(old.Loc)
	if err != nil {
		return 0, 0, false
	}
	c, err := decodeLoc(cur.Loc)
	if err != nil {
		return 0, 0, false
	}
	ids := make(map[chunkstore.ID]bool, len(o.Chunks))
	for _, r := range o.Chunks {
		ids[r.ID] = true
	}
	for _, r := range c.Chunks {
		if ids[r.ID] {
			shared += int64(r.Len)
		}
	}
	return shared, int64(c.Size), true
}

// encodeLoc: size (8 bytes), then per chunk its ID (32) and length (4), big endian.
func encodeLoc(st manifest.Stream) []byte {
	b := make([]byte, 0, 8+36*len(st.Chunks))
	b = binary.BigEndian.AppendUint64(b, st.Size)
	for _, r := range st.Chunks {
		b = append(b, r.ID[:]...)
		b = binary.BigEndian.AppendUint32(b, r.Len)
	}
	return b
}

func decodeLoc(b []byte) (manifest.Stream, error) {
	if len(b) < 8 || (len(b)-8)%36 != 0 {
		return manifest.Stream{}, errors.New("malformed stream location")
	}
	st := manifest.Stream{Size: binary.BigEndian.Uint64(b)}
	var sum uint64
	for r := bytes.NewReader(b[8:]); r.Len() > 0; {
		var ref manifest.Ref
		_, _ = io.ReadFull(r, ref.ID[:])
		var l [4]byte
		_, _ = io.ReadFull(r, l[:])
		ref.Len = binary.BigEndian.Uint32(l[:])
		sum += uint64(ref.Len)
		st.Chunks = append(st.Chunks, ref)
	}
	if sum != st.Size {
		return manifest.Stream{}, errors.New("malformed stream location")
	}
	return st, nil
}
