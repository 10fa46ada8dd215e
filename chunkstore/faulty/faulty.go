// Package faulty wraps a chunkstore.Store and injects faults: failing the Nth
// call, truncating or corrupting data, and delaying responses (honoring the
// context). Knobs can be changed at any time and are safe for concurrent use; a
// zero knob is off. A fetch's remote has its own: fetch/remotetest.Faulty.
package faulty

import (
	"context"
	"errors"
	"sync"
	"time"

	"synco/chunkstore"
)

// ErrInjected is the error of an injected failure.
var ErrInjected = errors.New("faulty: injected fault")

// Op names a Store method for per-method call counting and failures.
type Op int

const (
	OpHas Op = iota
	OpGet
	OpPut
	numOps
)

// Store wraps a chunkstore.Store with faults.
type Store struct {
	inner chunkstore.Store

	mu       sync.Mutex
	calls    [numOps]int
	failNth  [numOps]map[int]bool
	failFrom [numOps]int
	truncate int // Get results cut to this many bytes, if > 0 (see Truncate)
	flip     int // Get results have the byte at flip-1 inverted, if > 0
	delay    time.Duration
}

var _ chunkstore.Store = (*Store)(nil)

// New returns a Store that passes calls to inner until told otherwise.
func New(inner chunkstore.Store) *Store { return &Store{inner: inner} }

// FailNth makes the nth call (counting from 1, over the Store's lifetime) of
// op fail with ErrInjected without reaching the inner store.
func (s *Store) FailNth(op Op, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNth[op] == nil {
		s.failNth[op] = make(map[int]bool)
	}
	s.failNth[op][n] = true
}

// FailFrom makes every call of op from the nth on fail with ErrInjected;
// n <= 0 turns it off.
func (s *Store) FailFrom(op Op, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFrom[op] = n
}

// Truncate cuts every Get result to at most n bytes; n < 0 turns it off.
func (s *Store) Truncate(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncate = n + 1
}

// FlipByte inverts the byte at offset off of every Get result long enough to
// have one; off < 0 turns it off.
func (s *Store) FlipByte(off int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flip = off + 1
}

// Delay makes every call wait d first, or until its context ends.
func (s *Store) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Reset turns all faults off; call counts stay.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNth, s.failFrom = [numOps]map[int]bool{}, [numOps]int{}
	s.truncate, s.flip, s.delay = 0, 0, 0
}

// Calls returns how many times op was called, failed calls included.
func (s *Store) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// begin counts a call of op, waits the delay and decides its failure.
func (s *Store) begin(ctx context.Context, op Op) error {
	s.mu.Lock()
	s.calls[op]++
	n := s.calls[op]
	fail := s.failNth[op][n] || s.failFrom[op] > 0 && n >= s.failFrom[op]
	d := s.delay
	s.mu.Unlock()
	if err := sleep(ctx, d); err != nil {
		return err
	}
	if fail {
		return ErrInjected
	}
	return nil
}

// Has counts, delays or fails the call, then asks the inner store.
func (s *Store) Has(ctx context.Context, id chunkstore.ID) (bool, error) {
	if err := s.begin(ctx, OpHas); err != nil {
		return false, err
	}
	return s.inner.Has(ctx, id)
}

// Get counts, delays or fails the call, then gets from the inner store and
// truncates or corrupts the result as set.
func (s *Store) Get(ctx context.Context, id chunkstore.ID) ([]byte, error) {
	if err := s.begin(ctx, OpGet); err != nil {
		return nil, err
	}
	b, err := s.inner.Get(ctx, id)
	if err != nil {
		return b, err
	}
	s.mu.Lock()
	trunc, flip := s.truncate-1, s.flip-1
	s.mu.Unlock()
	if trunc >= 0 && len(b) > trunc {
		b = b[:trunc]
	}
	if flip >= 0 && flip < len(b) {
		b[flip] ^= 0xff
	}
	return b, nil
}

// Put counts, delays or fails the call, then puts to the inner store.
func (s *Store) Put(ctx context.Context, id chunkstore.ID, sealed []byte) error {
	if err := s.begin(ctx, OpPut); err != nil {
		return err
	}
	return s.inner.Put(ctx, id, sealed)
}

// sleep waits d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
