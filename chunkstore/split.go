package chunkstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/restic/chunker"
	"github.com/zeebo/blake3"
)

// DerivePolynomial derives a store's secret chunking polynomial from its
// master secret: restic/chunker's DerivePolynomial reading the BLAKE3 XOF
// keyed with DeriveKey("synco 2026-11 chunker polynomial", master). The same
// secret always gives the same polynomial. Keep the polynomial secret: chunk
// boundaries chosen by a known polynomial leak information about content
// through chunk sizes.
func DerivePolynomial(master [32]byte) (chunker.Pol, error) {
	var key [32]byte
	blake3.DeriveKey(ctxPolynomial, master[:], key[:])
	pol, err := chunker.DerivePolynomial(mustKeyed(key).Digest())
	if err != nil {
		return 0, fmt.Errorf("derive chunker polynomial: %w", err)
	}
	return pol, nil
}

// Splitter cuts streams into content-defined chunks with one polynomial. It
// is safe for concurrent use; each Split call uses its own chunker.
type Splitter struct {
	pol   chunker.Pol
	state sync.Pool // *splitState
}

type splitState struct {
	c   *chunker.Chunker
	buf []byte
}

// NewSplitter returns a Splitter cutting with pol, normally from
// DerivePolynomial.
func NewSplitter(pol chunker.Pol) *Splitter {
	return &Splitter{pol: pol}
}

// Split reads r to EOF and calls fn with each chunk of the stream in order,
// cut with class's Params. The chunk slice is only valid during the call. A
// stream shorter than the class's Min is one chunk, an empty stream has no
// chunks. Split checks ctx before each chunk; it stops at the first error and
// returns ctx's or r's error wrapped, or fn's error unchanged.
func (s *Splitter) Split(ctx context.Context, r io.Reader, class Class, fn func(chunk []byte) error) error {
	prm, err := splitParams(class)
	if err != nil {
		return err
	}
	st := s.chunker(r, prm)
	defer s.put(st, prm)
	for {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		c, err := st.c.Next(st.buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("split: read: %w", err)
		}
		if err := fn(c.Data); err != nil {
			return err
		}
	}
}

// ctxErr is ctx's error, if it is done, as a splitter returns it.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("split: %w", err)
	}
	return nil
}

// splitParams is class's Params, or an error for an unknown class.
func splitParams(class Class) (Params, error) {
	prm := class.Params()
	if prm.Max == 0 {
		return prm, fmt.Errorf("split: unknown stream class %d", uint8(class))
	}
	return prm, nil
}
